// The e-mail trigger's IDLE doorbell against real Dovecot servers on loopback: while a flow is on, an
// IDLE session makes new mail start its run at once — the poll interval is a day on the ManualClock and
// the clock is never moved, so only IDLE can have made the read happen; the next slot then follows from
// that read. A server that does not offer IDLE gets polling only; a refused login never rings; pausing
// the flow ends the session; a session the server drops is reopened and reads what came meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';
import { rfc822, startImapServer, type ImapServer } from '../support/imap-server.ts';
import { eventually } from './support.ts';

const PASS = 'idle-pass-9Kd';
const DAY = 86_400_000;
const T0 = Math.floor(Date.now() / 1000) * 1000;
let imap: ImapServer;
let plain: ImapServer; // no IDLE capability
const dirs: string[] = [];
const runtimes: TestRuntime[] = [];

beforeAll(async () => {
  [imap, plain] = await Promise.all([startImapServer({ ivy: PASS, jo: PASS, kai: PASS, lu: PASS }), startImapServer({ max: PASS }, { noIdle: true })]);
}, 30_000);
afterAll(async () => {
  for (const rt of runtimes) await rt.close().catch(() => {});
  await Promise.all([imap?.stop(), plain?.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const inboxFlow = (server: ImapServer, user: string) => ({
  dsl: 1,
  id: 'inbox',
  name: 'inbox',
  trigger: { type: 'email', host: '127.0.0.1', port: server.port, tls: 'none', user, password: 'IMAP_PASS', interval: '1d' },
  nodes: [{ id: 'done', type: 'end' }],
  edges: [{ from: 'trigger', to: 'done' }],
});

async function start(flow: ReturnType<typeof inboxFlow>, password = PASS): Promise<TestRuntime> {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const rt = await startTestRuntime({ dataDir, clock: new ManualClock(T0), env: { FLOWDESK_SECRET_IMAP_PASS: password } });
  runtimes.push(rt);
  expect((await rt.put('/api/flows/inbox', flow)).status).toBe(200);
  await rt.settle(); // the first read (nothing yet); the next slot is a day away
  return rt;
}
async function deliver(server: ImapServer, user: string, messageId: string) {
  const c = await server.client(user, PASS);
  try {
    await c.append('INBOX', rfc822({ from: 'lead@example.com', to: `${user}@example.com`, subject: messageId, text: 'hi', messageId }), [], new Date(T0 + 1000));
  } finally {
    await c.logout();
  }
}
const keys = async (rt: TestRuntime) => ((await rt.get('/api/runs?flowId=inbox&limit=100')).body as { idempotencyKey: string }[]).map((r) => r.idempotencyKey).sort();
const idleStatus = (rt: TestRuntime) => rt.ctx.pollers.idleStatus('inbox');
const nextSlot = async (rt: TestRuntime) => (await rt.store.getTimer('poll:inbox'))?.dueAt;

describe('e-mail trigger: IDLE', () => {
  it('new mail starts its run at once, long before the next poll slot, with the clock not moved', { timeout: 60_000 }, async () => {
    const rt = await start(inboxFlow(imap, 'ivy'));
    expect(await nextSlot(rt)).toBe(new Date(T0 + DAY).toISOString());
    await eventually(async () => (idleStatus(rt) === 'idle' ? true : undefined), 15_000);

    await deliver(imap, 'ivy', '<i1@example.com>');
    await eventually(async () => ((await keys(rt)).length === 1 ? true : undefined), 15_000);
    await deliver(imap, 'ivy', '<i2@example.com>');
    await eventually(async () => ((await keys(rt)).length === 2 ? true : undefined), 15_000);
    await rt.settle();
    expect(rt.clock.now()).toBe(T0); // only IDLE can have read them
    expect(await keys(rt)).toEqual(['<i1@example.com>', '<i2@example.com>']);
    expect(await nextSlot(rt)).toBe(new Date(T0 + DAY).toISOString()); // the next slot follows from the last read
    // polling still reads as before: nothing new, nothing repeated
    await rt.advance(DAY);
    expect(await keys(rt)).toEqual(['<i1@example.com>', '<i2@example.com>']);
  });

  it('a server without IDLE gets no session: polling reads the mail at the next slot', { timeout: 60_000 }, async () => {
    const rt = await start(inboxFlow(plain, 'max'));
    await eventually(async () => (idleStatus(rt) === 'unsupported' ? true : undefined), 15_000);
    await deliver(plain, 'max', '<m1@example.com>');
    await rt.advance(DAY);
    expect(await keys(rt)).toEqual(['<m1@example.com>']);
  });

  it('a refused login opens no session and rings nothing; the poll read backs off as before', { timeout: 60_000 }, async () => {
    const rt = await start(inboxFlow(imap, 'jo'), 'wrong');
    await eventually(async () => (idleStatus(rt) === 'retrying' ? true : undefined), 15_000);
    expect((await rt.store.getDoc('settings', 'trigger-state:inbox'))?.failures).toBe(1);
    expect(await nextSlot(rt)).toBe(new Date(T0 + DAY).toISOString()); // backoff, capped at the interval
    expect(await keys(rt)).toEqual([]);
  });

  it('pausing the flow ends its session; switched back on, a new one rings for new mail', { timeout: 60_000 }, async () => {
    const rt = await start(inboxFlow(imap, 'kai'));
    await eventually(async () => (idleStatus(rt) === 'idle' ? true : undefined), 15_000);
    expect((await rt.post('/api/flows/inbox/active', { active: false })).status).toBe(200);
    expect(idleStatus(rt)).toBeUndefined();
    await deliver(imap, 'kai', '<k1@example.com>');
    expect((await rt.post('/api/flows/inbox/active', { active: true })).status).toBe(200);
    await rt.settle(); // switched on: read at once, as after any pause
    expect(await keys(rt)).toEqual(['<k1@example.com>']);
    await eventually(async () => (idleStatus(rt) === 'idle' ? true : undefined), 15_000);
    await deliver(imap, 'kai', '<k2@example.com>');
    await eventually(async () => ((await keys(rt)).length === 2 ? true : undefined), 15_000);
    expect(rt.clock.now()).toBe(T0);
  });

  it('a session the server drops is reopened, and mail that came meanwhile is read', { timeout: 60_000 }, async () => {
    const rt = await start(inboxFlow(imap, 'lu'));
    await eventually(async () => (idleStatus(rt) === 'idle' ? true : undefined), 15_000);
    // the server ends every session of lu (as a restart or an admin's kick would)
    await imap.kick('lu');
    await eventually(async () => (idleStatus(rt) === 'retrying' ? true : undefined), 5_000); // reopened in 1 s
    await deliver(imap, 'lu', '<l1@example.com>'); // most likely while no session is open
    await eventually(async () => ((await keys(rt)).length === 1 ? true : undefined), 20_000);
    expect(rt.clock.now()).toBe(T0);
    expect(await keys(rt)).toEqual(['<l1@example.com>']);
  });
});
