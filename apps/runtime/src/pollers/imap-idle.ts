// The e-mail trigger's doorbell: while a flow is on, one IMAP session per mailbox sits in IDLE
// (RFC 2177) and, when the server announces new mail (EXISTS grew), asks for a read now instead of at
// the next poll slot. It reads nothing itself — the read is the poll timer's, with its lease, cursor
// and backoff — so a missed bell costs at most one interval. A server without IDLE gets no session
// (polling only); a dropped session is reopened with backoff (1 s doubling to 5 min).
import type { ImapFlow } from 'imapflow';
import type { TriggerOf } from '@flowdesk/schema';
import type { Logger } from '../observability/logger.ts';
import type { Secrets } from '../security/secrets.ts';
import { connectMailbox } from './imap-client.ts';

type EmailTrigger = TriggerOf<'email'>;
export type IdleStatus = 'connecting' | 'idle' | 'unsupported' | 'retrying' | 'stopped';

const MIN_RETRY_MS = 1_000;
const MAX_RETRY_MS = 5 * 60_000;

export interface IdleWatch {
  readonly status: IdleStatus;
  stop(): Promise<void>;
}

export function watchMailbox(t: EmailTrigger, deps: { secrets: Secrets; log: Logger }, flowId: string, onNewMail: () => void): IdleWatch {
  let status: IdleStatus = 'connecting';
  let client: ImapFlow | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;
  let opened = false;
  const stopped = () => status === 'stopped'; // read after awaits: stop() may have run meanwhile

  const again = () => {
    if (stopped()) return;
    status = 'retrying';
    const ms = Math.min(MIN_RETRY_MS * 2 ** failures++, MAX_RETRY_MS);
    retry = setTimeout(() => void open(), ms);
    retry.unref();
  };

  const open = async () => {
    if (stopped()) return;
    status = 'connecting';
    let c: ImapFlow;
    try {
      c = await connectMailbox(t, deps, { idle: true });
    } catch (e) {
      // the poll read reports and alerts on the same failure; the bell only tries again
      deps.log.warn({ flowId, err: (e as Error).message }, 'e-mail trigger: IDLE session could not connect; polling meanwhile');
      return again();
    }
    if (stopped()) return void (await c.logout().catch(() => c.close()));
    if (!c.capabilities.has('IDLE')) {
      status = 'unsupported';
      deps.log.info({ flowId, host: t.host }, 'e-mail trigger: the server has no IDLE; polling only');
      return void (await c.logout().catch(() => c.close()));
    }
    client = c;
    c.on('exists', (e: { count: number; prevCount: number }) => {
      if (e.count > e.prevCount) onNewMail();
    });
    c.on('close', () => {
      if (client === c) client = undefined;
      again();
    });
    try {
      await c.mailboxOpen(t.mailbox ?? 'INBOX', { readOnly: true });
      failures = 0;
      status = 'idle';
      if (opened) onNewMail(); // reopened: whatever came while no session was open
      opened = true;
      while (client === c && !stopped() && c.usable) {
        if ((await c.idle()) === false) break;
      }
    } catch (e) {
      if (stopped()) return;
      deps.log.warn({ flowId, err: (e as Error).message }, 'e-mail trigger: IDLE session failed; polling meanwhile');
      c.close(); // 'close' schedules the next try
    }
  };
  void open();

  return {
    get status() {
      return status;
    },
    async stop() {
      status = 'stopped';
      clearTimeout(retry);
      const c = client;
      client = undefined;
      if (c) await c.logout().catch(() => c.close());
    },
  };
}
