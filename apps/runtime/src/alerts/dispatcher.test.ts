import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '@flowdesk/schema';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../observability/logger.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLowdbStore } from '../store/lowdb/index.ts';
import { createMemoryStore, newMemoryState } from '../store/memory/index.ts';
import type { Store } from '../store/types.ts';
import { createAlertDispatcher, type AlertDispatcherOptions } from './dispatcher.ts';

const T0 = Date.UTC(2025, 2, 3, 9, 0, 0);
const MIN = 60_000;
const failure = {
  flowId: 'lead-qualification',
  nodeId: 'welcome',
  runId: 'run-1',
  kind: 'dead_letter',
  severity: 'P1' as const,
  message: 'http.request failed after 4 attempts: HTTP 503',
};

// A real alert receiver on 127.0.0.1 (Slack-compatible incoming webhook).
interface Receiver {
  url: string;
  got: { text: string }[];
  status: number;
  hang: boolean;
  close(): Promise<void>;
}
async function startReceiver(): Promise<Receiver> {
  const pending: ServerResponse[] = [];
  const r = { got: [] as { text: string }[], status: 200, hang: false } as Receiver;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (r.hang) return void pending.push(res);
      r.got.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(r.status, { 'content-type': 'text/plain' }).end(r.status === 200 ? 'ok' : 'boom');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
  r.close = () =>
    new Promise<void>((resolve) => {
      for (const p of pending) p.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

const warnings: unknown[] = [];
const log: Logger = { info() {}, warn: (o) => void warnings.push(o), error: (o) => void warnings.push(o) };

let receiver: Receiver;
/** The real lowdb store in a temp data dir (reopen = close and open again), and the in-memory reference store. */
interface StoreKit {
  first: Store;
  reopen: () => Store;
  cleanup: () => void;
}
const STORES: Record<'lowdb' | 'memory', () => StoreKit> = {
  lowdb: () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowdesk-alerts-'));
    const make = () => createLowdbStore({ dataDir, fsync: false });
    return { first: make(), reopen: make, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
  },
  memory: () => {
    const state = newMemoryState();
    return { first: createMemoryStore(state), reopen: () => createMemoryStore(state), cleanup: () => {} };
  },
};
let kit: StoreKit;
/** A restart: the store is closed and opened again from what it persisted. */
async function reopen() {
  await store.close();
  store = kit.reopen();
  await store.open();
}
let store: Store;
let now: number;
const clock = { now: () => now };
const dispatcher = (over: Partial<AlertDispatcherOptions> = {}) =>
  createAlertDispatcher({ store, clock, env: { FLOWDESK_ALERT_WEBHOOK_URL: receiver.url }, log, ...over });

/** What the runtime's worker does: claim due timers and hand alert-summary ones to the dispatcher. */
async function fireDueTimers(d: ReturnType<typeof dispatcher>) {
  for (const t of await store.claimDueTimers(new Date(now).toISOString(), 100)) await d.onTimer(t);
}

describe.each(['lowdb', 'memory'] as const)('alert dispatcher (%s store)', (kind) => {
  beforeEach(async () => {
    receiver = await startReceiver();
    kit = STORES[kind]();
    store = kit.first;
    await store.open();
    now = T0;
    warnings.length = 0;
  });
  afterEach(async () => {
    await receiver.close();
    await store.close();
    kit.cleanup();
  });

  it('stores the alert and delivers Slack-style JSON with the severity at once', async () => {
    const alert = await dispatcher().raise(failure);
    expect(receiver.got).toHaveLength(1);
    expect(receiver.got[0].text.startsWith('[P1] lead-qualification/welcome: http.request failed after 4 attempts: HTTP 503')).toBe(true);
    expect(receiver.got[0].text).toContain('dead_letter');
    expect(receiver.got[0].text).toContain('run run-1');
    expect(alert).toMatchObject({ ...failure, at: new Date(T0).toISOString(), delivered: [{ channel: 'webhook', ok: true, at: new Date(T0).toISOString() }] });
    expect(alert.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await store.getDoc('alerts', alert.id)).toEqual(alert);
  });

  it('folds 5 identical failures within 10 minutes: the first at once, then one summary carrying the count 4', async () => {
    const d = dispatcher();
    const alerts: Alert[] = [];
    for (let i = 0; i < 5; i++) {
      now = T0 + i * 2 * MIN + 7_000;
      alerts.push(await d.raise({ ...failure, runId: `run-${i}` }));
    }
    expect(receiver.got).toHaveLength(1);
    expect((await store.listDocs('alerts')).length).toBe(5);
    expect(alerts.slice(1).every((a) => a.delivered?.length === 0)).toBe(true);
    const timer = await store.getTimer('alert-summary:lead-qualification:welcome:dead_letter');
    expect(timer).toMatchObject({ kind: 'alert-summary', dueAt: new Date(T0 + 10 * MIN + 7_000).toISOString() });

    now = T0 + 10 * MIN; // not due yet
    await fireDueTimers(d);
    expect(receiver.got).toHaveLength(1);

    now = T0 + 10 * MIN + 7_000;
    await fireDueTimers(d);
    expect(receiver.got).toHaveLength(2);
    expect(receiver.got[1].text).toMatch(/^\[P1\] lead-qualification\/welcome: 4 more alerts like this in the last 10 minutes \(dead_letter\)/);
    const last = await store.getDoc('alerts', alerts[4].id);
    expect(last?.delivered).toEqual([{ channel: 'webhook:summary', at: new Date(now).toISOString(), ok: true }]);
    expect(await store.listTimers()).toEqual([]);

    // the window is closed: the next failure goes out at once, and nothing more is summarised
    now += MIN;
    const next = await d.raise(failure);
    expect(next.delivered?.[0]).toMatchObject({ channel: 'webhook', ok: true });
    expect(receiver.got).toHaveLength(3);
    now += 11 * MIN;
    await fireDueTimers(d);
    expect(receiver.got).toHaveLength(3);
  });

  it('concurrent identical failures: exactly one goes out at once, the rest are summarised', async () => {
    const d = dispatcher();
    await Promise.all(Array.from({ length: 20 }, (_, i) => d.raise({ ...failure, runId: `run-${i}` })));
    expect(receiver.got).toHaveLength(1);
    now = T0 + 10 * MIN;
    await fireDueTimers(d);
    expect(receiver.got).toHaveLength(2);
    expect(receiver.got[1].text).toContain('19 more alerts like this');
  });

  it('folds per (flow, node, kind): a different node or kind goes out at once', async () => {
    const d = dispatcher();
    await d.raise(failure);
    await d.raise({ ...failure, nodeId: 'crm' });
    await d.raise({ ...failure, kind: 'retry_exhausted' });
    await d.raise({ ...failure, nodeId: undefined, kind: 'raised', severity: 'P0', message: 'manual alert' });
    await d.raise(failure);
    expect(receiver.got.map((g) => g.text.split(':')[0])).toEqual([
      '[P1] lead-qualification/welcome',
      '[P1] lead-qualification/crm',
      '[P1] lead-qualification/welcome',
      '[P0] lead-qualification',
    ]);
  });

  it('keeps the fold state in the store: it survives a restart', async () => {
    await dispatcher().raise(failure);
    await reopen(); // restart: the store reopened, a new dispatcher
    now = T0 + 3 * MIN;
    await dispatcher().raise({ ...failure, severity: 'P0' });
    await dispatcher().raise(failure);
    expect(receiver.got).toHaveLength(1);
    await reopen();
    now = T0 + 10 * MIN;
    await fireDueTimers(dispatcher());
    expect(receiver.got).toHaveLength(2);
    expect(receiver.got[1].text).toMatch(/^\[P0\] lead-qualification\/welcome: 2 more alerts like this/); // the most severe repeat
  });

  it('resume() sends a summary whose timer was claimed by a process that died before sending it', async () => {
    const d = dispatcher();
    await d.raise(failure);
    now = T0 + MIN;
    await d.raise(failure);
    now = T0 + 10 * MIN;
    expect(await store.claimDueTimers(new Date(now).toISOString(), 10)).toHaveLength(1); // claimed, then "crash"
    const restarted = dispatcher();
    await restarted.resume();
    expect(receiver.got).toHaveLength(2);
    expect(receiver.got[1].text).toContain('1 more alert like this in the last 10 minutes');
    await restarted.resume();
    expect(receiver.got).toHaveLength(2);
  });

  it('sends a late summary before the next window’s first alert when its timer has not fired yet', async () => {
    const d = dispatcher();
    await d.raise(failure);
    now = T0 + MIN;
    await d.raise(failure);
    await d.raise(failure);
    now = T0 + 15 * MIN; // the worker was busy; the timer is overdue
    await d.raise({ ...failure, message: 'again' });
    expect(receiver.got.map((g) => g.text.split('\n')[0])).toEqual([
      '[P1] lead-qualification/welcome: http.request failed after 4 attempts: HTTP 503',
      '[P1] lead-qualification/welcome: 2 more alerts like this in the last 10 minutes (dead_letter)',
      '[P1] lead-qualification/welcome: again',
    ]);
    await fireDueTimers(d); // the overdue timer now finds nothing to send
    expect(receiver.got).toHaveLength(3);
  });

  it('a receiver answering 500: the alert is stored, the delivery recorded as failed, raise() resolves', async () => {
    receiver.status = 500;
    const alert = await dispatcher().raise(failure);
    expect(receiver.got).toHaveLength(1);
    expect(alert.delivered).toEqual([{ channel: 'webhook', at: new Date(T0).toISOString(), ok: false, error: 'HTTP 500' }]);
    expect(await store.getDoc('alerts', alert.id)).toEqual(alert);
    expect(warnings).toHaveLength(1);
  });

  it('a receiver that is down or hangs: recorded as failed, never thrown', async () => {
    const url = receiver.url;
    await receiver.close();
    const down = await createAlertDispatcher({ store, clock, env: { FLOWDESK_ALERT_WEBHOOK_URL: url }, log }).raise(failure);
    expect(down.delivered?.[0]).toMatchObject({ channel: 'webhook', ok: false, error: 'network error: ECONNREFUSED' });

    receiver = await startReceiver();
    receiver.hang = true;
    const hung = await dispatcher({ webhookTimeoutMs: 150 }).raise({ ...failure, kind: 'other' });
    expect(hung.delivered?.[0]).toMatchObject({ channel: 'webhook', ok: false, error: 'timed out after 150 ms' });
  });

  it('redacts secret values from the stored alert and the delivered text', async () => {
    const alert = await dispatcher({ secretValues: () => ['sk-live-9f8e7d'] }).raise({ ...failure, message: 'HTTP 401 with key sk-live-9f8e7d' });
    expect(alert.message).toBe('HTTP 401 with key [redacted]');
    expect(JSON.stringify(await store.listDocs('alerts'))).not.toContain('sk-live-9f8e7d');
    expect(receiver.got[0].text).not.toContain('sk-live-9f8e7d');
  });

  it('with no channel configured the alert is only stored', async () => {
    const d = createAlertDispatcher({ store, clock, env: {}, log });
    expect(d.channels()).toEqual([]);
    const a = await d.raise(failure);
    expect(a.delivered).toEqual([]);
    expect(receiver.got).toHaveLength(0);
  });

  it('e-mails FLOWDESK_ALERT_EMAIL through sendEmail (a real local SMTP server)', async () => {
    const mails: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push(Buffer.concat(chunks).toString('utf8'));
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      const d = dispatcher({
        env: { FLOWDESK_ALERT_WEBHOOK_URL: receiver.url, FLOWDESK_ALERT_EMAIL: 'ops@example.com' },
        sendEmail: (m) => transport.sendMail({ from: 'flowdesk@localhost', ...m }),
      });
      expect(d.channels()).toEqual(['webhook', 'email']);
      const a = await d.raise(failure);
      expect(a.delivered?.map((x) => [x.channel, x.ok])).toEqual([
        ['webhook', true],
        ['email', true],
      ]);
      expect(mails).toHaveLength(1);
      expect(mails[0]).toContain('Subject: [Flowdesk P1] lead-qualification/welcome: dead_letter');
      expect(mails[0]).toContain('To: ops@example.com');
      expect(mails[0]).toContain('Run: run-1');
    } finally {
      transport.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});
