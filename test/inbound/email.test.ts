// The e-mail trigger against a real IMAP server (a private Dovecot on loopback): new mail → one run
// each with the parsed fields, the mailbox left as it was; a restart between the runs' creation and
// the cursor write neither loses nor repeats mail; opt-in \Seen and move only after the run is stored;
// refused credentials → backoff, one alert, and the mail read once the login works; a paused flow
// reads nothing and keeps what is unread. Time is the ManualClock: reads happen when it is advanced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';
import { rfc822, startImapServer, type ImapServer } from '../support/imap-server.ts';

const PASS = 'mail-pass-7Qx';
let imap: ImapServer;
const dirs: string[] = [];
const T0 = Math.floor(Date.now() / 1000) * 1000; // IMAP keeps arrival times in whole seconds

beforeAll(async () => {
  imap = await startImapServer({ ada: PASS, bob: PASS, carol: PASS, dan: PASS, eve: PASS });
}, 30_000);
afterAll(async () => {
  await imap?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const inboxFlow = (id: string, trigger: Record<string, unknown>) => ({
  dsl: 1,
  id,
  name: id,
  trigger: { type: 'email', host: '127.0.0.1', port: imap.port, tls: 'none', password: 'IMAP_PASS', interval: '1m', ...trigger },
  nodes: [{ id: 'done', type: 'end' }],
  edges: [{ from: 'trigger', to: 'done' }],
});

async function start(dataDir: string, env: Record<string, string> = { FLOWDESK_SECRET_IMAP_PASS: PASS }, at = T0): Promise<TestRuntime> {
  return startTestRuntime({ dataDir, clock: new ManualClock(at), env });
}
async function deliver(user: string, msg: Parameters<typeof rfc822>[0], at: number, mailbox = 'INBOX') {
  const c = await imap.client(user, PASS);
  try {
    await c.append(mailbox, rfc822(msg), [], new Date(at));
  } finally {
    await c.logout();
  }
}
async function flagsOf(user: string, mailbox = 'INBOX'): Promise<{ uid: number; flags: string[]; subject: string }[]> {
  const c = await imap.client(user, PASS);
  const out: { uid: number; flags: string[]; subject: string }[] = [];
  try {
    const lock = await c.getMailboxLock(mailbox, { readOnly: true });
    try {
      if ((c.mailbox as { exists: number }).exists > 0) {
        for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true })) out.push({ uid: m.uid, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(), subject: m.envelope?.subject ?? '' });
      }
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
  return out;
}
const runsOf = async (rt: TestRuntime, flowId: string) => (await rt.get(`/api/runs?flowId=${flowId}&limit=1000`)).body as any[];
const timerDue = async (rt: TestRuntime, flowId: string) => (await rt.store.getTimer(`poll:${flowId}`))?.dueAt;

describe('e-mail trigger', () => {
  it('starts one run per new message with the parsed fields, skips mail from before it was switched on, and leaves the mailbox as it was', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    await deliver('ada', { from: 'Old Lead <old@example.com>', to: 'ada@example.com', subject: 'before', text: 'old' }, T0 - 3_600_000);
    const rt = await start(dataDir);
    try {
      expect((await rt.put('/api/flows/inbox', inboxFlow('inbox', { user: 'ada' }))).status).toBe(200);
      await rt.settle();
      expect(await runsOf(rt, 'inbox')).toHaveLength(0); // the message from before is not a new lead
      expect(await timerDue(rt, 'inbox')).toBe(new Date(T0 + 60_000).toISOString());

      await deliver('ada', { from: 'Grace Hopper <grace@example.com>', to: 'ada@example.com', subject: 'Quote for a website', text: 'Budget 9000', messageId: '<q1@example.com>' }, T0 + 1000);
      await deliver('ada', { from: 'lin@example.com', to: 'ada@example.com', subject: 'Re: proposal', text: 'Signed, attached.', messageId: '<q2@example.com>', inReplyTo: '<p1@ada.example>', attachment: { name: 'signed.pdf', type: 'application/pdf', content: Buffer.from('%PDF-1.4 signed') } }, T0 + 2000);
      await deliver('ada', { from: 'noid@example.com', to: 'ada@example.com', subject: 'no message id', text: 'x', messageId: null }, T0 + 3000);
      await rt.advance(60_000);
      const runs = await runsOf(rt, 'inbox');
      expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      // in arrival (UID) order; the runs share one instant on the ManualClock
      const full = (await Promise.all(runs.map(async (r) => (await rt.get(`/api/runs/${r.id}`)).body))).sort((a, b) => a.payload.uid - b.payload.uid);
      expect(full[0].payload).toMatchObject({ from: { address: 'grace@example.com', name: 'Grace Hopper' }, to: [{ address: 'ada@example.com', name: '' }], cc: [], subject: 'Quote for a website', messageId: '<q1@example.com>', inReplyTo: null, attachments: [] });
      expect(full[0].payload.text.trim()).toBe('Budget 9000');
      expect(full[0].trigger).toMatchObject({ type: 'email', mailbox: 'INBOX' });
      expect(full[0].idempotencyKey).toBe('<q1@example.com>');
      expect(full[1].payload).toMatchObject({ subject: 'Re: proposal', inReplyTo: '<p1@ada.example>', attachments: [{ name: 'signed.pdf', type: 'application/pdf', size: 15 }] });
      const file = await fetch(rt.url + full[1].payload.attachments[0].url);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-disposition')).toMatch(/^attachment/);
      expect(await file.text()).toBe('%PDF-1.4 signed');
      expect(full[2].idempotencyKey).toMatch(/^[0-9]+:[0-9]+$/); // no Message-ID: UIDVALIDITY:UID
      // nothing flagged \Seen, nothing moved
      expect((await flagsOf('ada')).map((m) => [m.subject, m.flags])).toEqual([['before', []], ['Quote for a website', []], ['Re: proposal', []], ['no message id', []]]);

      await rt.advance(60_000);
      expect(await runsOf(rt, 'inbox')).toHaveLength(3); // read again: nothing new
      expect(await timerDue(rt, 'inbox')).toBe(new Date(T0 + 180_000).toISOString());
    } finally {
      await rt.close();
    }
  });

  it('a restart between the runs and the cursor write repeats no run and misses no mail', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    let rt = await start(dataDir);
    expect((await rt.put('/api/flows/inbox', inboxFlow('inbox', { user: 'bob' }))).status).toBe(200);
    await rt.settle();
    for (let i = 1; i <= 3; i++) await deliver('bob', { from: `l${i}@example.com`, to: 'bob@example.com', subject: `lead ${i}`, text: 'hi', messageId: i === 3 ? null : `<b${i}@example.com>` }, T0 + i * 1000);
    await rt.advance(60_000);
    expect(await runsOf(rt, 'inbox')).toHaveLength(3);
    // what the data dir holds when the process dies after creating the runs and before the cursor
    // write: the cursor as it was before this read
    const state = (await rt.store.getDoc('settings', 'trigger-state:inbox'))!;
    expect(state.lastUid).toBe(3);
    await rt.store.putDoc('settings', { ...state, lastUid: 0 });
    await rt.close();

    await deliver('bob', { from: 'l4@example.com', to: 'bob@example.com', subject: 'lead 4', text: 'hi', messageId: '<b4@example.com>' }, T0 + 90_000);
    rt = await start(dataDir, undefined, T0 + 120_000);
    try {
      await rt.settle();
      const runs = await runsOf(rt, 'inbox');
      expect(runs.map((r) => r.payload?.subject ?? r.idempotencyKey)).toHaveLength(4);
      expect(new Set(runs.map((r) => r.idempotencyKey)).size).toBe(4);
      expect((await rt.store.getDoc('settings', 'trigger-state:inbox'))!.lastUid).toBe(4);
    } finally {
      await rt.close();
    }
  });

  it('\\Seen and moving are opt-in, and done after the run is stored', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const c = await imap.client('carol', PASS);
    await c.mailboxCreate('Leads');
    await c.logout();
    const rt = await start(dataDir);
    try {
      expect((await rt.put('/api/flows/inbox', inboxFlow('inbox', { user: 'carol', markSeen: true, moveTo: 'Leads' }))).status).toBe(200);
      await rt.settle();
      await deliver('carol', { from: 'x@example.com', to: 'carol@example.com', subject: 'move me', text: 'hi', messageId: '<c1@example.com>' }, T0 + 1000);
      await rt.advance(60_000);
      expect(await runsOf(rt, 'inbox')).toHaveLength(1);
      expect(await flagsOf('carol')).toEqual([]);
      expect((await flagsOf('carol', 'Leads')).map((m) => [m.subject, m.flags])).toEqual([['move me', ['\\Seen']]]);
    } finally {
      await rt.close();
    }
  });

  it('refused credentials back off and raise one alert; once the login works, the mail that came meanwhile is read', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    let rt = await start(dataDir, { FLOWDESK_SECRET_IMAP_PASS: 'wrong' });
    expect((await rt.put('/api/flows/inbox', inboxFlow('inbox', { user: 'dan' }))).status).toBe(200);
    await deliver('dan', { from: 'y@example.com', to: 'dan@example.com', subject: 'while failing', text: 'hi', messageId: '<d1@example.com>' }, T0 + 1000);
    await rt.settle(); // read 1 fails → next in 2m
    expect(await timerDue(rt, 'inbox')).toBe(new Date(T0 + 120_000).toISOString());
    await rt.advance(120_000); // read 2 fails → 4m
    expect(await timerDue(rt, 'inbox')).toBe(new Date(T0 + 120_000 + 240_000).toISOString());
    expect((await rt.get('/api/alerts')).body.filter((a: any) => a.kind === 'trigger_failing')).toHaveLength(0);
    await rt.advance(240_000); // read 3 fails → alert, 8m
    await rt.advance(480_000); // read 4 fails → no second alert
    const alerts = (await rt.get('/api/alerts')).body.filter((a: any) => a.kind === 'trigger_failing');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].message).toMatch(/flow inbox: its mailbox could not be read 3 times in a row \(login refused for dan at 127\.0\.0\.1/);
    expect(JSON.stringify(alerts)).not.toContain(PASS);
    expect(await runsOf(rt, 'inbox')).toHaveLength(0);
    await rt.close();

    rt = await start(dataDir, undefined, T0 + 2_000_000); // past the backed-off read (due at 30 min)
    try {
      await rt.settle();
      const runs = await runsOf(rt, 'inbox');
      expect(runs.map((r) => r.idempotencyKey)).toEqual(['<d1@example.com>']);
      expect((await rt.store.getDoc('settings', 'trigger-state:inbox'))!.failures).toBe(0);
    } finally {
      await rt.close();
    }
  });

  it('a paused flow reads nothing; switched back on, it reads what came meanwhile', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const rt = await start(dataDir);
    try {
      expect((await rt.put('/api/flows/inbox', inboxFlow('inbox', { user: 'eve' }))).status).toBe(200);
      await rt.settle();
      expect((await rt.post('/api/flows/inbox/active', { active: false })).status).toBe(200);
      expect(await timerDue(rt, 'inbox')).toBeUndefined();
      await deliver('eve', { from: 'z@example.com', to: 'eve@example.com', subject: 'while paused', text: 'hi', messageId: '<e1@example.com>' }, T0 + 1000);
      await rt.advance(600_000);
      expect(await runsOf(rt, 'inbox')).toHaveLength(0);
      expect((await rt.post('/api/flows/inbox/active', { active: true })).status).toBe(200);
      await rt.settle();
      expect((await runsOf(rt, 'inbox')).map((r) => r.idempotencyKey)).toEqual(['<e1@example.com>']);
    } finally {
      await rt.close();
    }
  });

  it('host and user from config: not configured until set (no read, no failure, no alert); a config host with tls "none" must be this machine', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const flow = inboxFlow('inbox', { host: '{{config.MAIL_HOST}}', user: '{{config.MAIL_USER}}' });
    let rt = await start(dataDir, {});
    try {
      expect((await rt.put('/api/flows/inbox', flow)).status).toBe(200);
      await rt.settle();
      await rt.advance(60_000);
      expect(await rt.store.getDoc('settings', 'trigger-state:inbox')).toMatchObject({ failures: 0, notConfigured: 'config MAIL_HOST is not set (FLOWDESK_CONFIG_MAIL_HOST)' });
      expect(rt.ctx.pollers.idleStatus('inbox')).toBeUndefined();
    } finally {
      await rt.close();
    }
    rt = await start(dataDir, { FLOWDESK_CONFIG_MAIL_HOST: '127.0.0.1', FLOWDESK_CONFIG_MAIL_USER: 'ada' }, T0 + 120_000);
    try {
      await rt.advance(60_000);
      expect(await rt.store.getDoc('settings', 'trigger-state:inbox')).toMatchObject({ failures: 0, notConfigured: 'the secret IMAP_PASS (the mailbox password) is not set (FLOWDESK_SECRET_IMAP_PASS)' });
    } finally {
      await rt.close();
    }
    rt = await start(dataDir, { FLOWDESK_CONFIG_MAIL_HOST: 'imap.example.com', FLOWDESK_CONFIG_MAIL_USER: 'ada', FLOWDESK_SECRET_IMAP_PASS: PASS }, T0 + 240_000);
    try {
      await rt.advance(60_000);
      const state = (await rt.store.getDoc('settings', 'trigger-state:inbox')) as any;
      expect(state.notConfigured).toBeUndefined();
      expect(state.failures).toBe(1);
      expect(state.lastError).toBe('tls "none" would send the password in clear to imap.example.com: only for a server on this machine');
      expect(JSON.stringify(state)).not.toContain(PASS);
    } finally {
      await rt.close();
    }
  });

  it('refuses at deploy a password sent in clear to another machine, a too-short interval and a password that is not a secret name', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const rt = await start(dataDir);
    try {
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ user: 'ada', host: 'imap.example.com' }, '/trigger/tls', /sends the password in clear/],
        [{ user: 'ada', interval: '5s' }, '/trigger/interval', /shorter than 10s/],
        [{ user: 'ada', password: 'hunter2' }, '/trigger/password', /./],
        [{ user: 'ada', moveTo: 'INBOX' }, '/trigger/moveTo', /read again/],
        [{ user: 'ada', host: '{{config.mail_host}}' }, '/trigger/host', /pattern/],
        [{ user: 'ada', host: '{{secrets.MAIL_HOST}}' }, '/trigger/host', /pattern/],
      ];
      for (const [t, path, message] of cases) {
        const res = await rt.put('/api/flows/bad', inboxFlow('bad', t));
        expect(res.status, path).toBe(422);
        expect(res.body.errors.some((e: any) => e.path === path && message.test(e.message)), JSON.stringify(res.body.errors)).toBe(true);
      }
      expect(await rt.store.listFlows()).toEqual([]);
      expect(await rt.store.listTimers().then((ts) => ts.filter((t) => t.kind === 'poll'))).toEqual([]);
    } finally {
      await rt.close();
    }
  });
});
