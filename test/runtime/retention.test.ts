// The daily retention job: finished runs older than FLOWDESK_RETENTION_DAYS are pruned by the timer
// the runtime arms itself; the KPI facts they produced stay, so the KPIs of that period do not move.
import { afterAll, describe, expect, it } from 'vitest';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let rt: TestRuntime | undefined;
afterAll(async () => rt?.dispose());

describe('retention', () => {
  it('prunes old finished runs daily and keeps their KPIs', async () => {
    rt = await startTestRuntime({ flowsDir: flowsDirWith(['lead-qualification']), env: { FLOWDESK_RETENTION_DAYS: '30' } });
    const from = new Date(rt.clock.now()).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await rt.post('/hooks/lead', { email: `old${i}@example.com`, budget: 12000, company: 'Old Co', source: 'referral' })).body.runId);
    await rt.settle();
    const to = new Date(rt.clock.now() + 3_600_000).toISOString();
    const before = (await rt.get(`/api/kpis?from=${from}&to=${to}`)).body;
    expect(before.manualHours.value).toBeGreaterThan(0);
    for (let day = 0; day < 29; day++) await rt.advance(86_400_000);
    expect((await rt.get(`/api/runs/${ids[0]}`)).status).toBe(200); // 29 days: kept
    const fresh = (await rt.post('/hooks/lead', { email: 'new@example.com', budget: 12000, company: 'New Co', source: 'referral' })).body.runId;
    for (let day = 0; day < 3; day++) await rt.advance(86_400_000);
    for (const id of ids) expect((await rt.get(`/api/runs/${id}`)).status).toBe(404);
    expect((await rt.get(`/api/runs/${fresh}`)).status).toBe(200);
    const after = (await rt.get(`/api/kpis?from=${from}&to=${to}`)).body;
    expect(after).toEqual(before);
  });

  it('KPIs take an IANA time zone for their buckets; an unknown one is refused naming tz', async () => {
    const bad = await rt!.get('/api/kpis?tz=Mars/Olympus');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('tz');
    const ok = await rt!.get('/api/kpis?tz=Europe/Paris');
    expect(ok.status).toBe(200);
    expect(ok.body.tz).toBe('Europe/Paris');
    expect((await rt!.get('/api/kpis')).body.tz).toBe('UTC');
  });
});
