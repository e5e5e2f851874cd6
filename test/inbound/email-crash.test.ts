// The e-mail cursor under SIGKILL (issue 15 item 3's "restart between fetch and cursor write"), for
// real: the runtime is a child process whose store kills it (SIGKILL) at the exact moment the trigger
// would write its cursor past a given UID — the message's run is on disk, its cursor is not
// (test/support/cursor-kill-main.ts). Killed twice — once on a message without a Message-ID (keyed by
// UIDVALIDITY:UID), once on one with — and restarted each time on the same data dir: every message
// ends with exactly one run. Time is each child's ManualClock, moved by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startClockedChild, type ClockedChild } from '../support/child.ts';
import { flowsDirWithDocs, REPO, tempDir } from '../support/runtime.ts';
import { rfc822, startImapServer, type ImapServer } from '../support/imap-server.ts';

const PASS = 'kill-pass-3Rz';
const KILL_ENTRY = join(REPO, 'test/support/cursor-kill-main.ts');
const T0 = Math.floor(Date.now() / 1000) * 1000; // IMAP keeps arrival times in whole seconds
let imap: ImapServer;
const children: ClockedChild[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  imap = await startImapServer({ kim: PASS });
}, 30_000);
afterAll(async () => {
  for (const c of children) await c.kill('SIGKILL');
  await imap?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function deliver(messageId: string | null, n: number) {
  const c = await imap.client('kim', PASS);
  try {
    await c.append('INBOX', rfc822({ from: `lead${n}@example.com`, to: 'kim@example.com', subject: `lead ${n}`, text: 'hi', messageId }), [], new Date(T0 + n * 1000));
  } finally {
    await c.logout();
  }
}

describe('e-mail cursor under SIGKILL', () => {
  it('killed after a message’s run is stored and before its cursor is written, twice: after restarts each message has exactly one run', { timeout: 180_000 }, async () => {
    const dataDir = tempDir();
    const flowsDir = flowsDirWithDocs([
      {
        dsl: 1,
        id: 'inbox',
        name: 'inbox',
        trigger: { type: 'email', host: '127.0.0.1', port: imap.port, tls: 'none', user: 'kim', password: 'IMAP_PASS', interval: '1m' },
        nodes: [{ id: 'done', type: 'end' }],
        edges: [{ from: 'trigger', to: 'done' }],
      },
    ]);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_SECRET_IMAP_PASS: PASS };
    const start = async (clockMs: number, killAtUid?: number) => {
      const c = killAtUid === undefined ? await startClockedChild(env, clockMs) : await startClockedChild({ ...env, FLOWDESK_TEST_KILL_AT_UID: String(killAtUid) }, clockMs, KILL_ENTRY);
      children.push(c);
      return c;
    };
    const runs = async (c: ClockedChild) => ((await (await fetch(`${c.url}/api/runs?flowId=inbox&limit=100`)).json()) as { idempotencyKey: string; status: string; payload?: { subject: string } }[]);
    const killedAt = async (c: ClockedChild, ms: number) => {
      await expect(c.advance(ms)).rejects.toThrow(/clocked runtime exited/);
      await c.kill(); // reaped
      expect(c.proc.signalCode).toBe('SIGKILL');
    };

    // 1. switched on (first read: nothing yet), then four messages arrive; the second has no Message-ID
    const a = await start(T0, 2);
    await a.settle();
    await deliver('<k1@example.com>', 1);
    await deliver(null, 2);
    await deliver('<k3@example.com>', 3);
    await deliver('<k4@example.com>', 4);
    await killedAt(a, 60_000);
    expect(a.output()).toContain('KILL before cursor write: lastUid 2 (on disk: 1)');

    // 2. restarted: message 2's run is there although its cursor never was; killed again on message 3
    const b = await start(T0 + 60_000, 3);
    const afterFirstKill = await runs(b);
    expect(afterFirstKill.map((r) => r.idempotencyKey)).toHaveLength(2);
    expect(afterFirstKill.map((r) => r.idempotencyKey)).toEqual(expect.arrayContaining(['<k1@example.com>', expect.stringMatching(/^\d+:2$/)]));
    await killedAt(b, 60_000); // reads from UID 2 again: a duplicate, then message 3 → killed
    expect(b.output()).toContain('KILL before cursor write: lastUid 3 (on disk: 2)');

    // 3. restarted for good: messages 3 (again) and 4 are read; each message has one run
    const c = await start(T0 + 120_000);
    await c.advance(60_000);
    const final = await runs(c);
    const keys = final.map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(4);
    expect(keys).toEqual(expect.arrayContaining(['<k1@example.com>', '<k3@example.com>', '<k4@example.com>']));
    expect(final.every((r) => r.status === 'succeeded')).toBe(true);
    // and a further read finds nothing new
    await c.advance(60_000);
    expect(await runs(c)).toHaveLength(4);
  });
});
