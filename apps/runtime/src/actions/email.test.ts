import { emptyProvenance } from '@flowdesk/engine';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createMemoryStore } from '../store/memory/index.ts';
import type { Store } from '../store/types.ts';
import { ManualClock } from '../clock.ts';
import type { ActionCommand, ActionDeps } from './types.ts';
import { classifySmtpError, closeEmailTransports, emailSend, eventAddressProblem, messageIdFor, outboxIdFor, sendEmail, smtpSettings } from './email.ts';

interface Received {
  from: string;
  rcpt: string[];
  raw: string;
  user?: string;
}

/** A real SMTP server on a free loopback port; `rcptCode` makes it refuse recipients with that reply. */
async function startSmtp(opts: { rcptCode?: number; auth?: { user: string; pass: string } } = {}) {
  const got: Received[] = [];
  const server = new SMTPServer({
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username });
      return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (opts.rcptCode) return cb(Object.assign(new Error(`refused ${address.address}`), { responseCode: opts.rcptCode }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        got.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpt: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { got, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const header = (raw: string, name: string): string | undefined => {
  const unfolded = raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(unfolded);
  return m?.[1];
};
const bodyOf = (raw: string): string => raw.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/=\r\n/g, '');

const cmd = (params: Record<string, unknown>, over: Partial<ActionCommand> = {}): ActionCommand => ({
  kind: 'action',
  nodeId: 'fast-response',
  action: 'email.send',
  params,
  provenance: emptyProvenance(),
  idempotencyKey: 'run-1:fast-response',
  attempt: 1,
  timeoutMs: 5_000,
  ...over,
});

const clock = new ManualClock(Date.parse('2026-01-05T09:00:00.000Z'));
const log = { info() {}, warn() {}, error() {} };
const depsWith = (store: Store, env: Record<string, string | undefined>): ActionDeps => ({
  store,
  clock,
  env,
  dataDir: '/nonexistent',
  log,
  run: { id: 'run-1', flowId: 'lead-qualification', flowVersion: 1 },
});

const message = { to: 'ada@lovelace-labs.example', subject: 'Thanks Ada: next steps for Lovelace Labs', text: 'Hi Ada,\n\nPick a slot for a scoping call.\n\nThe founder' };

afterAll(() => closeEmailTransports());

describe('email.send over SMTP (real smtp-server on loopback)', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    closeEmailTransports();
    await smtp.close();
  });
  afterEach(() => {
    smtp.got.length = 0;
  });
  const env = () => ({ FLOWDESK_SMTP_HOST: '127.0.0.1', FLOWDESK_SMTP_PORT: String(smtp.port), FLOWDESK_SMTP_FROM: 'Flowdesk <hello@flowdesk.test>' });

  it('delivers to, subject and body, keeps the message id, and sends the idempotency key', async () => {
    const store = createMemoryStore();
    const r = await emailSend(cmd({ ...message, cc: 'partner@lovelace-labs.example', replyTo: 'founder@flowdesk.test' }), depsWith(store, env()));
    expect(r.ok).toBe(true);
    const expectedId = messageIdFor('run-1:fast-response', 'Flowdesk <hello@flowdesk.test>');
    expect(r.output).toMatchObject({
      messageId: expectedId,
      transport: 'smtp',
      accepted: ['ada@lovelace-labs.example', 'partner@lovelace-labs.example'],
      rejected: [],
    });
    expect(smtp.got).toHaveLength(1);
    const m = smtp.got[0]!;
    expect(m.from).toBe('hello@flowdesk.test');
    expect(m.rcpt).toEqual(['ada@lovelace-labs.example', 'partner@lovelace-labs.example']);
    expect(header(m.raw, 'To')).toBe('ada@lovelace-labs.example');
    expect(header(m.raw, 'Cc')).toBe('partner@lovelace-labs.example');
    expect(header(m.raw, 'Reply-To')).toBe('founder@flowdesk.test');
    expect(header(m.raw, 'Subject')).toBe(message.subject);
    expect(header(m.raw, 'Message-ID')).toBe(expectedId);
    expect(header(m.raw, 'X-Flowdesk-Idempotency-Key')).toBe('run-1:fast-response');
    expect(bodyOf(m.raw)).toContain('Pick a slot for a scoping call.');
    // nothing went to the outbox
    expect(await store.listDocs('outbox')).toEqual([]);
  });

  it('a retried attempt carries the same Message-ID (the receiver can drop the duplicate)', async () => {
    const store = createMemoryStore();
    await emailSend(cmd(message), depsWith(store, env()));
    await emailSend(cmd(message, { attempt: 2 }), depsWith(store, env()));
    expect(smtp.got.map((m) => header(m.raw, 'Message-ID'))).toEqual([
      messageIdFor('run-1:fast-response', 'Flowdesk <hello@flowdesk.test>'),
      messageIdFor('run-1:fast-response', 'Flowdesk <hello@flowdesk.test>'),
    ]);
  });

  it('sendEmail (for alerts) goes the same way', async () => {
    const out = await sendEmail({ to: 'ops@example.com', subject: '[Flowdesk P1] x', text: 'alert body' }, { store: createMemoryStore(), clock, env: env() });
    expect(out.transport).toBe('smtp');
    expect(smtp.got).toHaveLength(1);
    expect(header(smtp.got[0]!.raw, 'Subject')).toBe('[Flowdesk P1] x');
  });

  it('refuses bad params without calling SMTP (error class "error")', async () => {
    const store = createMemoryStore();
    for (const p of [{ ...message, to: '' }, { ...message, to: 'not-an-address' }, { ...message, subject: '' }, { to: message.to, subject: 's' }]) {
      const r = await emailSend(cmd(p), depsWith(store, env()));
      expect(r).toMatchObject({ ok: false, errorClass: 'error' });
    }
    expect(smtp.got).toHaveLength(0);
  });

  it('keeps a subject on one line', async () => {
    await emailSend(cmd({ ...message, subject: 'Hello\r\nBcc: victim@example.com' }), depsWith(createMemoryStore(), env()));
    expect(header(smtp.got[0]!.raw, 'Subject')).toBe('Hello Bcc: victim@example.com');
    expect(header(smtp.got[0]!.raw, 'Bcc')).toBeUndefined();
    expect(smtp.got[0]!.rcpt).toEqual([message.to]);
  });
});

describe('email.send SMTP failures are classified', () => {
  it('SMTP 4xx (transient) → "5xx" (retryable); SMTP 5xx (permanent) → "4xx"', async () => {
    const transient = await startSmtp({ rcptCode: 451 });
    const permanent = await startSmtp({ rcptCode: 550 });
    try {
      const store = createMemoryStore();
      const r1 = await emailSend(cmd(message), depsWith(store, { FLOWDESK_SMTP_HOST: '127.0.0.1', FLOWDESK_SMTP_PORT: String(transient.port) }));
      expect(r1).toMatchObject({ ok: false, errorClass: '5xx' });
      expect(r1.error).toMatch(/SMTP 451/);
      const r2 = await emailSend(cmd(message), depsWith(store, { FLOWDESK_SMTP_HOST: '127.0.0.1', FLOWDESK_SMTP_PORT: String(permanent.port) }));
      expect(r2).toMatchObject({ ok: false, errorClass: '4xx' });
      expect(r2.error).toMatch(/SMTP 550/);
    } finally {
      closeEmailTransports();
      await transient.close();
      await permanent.close();
    }
  });

  it('authenticates with FLOWDESK_SMTP_USER/PASSWORD; a wrong password is a permanent failure', async () => {
    const s = await startSmtp({ auth: { user: 'flowdesk', pass: 's3cret' } });
    try {
      const base = { FLOWDESK_SMTP_HOST: '127.0.0.1', FLOWDESK_SMTP_PORT: String(s.port), FLOWDESK_SMTP_USER: 'flowdesk' };
      const ok = await emailSend(cmd(message), depsWith(createMemoryStore(), { ...base, FLOWDESK_SMTP_PASSWORD: 's3cret' }));
      expect(ok.ok).toBe(true);
      expect(s.got[0]!.user).toBe('flowdesk');
      const bad = await emailSend(cmd(message), depsWith(createMemoryStore(), { ...base, FLOWDESK_SMTP_PASSWORD: 'wrong' }));
      expect(bad).toMatchObject({ ok: false, errorClass: '4xx' });
      expect(bad.error).not.toContain('wrong');
    } finally {
      closeEmailTransports();
      await s.close();
    }
  });

  it('connection refused → "network"', async () => {
    // a port that was just free: bind, note it, close
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await emailSend(cmd(message), depsWith(createMemoryStore(), { FLOWDESK_SMTP_HOST: '127.0.0.1', FLOWDESK_SMTP_PORT: String(port) }));
    expect(r).toMatchObject({ ok: false, errorClass: 'network' });
    expect(r.error).toContain(`127.0.0.1:${port}`);
  });

  it('a server that never greets → "timeout"', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const r = await emailSend(cmd(message, { timeoutMs: 300 }), depsWith(createMemoryStore(), { FLOWDESK_SMTP_HOST: '127.0.0.1', FLOWDESK_SMTP_PORT: String(port) }));
      expect(r).toMatchObject({ ok: false, errorClass: 'timeout' });
    } finally {
      closeEmailTransports();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('classifySmtpError maps codes', () => {
    expect(classifySmtpError({ code: 'ETIMEDOUT' })).toBe('timeout');
    expect(classifySmtpError({ code: 'ECONNECTION' })).toBe('network');
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 452 })).toBe('5xx');
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 553 })).toBe('4xx');
  });
});

describe('email.send with no SMTP configured: the local outbox', () => {
  it('stores the message once, keyed by the idempotency key, and calls nothing outside', async () => {
    const store = createMemoryStore();
    const deps = depsWith(store, {});
    const r1 = await emailSend(cmd(message), deps);
    clock.advance(30_000);
    const r2 = await emailSend(cmd(message, { attempt: 2 }), deps);
    expect(r1).toMatchObject({ ok: true, output: { transport: 'outbox', messageId: messageIdFor('run-1:fast-response', 'flowdesk@localhost') } });
    expect(r2.output).toEqual(r1.output);
    const box = await store.listDocs('outbox');
    expect(box).toHaveLength(1);
    expect(box[0]).toMatchObject({
      id: outboxIdFor('run-1:fast-response'),
      to: ['ada@lovelace-labs.example'],
      subject: message.subject,
      text: message.text,
      runId: 'run-1',
      flowId: 'lead-qualification',
      nodeId: 'fast-response',
      idempotencyKey: 'run-1:fast-response',
      createdAt: '2026-01-05T09:00:00.000Z',
    });
    // another node's message is its own entry
    await emailSend(cmd(message, { nodeId: 'nurture-email', idempotencyKey: 'run-1:nurture-email' }), deps);
    expect(await store.listDocs('outbox')).toHaveLength(2);
  });

  it('sendEmail without SMTP lands in the outbox too', async () => {
    const store = createMemoryStore();
    const out = await sendEmail({ to: 'ops@example.com', subject: 'alert', text: 'x' }, { store, clock, env: {} });
    expect(out.transport).toBe('outbox');
    expect((await store.listDocs('outbox'))[0]).toMatchObject({ to: ['ops@example.com'], subject: 'alert' });
  });

  it('smtpSettings reads the environment', () => {
    expect(smtpSettings({})).toBeUndefined();
    expect(smtpSettings({ FLOWDESK_SMTP_HOST: 'smtp.example.com' })).toEqual({ host: 'smtp.example.com', port: 587, user: undefined, password: undefined, from: 'flowdesk@localhost', secure: false });
    expect(smtpSettings({ FLOWDESK_SMTP_HOST: 'smtp.example.com', FLOWDESK_SMTP_SECURE: 'true', FLOWDESK_SMTP_USER: 'u', FLOWDESK_SMTP_PASSWORD: 'p', FLOWDESK_SMTP_FROM: 'a@b.c' })).toEqual({
      host: 'smtp.example.com',
      port: 465,
      user: 'u',
      password: 'p',
      from: 'a@b.c',
      secure: true,
    });
  });
});

describe('eventAddressProblem: an address an event built is one address', () => {
  const problem = (params: Record<string, unknown>, fromEvent: string[]) => eventAddressProblem('email.send', { subject: 's', text: 't', ...params }, fromEvent);
  it('refuses every way of holding several', () => {
    for (const to of ['victim@x.com, attacker@y.com', 'victim@x.com;attacker@y.com', 'victim@x.com\nattacker@y.com', '<victim@x.com> <attacker@y.com>', 'victim@x.com attacker@y.com', 'a@x.com\r\nBcc: b@y.com', 'Doe, John <j@x.com>']) {
      expect(problem({ to }, ['/to']), to).toMatch(/^params\.to ".*" holds several addresses, but an address built from the event must be exactly one/);
    }
    expect(problem({ to: ['a@x.com', 'b@y.com'] }, ['/to'])).toMatch(/is a list of 2/);
    expect(problem({ to: ['ops@example.com', 'a@x.com, b@y.com'] }, ['/to/1'])).toMatch(/^params\.to\.1 /);
    expect(problem({ to: 'ok@x.com', cc: 'a@x.com,b@y.com' }, ['/to', '/cc'])).toMatch(/^params\.cc /);
    expect(problem({ to: 'ok@x.com', replyTo: 'a@x.com;b@y.com' }, ['/replyTo'])).toMatch(/^params\.replyTo /);
    expect(problem({ to: 'not-an-address' }, ['/to'])).toMatch(/is not one e-mail address/);
  });
  it('passes one address, with or without a name, and lists the owner wrote', () => {
    expect(problem({ to: 'ada@example.com' }, ['/to'])).toBeUndefined();
    expect(problem({ to: 'Ada Lovelace <ada@example.com>' }, ['/to'])).toBeUndefined();
    expect(problem({ to: ['ada@example.com', 'ops@example.com, boss@example.com'] }, ['/to/0'])).toBeUndefined();
    expect(problem({ to: 'a@x.com, b@y.com' }, [])).toBeUndefined(); // literal, or from config
  });
});
