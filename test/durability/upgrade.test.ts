// Upgrades never break a founder's data: today's runtime starts on a copy of a data dir written by the
// release before the durability work (test/fixtures/data-dir-v1, see its README) and finds its runs,
// dedupe claims (stored with raw keys back then, hashed now), timers, records, reviews, dead letters
// and flow versions as that release's API reported them; then it keeps working on them, restarts clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { flowsDirWith, REPO, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const FIXTURE = join(REPO, 'test/fixtures/data-dir-v1');
interface Manifest {
  writtenAt: string;
  leads: { email: string; runId: string; kind: string }[];
  crm: { contactId: string; runId: string }[];
  invoices: { invoiceId: string; issueRunId: string }[];
  cancelled: string[];
  rejected: number;
  flowVersions: Record<string, number>;
  runStatuses: Record<string, string>;
  timers: { id: string; kind: string; dueAt: string }[];
  decidedReviewRun: string;
}
const manifest = JSON.parse(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8')) as Manifest;
const FLOWS = ['lead-qualification', 'invoice-issue', 'invoicing-collections', 'client-onboarding', 'proposal-signed', 'delivery-weekly-status', 'lead-inbox'];
const ENV = { FLOWDESK_SECRET_PROPOSAL_HOOK_TOKEN: 'fixture-proposal-token' };

let dataDir = '';
let flowsDir = '';
let rt: TestRuntime | undefined;
const start = (clock: ManualClock) => startTestRuntime({ dataDir, flowsDir, clock, env: ENV, fsync: true });

beforeAll(async () => {
  dataDir = tempDir('flowdesk-upgrade-');
  cpSync(join(FIXTURE, 'data'), dataDir, { recursive: true });
  flowsDir = flowsDirWith(FLOWS);
  rt = await start(new ManualClock(Date.parse(manifest.writtenAt) + 60_000));
});
afterAll(async () => {
  await rt?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(flowsDir, { recursive: true, force: true });
});

describe('a data dir written by the previous release', () => {
  it('starts with every run in the status that release reported', async () => {
    const entries = Object.entries(manifest.runStatuses);
    expect(entries.length).toBe(40);
    for (const [id, status] of entries) {
      const res = await rt!.get(`/api/runs/${id}`);
      expect(res.status, `run ${id}`).toBe(200);
      expect(res.body.status, `run ${id}`).toBe(status);
    }
    expect((await rt!.get('/api/runs?limit=1000')).body).toHaveLength(40);
  });

  it('keeps its dedupe claims: a duplicate of one of its events inside the window is still a duplicate', async () => {
    const lead = manifest.leads[0]!;
    const dup = await rt!.post('/hooks/lead', { email: lead.email, name: 'High 0', company: 'High Co 0', source: 'referral', budget: 15000 });
    expect(dup.status).toBe(200);
    expect(dup.body).toEqual({ runId: lead.runId, duplicate: true });
    // a 7-day window, on a flow with three versions, for a run that went dead
    const crm = manifest.crm[0]!;
    const again = await rt!.post('/hooks/crm-sync', { contactId: crm.contactId });
    expect(again.body).toEqual({ runId: crm.runId, duplicate: true });
    // listing by key finds the runs stored with raw keys
    expect((await rt!.get(`/api/runs?key=${encodeURIComponent(lead.email)}`)).body.map((r: { id: string }) => r.id)).toEqual([lead.runId]);
  });

  it('keeps flows with their versions, records, reviews, dead letters, rejected events and timers', async () => {
    for (const [id, version] of Object.entries(manifest.flowVersions)) {
      // every version the old release stored is kept; a blueprint this release ships changed is deployed as the next one
      const versions = (await rt!.get(`/api/flows/${id}/versions`)).body.map((v: { version: number }) => v.version);
      expect(versions, id).toContain(version);
      expect([version, version + 1], id).toContain((await rt!.get(`/api/flows/${id}`)).body.version);
    }
    expect((await rt!.get('/api/flows/crm-sync/versions')).body.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    const invoice = (await rt!.get('/api/records/invoice/INV-FIX-000')).body;
    expect(invoice.state).toBe('issued');
    expect((await rt!.get(`/api/records/account/${encodeURIComponent('manual@fixture.example')}`)).body.state).toBe('captured');
    // counted from the index as the records are (the States page): the same numbers as listing them
    const listed = new Map<string, number>();
    for (const r of (await rt!.get('/api/records')).body as { entity: string; state: string }[]) listed.set(`${r.entity}/${r.state}`, (listed.get(`${r.entity}/${r.state}`) ?? 0) + 1);
    const counted = (await rt!.get('/api/records/counts')).body as { entity: string; state: string; count: number }[];
    expect(new Map(counted.map((c) => [`${c.entity}/${c.state}`, c.count]))).toEqual(listed);
    expect(listed.get('invoice/issued')).toBeGreaterThan(0);
    const open = ((await rt!.get('/api/reviews')).body as { status: string }[]).filter((r) => r.status === 'open');
    expect(open.length).toBe(8); // 8 middle-fit leads + 1 kickoff review, one of the leads decided
    // counted too (GET /metrics): lines written before the index kept a status are read for it
    expect(await rt!.ctx.store.countDocs('reviews', 'open')).toBe(8);
    const dead = (await rt!.get('/api/dead-letters')).body as { runId: string }[];
    expect(dead.map((d) => d.runId).sort()).toEqual(manifest.crm.slice(0, 4).map((c) => c.runId).sort());
    expect(await rt!.ctx.store.countDocs('deadLetters', 'open')).toBe(4);
    expect((await rt!.get('/api/rejected')).body).toHaveLength(manifest.rejected);
    const timers = new Set((await rt!.ctx.store.listTimers()).map((t) => t.id));
    for (const t of manifest.timers) if (t.id !== 'retention' && !t.id.startsWith('alert-summary:')) expect(timers.has(t.id), t.id).toBe(true);
  });

  it('goes on with them: a review decided, timers firing, a dead letter replayed', async () => {
    const open = ((await rt!.get('/api/reviews')).body as { id: string; runId: string; status: string; queue: string }[]).find((r) => r.status === 'open' && r.queue === 'leads')!;
    expect((await rt!.post(`/api/reviews/${open.id}/resolve`, { decision: 'approved' })).status).toBe(200);
    expect((await rt!.get(`/api/runs/${open.runId}`)).body.status).toBe('succeeded');
    expect(await rt!.ctx.store.countDocs('reviews', 'open')).toBe(7); // one rewritten with its status in the index, 7 older lines
    // the waiting invoice reminders come due
    const outboxBefore = ((await rt!.get('/api/outbox')).body as unknown[]).length;
    rt!.clock.set('2026-03-17T00:00:01.000Z');
    await rt!.settle();
    expect(((await rt!.get('/api/outbox')).body as unknown[]).length).toBeGreaterThan(outboxBefore);
    const cancelled = manifest.cancelled[0]!;
    expect((await rt!.get(`/api/runs/${cancelled}`)).body.status).toBe('cancelled');
    // a dead run replays on its own version
    const replay = await rt!.post(`/api/runs/${manifest.crm[0]!.runId}/replay`, {});
    expect(replay.status).toBe(202);
  });

  it('restarts clean on what it wrote over the old files, and the old claims still hold', async () => {
    await rt!.close();
    // back inside the first events' 24 h window (the previous test moved the clock to the reminders)
    rt = await start(new ManualClock(Date.parse(manifest.writtenAt) + 120_000));
    for (const id of Object.keys(manifest.runStatuses)) expect((await rt.get(`/api/runs/${id}`)).status).toBe(200);
    const lead = manifest.leads[1]!;
    expect((await rt.post('/hooks/lead', { email: lead.email })).body).toEqual({ runId: lead.runId, duplicate: true });
  });

  it('deploys a blueprint new in this release (lead-inbox) over the old data: version 1, on, not configured, nothing raised', async () => {
    expect((await rt!.get('/api/flows/lead-inbox')).body).toMatchObject({ version: 1, active: true });
    await rt!.settle();
    expect(await rt!.store.getDoc('settings', 'trigger-state:lead-inbox')).toMatchObject({ failures: 0, notConfigured: expect.stringContaining('LEADS_IMAP_HOST') });
    expect(((await rt!.get('/api/alerts')).body as { kind: string }[]).filter((a) => a.kind === 'trigger_failing')).toEqual([]);
  });
});
