// Hold while paused across a crash: events held by a runtime that is then SIGKILLed are all there on
// restart, still held (nothing ran); switched back on, each runs exactly once, in arrival order.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';
import { flowsDirWithDocs, tempDir } from '../support/runtime.ts';
import { hookFlow } from './support.ts';
import { waitFor } from '../support/wait.ts';

const dirs: string[] = [];
let child: ChildRuntime | undefined;
let dep: FailServer | undefined;
afterAll(async () => {
  await child?.kill();
  await dep?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('hold across a SIGKILL', () => {
  it('held events survive the kill, and run once each, in arrival order, when the flow is switched on', { timeout: 240_000 }, async () => {
    dep = await startFailServer();
    const flow = hookFlow(
      'orders',
      { payloadSchema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } }, idempotencyKey: { var: 'payload.n' } },
      {
        nodes: [
          { id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: `${dep.url}/orders`, body: { n: '{{payload.n}}' } } },
          { id: 'done', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'done' }],
      },
    );
    const dataDir = tempDir();
    const flowsDir = flowsDirWithDocs([flow]);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir };
    child = await startChildRuntime(env);
    const api = (url: string, path: string, body?: unknown) =>
      fetch(url + path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    expect((await api(child.url, '/api/flows/orders/active', { active: false, hold: true })).body).toMatchObject({ hold: true });
    const acked: { n: number; runId: string }[] = [];
    for (let n = 1; n <= 30; n++) {
      const res = await api(child.url, '/hooks/orders', { n });
      expect(res.status).toBe(202);
      expect(res.body.held).toBe(true);
      acked.push({ n, runId: res.body.runId });
    }
    // a redelivery while held answers the same run
    expect((await api(child.url, '/hooks/orders', { n: 7 })).body).toMatchObject({ duplicate: true, held: true, runId: acked[6]!.runId });
    await child.kill('SIGKILL');

    child = await startChildRuntime(env);
    const url = child.url;
    // still paused with hold after the restart: nothing ran, everything is there, and more can be held
    expect((await api(url, '/api/flows/orders')).body).toMatchObject({ active: false, hold: true });
    for (const a of acked) expect((await api(url, `/api/runs/${a.runId}`)).body.status).toBe('held');
    for (const n of [31, 32]) acked.push({ n, runId: (await api(url, '/hooks/orders', { n })).body.runId });
    expect((await api(url, '/api/flows/orders/held')).body.count).toBe(32);
    expect(dep.requests).toHaveLength(0);

    expect((await api(url, '/api/flows/orders/active', { active: true })).body).toMatchObject({ active: true, released: 32 });
    await waitFor('every held run succeeded', async () => {
      const all = await Promise.all(acked.map(async (a) => (await api(url, `/api/runs/${a.runId}`)).body.status as string));
      return all.every((s) => s === 'succeeded') ? true : undefined;
    }, 60_000, 100);
    const seen = dep.requests.map((r) => (JSON.parse(r.body) as { n: number }).n);
    expect(seen).toEqual(acked.map((a) => a.n)); // once each, in arrival order
    await child.kill('SIGTERM');
    child = undefined;
  });
});
