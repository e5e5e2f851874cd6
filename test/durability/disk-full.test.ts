// A full disk, for real: the runtime's data dir on an 8 MB tmpfs this test mounts (root only — CI runs
// as root; otherwise the test is skipped and says why, it never fakes the file system). While the disk
// is full no event is acknowledged (no 202, no 200-duplicate for an event that is not on disk),
// /healthz answers 503 naming the cause and the P0 alert reaches a local alert-webhook receiver (the
// store cannot write it). Once space is freed, events are accepted again without a restart; after a
// SIGKILL and a restart every acknowledged event is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { flowsDirWith } from '../support/runtime.ts';

const isRoot = process.getuid?.() === 0;
const SKIP_REASON = isRoot ? '' : ' — SKIPPED: mounting a tmpfs needs root (run as root, as CI does)';

let mnt = '';
let mounted = false;
let child: ChildRuntime | undefined;
let receiver: Server | undefined;
const alerts: { text: string }[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  if (!isRoot) return;
  mnt = mkdtempSync(join(tmpdir(), 'flowdesk-diskfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  mounted = true;
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as { text: string });
      res.end('ok');
    });
  });
  await new Promise<void>((ok) => receiver!.listen(0, '127.0.0.1', () => ok()));
});

afterAll(async () => {
  await child?.kill();
  receiver?.close();
  if (mounted) execFileSync('umount', [mnt]);
  if (mnt) rmSync(mnt, { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Fills the file system holding `dir` to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 7);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  // the last partial chunk too
  try {
    for (;;) writeSync(fd, chunk, 0, 4096);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return file;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a full disk', () => {
  it(`acknowledges nothing it cannot store, says so on /healthz and by alert, and recovers without a restart${SKIP_REASON}`, { timeout: 120_000 }, async (t) => {
    if (!isRoot) {
      console.warn(`disk-full test skipped: ${SKIP_REASON}`);
      t.skip();
    }
    const dataDir = join(mnt, 'data');
    mkdirSync(dataDir);
    const flowsDir = flowsDirWith(['lead-qualification']);
    dirs.push(flowsDir);
    const env = {
      FLOWDESK_DATA_DIR: dataDir,
      FLOWDESK_FLOWS_DIR: flowsDir,
      FLOWDESK_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver!.address() as { port: number }).port}/alert`,
    };
    child = await startChildRuntime(env);
    const url = child.url;
    /** every acknowledgement: key → run id (202 or 200 duplicate) */
    const acked = new Map<string, string>();
    const post = async (key: string) => {
      const res = await fetch(`${url}/hooks/lead`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${key}@example.com`, name: key, company: `${key} Ltd`, source: 'referral', budget: 12000, message: 'x'.repeat(200) }),
      });
      const body = (await res.json()) as { runId?: string; duplicate?: boolean; error?: string };
      if (res.status === 202 || (res.status === 200 && body.duplicate)) {
        if (acked.has(key)) expect(body.runId).toBe(acked.get(key));
        acked.set(key, body.runId!);
      }
      return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
    };

    for (let i = 0; i < 20; i++) expect((await post(`before${i}`)).status).toBe(202);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // the disk fills up
    const filler = fill(mnt);
    const refused: string[] = [];
    for (let i = 0; i < 60; i++) {
      const key = `full${i}`;
      const r = await post(key);
      // a write that still fits in a file's last allocated page is stored and acknowledged (and checked
      // after the restart below); anything else is refused with 503 + Retry-After, never a 500
      expect([202, 503], `event ${key} answered ${r.status} ${JSON.stringify(r.body)} on a full disk`).toContain(r.status);
      if (r.status === 503) {
        expect(r.retryAfter).not.toBeNull();
        refused.push(key);
      }
    }
    expect(refused.length).toBeGreaterThanOrEqual(50);
    // a refused event sent again is still refused: its failed write left no claim behind
    const again = await post(refused[0]!);
    expect(again.status).toBe(503);
    expect(again.body.duplicate).toBeUndefined();
    // an event stored before the disk filled is still a duplicate (answering needs no write)
    expect((await post('before3')).body).toMatchObject({ duplicate: true, runId: acked.get('before3') });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { cause: string }).cause).toMatch(/ENOSPC/);
    // the P0 alert went out through the webhook, which needs no disk
    const p0 = await until('the P0 alert', async () => alerts.find((a) => /P0/.test(a.text) && /cannot write to its store/.test(a.text)));
    expect(p0.text).toMatch(/ENOSPC/);

    // space comes back: writes resume by themselves
    rmSync(filler);
    await until('/healthz to answer 200', async () => ((await fetch(`${url}/healthz`)).status === 200 ? true : undefined));
    for (let i = 0; i < 20; i++) expect((await post(`after${i}`)).status).toBe(202);
    // a key refused while full is accepted now, as a new event
    const retried = refused[1]!;
    expect((await post(retried)).status).toBe(202);

    await child.kill('SIGKILL');
    child = await startChildRuntime(env);
    const restarted = child.url;
    let lost = 0;
    for (const [key, runId] of acked) {
      const res = await fetch(`${restarted}/api/runs/${runId}`);
      if (res.status !== 200) lost++;
      else expect(((await res.json()) as { idempotencyKey: string }).idempotencyKey).toBe(`${key}@example.com`);
    }
    expect(lost).toBe(0);
    // nothing that was refused (and never sent again) became a run
    for (const key of refused.filter((k) => k !== retried)) {
      const runs = (await (await fetch(`${restarted}/api/runs?key=${encodeURIComponent(`${key}@example.com`)}`)).json()) as unknown[];
      expect(runs, `refused event ${key} has a run`).toHaveLength(0);
    }
    // and every acknowledged run goes on to where the flow parks or ends it
    let unfinished: { id: string; status: string; error?: string }[] = [];
    await until(
      'acknowledged runs to finish',
      async () => {
        const runs = await Promise.all([...acked.values()].map(async (id) => (await (await fetch(`${restarted}/api/runs/${id}`)).json()) as { id: string; status: string; error?: string }));
        unfinished = runs.filter((r) => r.status !== 'succeeded');
        return unfinished.length === 0 ? true : undefined;
      },
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(unfinished.slice(0, 5))}\n${child!.output().slice(-3000)}`);
    });
  });
});
