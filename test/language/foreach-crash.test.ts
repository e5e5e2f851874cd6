// A loop survives SIGKILL: a flow iterates 50 items with an outside call each (concurrency 4); the
// runtime (a child process) is SIGKILLed three times mid-loop and restarted on the same data dir. Every
// item's Idempotency-Key reaches the receiver, no item whose result was written is called again, and
// the run succeeds with 50 results in order. The receiver numbers its answers, and each item's result
// records the number of the answer that was written: a later call for that key would carry a higher one.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { flowsDirWithDocs, tempDir } from '../support/runtime.ts';

let child: ChildRuntime | undefined;
let server: Server | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await child?.kill();
  server?.closeAllConnections();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ITEMS = 50;
const KILL_AT = [8, 22, 37]; // the receiver's call counts at which the runtime is killed

describe('foreach under SIGKILL', () => {
  it('50 items, three SIGKILLs mid-loop: every key delivered, no written item called again, 50 results in order', async () => {
    const calls: { key: string; no: number }[] = [];
    const killed: Promise<void>[] = [];
    const kill = () => killed.push(child!.kill('SIGKILL'));
    const held: ServerResponse[] = [];
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        const no = calls.length + 1;
        calls.push({ key: String(req.headers['idempotency-key']), no });
        const index = Number(/\/items\/(\d+)$/.exec(req.url ?? '')?.[1]);
        if (KILL_AT.includes(no)) {
          // the runtime dies while this call is open: its answer never reaches the run
          held.push(res);
          kill();
          return;
        }
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ index, no })), 15);
      });
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const dataDir = tempDir();
    const flowsDir = flowsDirWithDocs([
      {
        dsl: 1, id: 'loop', name: 'Loop', trigger: { type: 'manual' },
        nodes: [
          { id: 'each', type: 'foreach', items: { var: 'payload.items' }, concurrency: 4 },
          { id: 'call', type: 'action', action: 'http.request', timeout: '30s', params: { method: 'POST', url: `http://127.0.0.1:${port}/items/{{index}}`, body: { sku: '{{item.sku}}' } } },
          { id: 'item-end', type: 'end', output: { var: 'steps.call.output.body' } },
          { id: 'end', type: 'end' },
        ],
        edges: [
          { from: 'trigger', to: 'each' },
          { from: 'each', port: 'item', to: 'call' },
          { from: 'call', to: 'item-end' },
          { from: 'each', port: 'done', to: 'end' },
        ],
      },
    ]);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir };

    child = await startChildRuntime(env);
    const started = await fetch(`${child.url}/api/flows/loop/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payload: { items: Array.from({ length: ITEMS }, (_, i) => ({ sku: `sku-${i}` })) } }),
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };

    for (let round = 0; round < KILL_AT.length; round++) {
      while (killed.length <= round) await new Promise((r) => setTimeout(r, 20));
      await killed[round];
      child = await startChildRuntime(env); // resumes the open run on start
    }
    let run: { status: string; steps: { nodeId: string; output?: { items: { index: number; no: number }[]; failed: number[] } }[] } | undefined;
    for (let i = 0; i < 1200; i++) {
      run = (await (await fetch(`${child.url}/api/runs/${runId}`)).json()) as typeof run;
      if (run && ['succeeded', 'dead', 'failed'].includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(calls.length).toBeGreaterThanOrEqual(ITEMS + KILL_AT.length - 1);
    expect(run!.status).toBe('succeeded');
    const out = run!.steps.find((s) => s.nodeId === 'each')!.output!;
    expect(out.failed).toEqual([]);
    expect(out.items.map((r) => r.index)).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
    // every item's key reached the receiver
    const keys = new Set(calls.map((c) => c.key));
    for (let i = 0; i < ITEMS; i++) expect(keys.has(`${runId}:call:${i}`)).toBe(true);
    expect(keys.size).toBe(ITEMS);
    // the answer written for each item is the last call made for its key: nothing after the write
    for (let i = 0; i < ITEMS; i++) {
      const forKey = calls.filter((c) => c.key === `${runId}:call:${i}`).map((c) => c.no);
      expect(Math.max(...forKey)).toBe(out.items[i]!.no);
    }
    // the killed calls were repeated under the same key (at-least-once outside), and only those
    const repeated = [...keys].filter((k) => calls.filter((c) => c.key === k).length > 1);
    expect(repeated.length).toBeGreaterThanOrEqual(1);
    expect(repeated.length).toBeLessThanOrEqual(KILL_AT.length * 4);
    for (const r of held) r.destroy();
  }, 300_000);
});
