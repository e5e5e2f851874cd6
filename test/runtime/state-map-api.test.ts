// The state map changed through the API (PUT /api/state-map): in force at once for flows and record
// moves, kept across a restart unless the file itself changed, and refused — changing nothing — while it
// is malformed, would break a stored flow or would strand records in a state it removes.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowsDirWith, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const open: TestRuntime[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const rt of open) await rt.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function runtime(flowsDir: string, dataDir: string): Promise<TestRuntime> {
  const rt = await startTestRuntime({ flowsDir, dataDir });
  open.push(rt);
  return rt;
}

/** A runtime on a new data dir, with a flows dir holding the shipped state map only. */
async function fresh(): Promise<{ rt: TestRuntime; flowsDir: string; dataDir: string }> {
  const flowsDir = flowsDirWith([]);
  const dataDir = tempDir();
  dirs.push(flowsDir, dataDir);
  return { rt: await runtime(flowsDir, dataDir), flowsDir, dataDir };
}

/** The shipped map, with account gaining `paused` (qualified ⇄ paused). */
function withPaused(map: any): any {
  const next = structuredClone(map);
  next.entities.account.states.paused = { owner: 'founder', description: 'On hold at the client’s request.', next: ['qualified'] };
  next.entities.account.states.qualified.next.push('paused');
  return next;
}

const onPaused = {
  dsl: 1,
  id: 'on-paused',
  name: 'On paused',
  trigger: { type: 'record', entity: 'account', state: 'paused' },
  nodes: [{ id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'end' }],
};

const setState = (rt: TestRuntime, key: string, state: string) => rt.post(`/api/records/account/${key}/state`, { state });

describe('PUT /api/state-map', () => {
  it('a new state is in force at once: record moves and flows use it, and a restart keeps it', async () => {
    const started = await fresh();
    const { flowsDir, dataDir } = started;
    let rt = started.rt;
    const shipped = (await rt.get('/api/state-map')).body;
    expect(shipped.entities.account.states.paused).toBeUndefined();
    expect((await setState(rt, 'acme', 'qualified')).status).toBe(200);
    expect((await setState(rt, 'acme', 'paused')).status).toBe(409); // not a state yet
    expect((await rt.put('/api/flows/on-paused', onPaused)).status).toBe(422);

    const next = withPaused(shipped);
    const put = await rt.put('/api/state-map', next);
    expect(put.status).toBe(200);
    expect((await rt.get('/api/state-map')).body.entities.account.states.paused).toMatchObject({ owner: 'founder', next: ['qualified'] });
    expect((await rt.put('/api/flows/on-paused', onPaused)).status).toBe(200);
    expect((await setState(rt, 'acme', 'paused')).status).toBe(200);
    await rt.settle();
    expect((await rt.get('/api/runs?flowId=on-paused')).body).toHaveLength(1);

    // the same, unchanged file at the next start does not undo the change
    await rt.close();
    rt = await runtime(flowsDir, dataDir);
    expect((await rt.get('/api/state-map')).body.entities.account.states.paused).toBeDefined();
    expect((await setState(rt, 'acme', 'qualified')).status).toBe(200);

    // an edited file is a change too: the next start takes it
    const edited = JSON.parse(readFileSync(join(flowsDir, 'state-map.json'), 'utf8'));
    edited.entities.account.description = 'edited on disk';
    writeFileSync(join(flowsDir, 'state-map.json'), JSON.stringify(edited));
    await rt.close();
    rt = await runtime(flowsDir, dataDir);
    const after = (await rt.get('/api/state-map')).body;
    expect(after.entities.account.description).toBe('edited on disk');
    expect(after.entities.account.states.paused).toBeUndefined();
    // taken as written, but what it breaks is raised: the stored flow on-paused names the dropped state
    const alerts = (await rt.get('/api/alerts')).body as { kind: string; message: string }[];
    const raised = alerts.filter((a) => a.kind === 'state_map_file');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.message).toContain('flow on-paused');
  });

  it('refusals name the field and the reason and change nothing', async () => {
    const { rt } = await fresh();
    const before = (await rt.get('/api/state-map')).body;

    const asText = await fetch(`${rt.url}/api/state-map`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(before) });
    expect(asText.status).toBe(415);
    expect((await asText.json()).error).toContain('JSON');
    expect((await rt.put('/api/state-map', [before])).status).toBe(400);

    const badInitial = structuredClone(before);
    badInitial.entities.account.initial = 'nowhere';
    const invalid = await rt.put('/api/state-map', badInitial);
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors).toContainEqual(expect.objectContaining({ path: '/entities/account/initial', message: expect.stringContaining('nowhere') }));

    // a stored flow names the state: removing it is refused, naming the flow
    const next = withPaused(before);
    expect((await rt.put('/api/state-map', next)).status).toBe(200);
    expect((await rt.put('/api/flows/on-paused', onPaused)).status).toBe(200);
    const breaking = await rt.put('/api/state-map', before);
    expect(breaking.status).toBe(409);
    expect(breaking.body.errors.map((e: { message: string }) => e.message).join('\n')).toContain('flow on-paused');

    // switched off, the flow still names it (it may be switched on again): still refused
    expect((await rt.del('/api/flows/on-paused')).status).toBe(200);
    expect((await rt.put('/api/state-map', before)).status).toBe(409);

    // records sit in the state: removing it (the flow no longer naming it) is refused, counting them
    expect((await rt.put('/api/flows/on-paused', { ...onPaused, trigger: { ...onPaused.trigger, state: 'won' } })).status).toBe(200);
    for (const key of ['a1', 'a2']) {
      expect((await setState(rt, key, 'qualified')).status).toBe(200);
      expect((await setState(rt, key, 'paused')).status).toBe(200);
    }
    const stranding = await rt.put('/api/state-map', before);
    expect(stranding.status).toBe(409);
    expect(stranding.body.errors).toContainEqual({ path: '/entities/account/states/paused', message: expect.stringContaining('2 account records are in "paused"') });

    // nothing changed: the map in force still has the state, the records are where they were
    expect((await rt.get('/api/state-map')).body).toEqual(next);
    expect((await rt.get('/api/records/account/a1')).body.state).toBe('paused');
    expect((await rt.get('/api/records/counts')).body).toContainEqual({ entity: 'account', state: 'paused', count: 2 });
    expect((await setState(rt, 'a1', 'qualified')).status).toBe(200);
    expect((await setState(rt, 'a2', 'qualified')).status).toBe(200);
    expect((await rt.get('/api/records/counts')).body).toEqual(expect.not.arrayContaining([expect.objectContaining({ state: 'paused' })]));
    expect((await rt.put('/api/state-map', before)).status).toBe(200); // now nothing is stranded
    expect((await rt.get('/api/state-map')).body).toEqual(before);
  });

  it('If-Match: a change made from an older map than the one stored is refused 409, nothing changed; from the current one it is saved', async () => {
    const { rt } = await fresh();
    const put = async (body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${rt.url}/api/state-map`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any, etag: res.headers.get('etag') };
    };
    const first = await fetch(`${rt.url}/api/state-map`);
    const tag0 = first.headers.get('etag')!;
    expect(tag0).toMatch(/^"[0-9a-f]{16}"$/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const map0 = await first.json();
    // tab A saves from map 0; the answer carries the new map's tag, which GET then answers too
    const a = await put(withPaused(map0), { 'if-match': tag0 });
    expect(a.status).toBe(200);
    expect(a.etag).not.toBe(tag0);
    expect((await fetch(`${rt.url}/api/state-map`)).headers.get('etag')).toBe(a.etag);
    // tab B also made its change from map 0: refused, A's change stands
    const b = await put({ ...map0, entities: { ...map0.entities } }, { 'if-match': tag0 });
    expect(b.status).toBe(409);
    expect(b.body.error).toBe('the state map was changed elsewhere since this change was made from it: load it again, or save without If-Match to replace it');
    expect((await rt.get('/api/state-map')).body.entities.account.states.paused).toBeDefined();
    // from the current map it is saved
    const c = await put(withPaused(map0), { 'if-match': a.etag! });
    expect(c.status).toBe(200);
  });
});
