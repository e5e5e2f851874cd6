// email.send: SMTP through nodemailer when FLOWDESK_SMTP_HOST is set; otherwise the local outbox
// (the 'outbox' collection in the data dir, GET /api/outbox), so blueprints run on a fresh install.
//
// Idempotency: the command's idempotency key (`<runId>:<nodeId>`) is sent as the
// `X-Flowdesk-Idempotency-Key` header and seeds the Message-ID, and the outbox document id is derived
// from it, so a retried attempt neither stores twice nor sends a different Message-ID.
//
// Error classes (the retry vocabulary is HTTP's; SMTP codes are mapped by meaning, not by digit):
//   connection refused / reset / DNS → 'network'; connect, greeting or socket timeout → 'timeout';
//   SMTP 4xx reply (transient: 421, 450, 451, 452) → '5xx' (retried by the default retryOn);
//   SMTP 5xx reply (permanent: 550 no such mailbox, 535 auth failed, 554) → '4xx' (fails at once);
//   bad params → 'error'.
import { createHash, randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { paramsWithRole, specOf, type ErrorClass } from '@flowdesk/schema';
import { ActionFailure, defineExecutor } from './define.ts';
import type { ActionDeps } from './types.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  user?: string;
  password?: string;
  from: string;
  secure: boolean;
}

export interface EmailMessage {
  to: string | string[];
  subject: string;
  text?: string;
  html?: string;
  from?: string;
  cc?: string | string[];
  replyTo?: string;
}

export interface EmailDelivery {
  messageId: string;
  transport: 'smtp' | 'outbox';
  accepted?: string[];
  rejected?: string[];
}

/** What sending needs: the store (outbox), the clock and the FLOWDESK_* settings; run/node for the outbox entry. */
export interface EmailDeps {
  store: ActionDeps['store'];
  clock: ActionDeps['clock'];
  env: ActionDeps['env'];
  run?: { id: string; flowId: string };
  nodeId?: string;
}

export const DEFAULT_FROM = 'flowdesk@localhost';
const DEFAULT_TIMEOUT_MS = 10_000;

export class EmailError extends Error {
  constructor(
    message: string,
    readonly errorClass: ErrorClass,
    readonly responseCode?: number,
  ) {
    super(message);
    this.name = 'EmailError';
  }
}

const truthyEnv = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

/** SMTP settings from FLOWDESK_SMTP_*; undefined when no host is set (outbox mode). */
export function smtpSettings(env: Record<string, string | undefined>): SmtpSettings | undefined {
  const host = env.FLOWDESK_SMTP_HOST?.trim();
  if (!host) return undefined;
  const secure = truthyEnv(env.FLOWDESK_SMTP_SECURE);
  const port = env.FLOWDESK_SMTP_PORT ? Number(env.FLOWDESK_SMTP_PORT) : secure ? 465 : 587;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EmailError(`FLOWDESK_SMTP_PORT is not a port number: ${JSON.stringify(env.FLOWDESK_SMTP_PORT)}`, 'error');
  return {
    host,
    port,
    user: env.FLOWDESK_SMTP_USER || undefined,
    password: env.FLOWDESK_SMTP_PASSWORD || undefined,
    from: env.FLOWDESK_SMTP_FROM || DEFAULT_FROM,
    secure,
  };
}

const transports = new Map<string, Transporter>();

/** One transporter per settings (and timeout), created on first use. */
export function transportFor(s: SmtpSettings, timeoutMs = DEFAULT_TIMEOUT_MS): Transporter {
  const key = JSON.stringify([s.host, s.port, s.user ?? '', s.password ?? '', s.secure, timeoutMs]);
  let t = transports.get(key);
  if (!t) {
    t = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      auth: s.user ? { user: s.user, pass: s.password ?? '' } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    transports.set(key, t);
  }
  return t;
}

/** Closes every cached transporter (runtime shutdown, tests). */
export function closeEmailTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}

const hash = (s: string): string => createHash('sha256').update(s).digest('hex');

function domainOf(address: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(address);
  return m ? m[1]! : 'flowdesk.local';
}

/** `<hash(key)@domain-of-from>`: the same key always gives the same Message-ID. */
export function messageIdFor(idempotencyKey: string, from: string): string {
  return `<${hash(idempotencyKey).slice(0, 32)}@${domainOf(from)}>`;
}

export const outboxIdFor = (idempotencyKey: string): string => `mail-${hash(idempotencyKey).slice(0, 24)}`;

const list = (v: unknown): string[] => {
  if (Array.isArray(v)) return v.flatMap(list);
  if (typeof v !== 'string') return [];
  return v.split(',').map((x) => x.trim()).filter(Boolean);
};

const ADDRESS = /^[^\s@<>,]+@[^\s@<>,]+$|^[^<>]*<[^\s@<>,]+@[^\s@<>,]+>$/;

/** One address and nothing that could make it two: `a@b.c` or `Name <a@b.c>` (no `,` `;` `:` `"` or line break). */
const ONE_ADDRESS = /^[^\s@<>,;:"\\]+@[^\s@<>,;:"\\]+$|^[^@<>,;:"\\\r\n]*<[^\s@<>,;:"\\]+@[^\s@<>,;:"\\]+>$/;

function whyNotOne(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 1 ? whyNotOne(value[0]) : `is a list of ${value.length}`;
  if (typeof value !== 'string') return `is ${value === null ? 'empty' : `a ${typeof value}`}`;
  if (ONE_ADDRESS.test(value)) return undefined;
  if (/[,;\r\n]/.test(value) || (value.match(/@/g) ?? []).length > 1) return 'holds several addresses';
  return 'is not one e-mail address';
}

/**
 * Issue 12, item 10: an address an event built (a placeholder or `$logic` reading payload, headers, vars,
 * steps or record) must be exactly one address — `victim@x, attacker@y`, `;` lists, `<a> <b>` and line
 * breaks are refused. Lists the owner wrote (literally, or in config) stay allowed where the param takes
 * several (`to`, `cc`). Which params hold addresses comes from the spec's `email` role. Undefined when fine.
 */
export function eventAddressProblem(action: 'email.send' | 'report.weekly', params: Record<string, unknown>, fromEvent: readonly string[]): string | undefined {
  const built = new Set(fromEvent);
  for (const { pointer, value } of paramsWithRole({ action, params }, 'email')) {
    const places: [string, unknown][] = built.has(pointer) ? [[pointer, value]] : Array.isArray(value) ? value.map((v, i): [string, unknown] => [`${pointer}/${i}`, v]).filter(([p]) => built.has(p)) : [];
    for (const [at, v] of places) {
      const why = whyNotOne(v);
      if (why) {
        const name = `params${at.replace(/\//g, '.')}`;
        return `${name} ${JSON.stringify(v)} ${why}, but an address built from the event must be exactly one; the step sends nothing (to mail several, write them in the flow: an array like ["{{payload.email}}", "ops@example.com"])`;
      }
    }
  }
  return undefined;
}

/** Checks and normalises a message; throws EmailError('error') on bad params. */
export function normaliseMessage(p: Record<string, unknown>): EmailMessage & { to: string[]; cc: string[] } {
  const to = list(p.to);
  if (to.length === 0) throw new EmailError(`params.to must name at least one address (got ${JSON.stringify(p.to)})`, 'error');
  const cc = list(p.cc);
  for (const a of [...to, ...cc]) if (!ADDRESS.test(a)) throw new EmailError(`not an e-mail address: ${JSON.stringify(a)}`, 'error');
  if (typeof p.subject !== 'string' || p.subject.trim() === '') throw new EmailError('params.subject must be a non-empty string', 'error');
  const text = p.text === undefined || p.text === null ? undefined : typeof p.text === 'string' ? p.text : JSON.stringify(p.text);
  const html = typeof p.html === 'string' ? p.html : undefined;
  if (text === undefined && html === undefined) throw new EmailError('params.text or params.html is required', 'error');
  return {
    to,
    cc,
    // a subject is one header line: line breaks become spaces
    subject: p.subject.replace(/[\r\n]+/g, ' ').trim(),
    text,
    html,
    from: typeof p.from === 'string' && p.from ? p.from : undefined,
    replyTo: typeof p.replyTo === 'string' && p.replyTo ? p.replyTo : undefined,
  };
}

/** Maps a nodemailer error to Flowdesk's error classes (see the header comment). */
export function classifySmtpError(e: unknown): ErrorClass {
  const err = e as { code?: string; responseCode?: number; name?: string };
  if (typeof err.responseCode === 'number') {
    if (err.responseCode >= 400 && err.responseCode < 500) return '5xx';
    if (err.responseCode >= 500) return '4xx';
  }
  switch (err.code) {
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS':
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETLS':
    case 'EPROXY':
      return 'network';
    case 'EAUTH':
    case 'EENVELOPE':
    case 'EMESSAGE':
      return '4xx';
    default:
      return 'network';
  }
}

/**
 * Sends one message: SMTP when configured, else the outbox. `idempotencyKey` makes it safe to call
 * again for the same logical message. Throws EmailError (with its error class) on failure.
 */
export async function deliverEmail(
  params: Record<string, unknown>,
  deps: EmailDeps,
  opts: { idempotencyKey?: string; timeoutMs?: number } = {},
): Promise<EmailDelivery & { to: string[]; subject: string }> {
  const msg = normaliseMessage(params);
  const smtp = smtpSettings(deps.env);
  const from = msg.from ?? smtp?.from ?? deps.env.FLOWDESK_SMTP_FROM ?? DEFAULT_FROM;
  const key = opts.idempotencyKey ?? randomUUID();
  const messageId = messageIdFor(key, from);

  // the same message whether it is kept in the outbox or sent over SMTP
  const envelope = { from, to: msg.to, cc: msg.cc.length ? msg.cc : undefined, replyTo: msg.replyTo, subject: msg.subject, text: msg.text, html: msg.html };
  if (!smtp) {
    const id = outboxIdFor(key);
    const existing = await deps.store.getDoc('outbox', id);
    if (existing) return { messageId: String(existing.messageId ?? messageId), transport: 'outbox', to: msg.to, subject: msg.subject };
    await deps.store.putDoc('outbox', {
      id,
      messageId,
      ...envelope,
      runId: deps.run?.id,
      flowId: deps.run?.flowId,
      nodeId: deps.nodeId,
      idempotencyKey: opts.idempotencyKey,
      createdAt: new Date(deps.clock.now()).toISOString(),
    });
    return { messageId, transport: 'outbox', to: msg.to, subject: msg.subject };
  }

  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const transport = transportFor(smtp, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      transport.sendMail({
        ...envelope,
        messageId,
        headers: opts.idempotencyKey ? { 'X-Flowdesk-Idempotency-Key': opts.idempotencyKey } : undefined,
      }),
      new Promise<never>((_, reject) => {
        // a hard bound on the whole exchange, in case the server stalls between commands
        timer = setTimeout(() => reject(Object.assign(new Error(`SMTP send timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs + 1000);
      }),
    ]);
    const asStrings = (xs: unknown): string[] => (Array.isArray(xs) ? xs.map((x) => (typeof x === 'string' ? x : String((x as { address?: string }).address ?? x))) : []);
    return {
      messageId: info.messageId || messageId,
      transport: 'smtp',
      accepted: asStrings(info.accepted),
      rejected: asStrings(info.rejected),
      to: msg.to,
      subject: msg.subject,
    };
  } catch (e) {
    const err = e as Error & { responseCode?: number; code?: string };
    const where = `${smtp.host}:${smtp.port}`;
    const code = err.responseCode ? `SMTP ${err.responseCode}` : err.code ?? 'error';
    throw new EmailError(`${code} from ${where}: ${err.message}`, classifySmtpError(err), err.responseCode);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** For alerting (FLOWDESK_ALERT_EMAIL): the same SMTP-or-outbox path; throws on failure. */
export async function sendEmail(m: { to: string; subject: string; text: string; html?: string }, deps: EmailDeps, idempotencyKey?: string): Promise<EmailDelivery> {
  const { to: _to, subject: _s, ...delivery } = await deliverEmail(m, deps, { idempotencyKey });
  return delivery;
}

export const emailSend = defineExecutor(specOf('email.send'), async (p, { cmd, deps }) => {
  const several = eventAddressProblem('email.send', p, cmd.provenance.fromEvent);
  if (several) throw new ActionFailure('error', several);
  try {
    const out = await deliverEmail(p, { store: deps.store, clock: deps.clock, env: deps.env, run: deps.run, nodeId: cmd.nodeId }, {
      idempotencyKey: cmd.idempotencyKey,
      timeoutMs: cmd.timeoutMs,
    });
    return { output: out };
  } catch (e) {
    throw e instanceof EmailError ? new ActionFailure(e.errorClass, e.message) : e;
  }
});

export default emailSend;
