// One IMAP session for an e-mail trigger (imapflow), as the reader and the IDLE watcher open it: TLS as
// the trigger says (starttls required, never silently plain; none only for this machine), the password
// from its secret, and errors that name what failed without the password.
import type { ImapFlow } from 'imapflow';
import { LOOPBACK_HOSTS, type TriggerOf } from '@flowdesk/schema';
import type { Secrets } from '../security/secrets.ts';

type EmailTrigger = TriggerOf<'email'>;
const TIMEOUT_MS = 30_000;

export const defaultPort = (t: EmailTrigger): number => ((t.tls ?? 'implicit') === 'implicit' ? 993 : 143);

/** Where and as whom a trigger logs in, with host and user taken from config where it says so. */
export type MailboxAccess = { host: string; user: string; pass: string } | { notConfigured: string };

const CONFIG_REF = /^\{\{config\.([A-Z][A-Z0-9_]*)\}\}$/;

/**
 * The trigger's host, user and password — or why it is not configured yet (a config value or the
 * password secret not set): a blueprint deployed on a fresh install waits for its owner, it does not fail.
 */
export function mailboxAccess(t: EmailTrigger, secrets: Secrets): MailboxAccess {
  const fromConfig = (v: string): string | { missing: string } => {
    const m = CONFIG_REF.exec(v);
    if (!m) return v;
    return secrets.config(m[1]!) ?? { missing: `config ${m[1]} is not set (FLOWDESK_CONFIG_${m[1]})` };
  };
  const host = fromConfig(t.host);
  if (typeof host !== 'string') return { notConfigured: host.missing };
  const user = fromConfig(t.user);
  if (typeof user !== 'string') return { notConfigured: user.missing };
  const pass = secrets.secret(t.password);
  if (pass === undefined) return { notConfigured: `the secret ${t.password} (the mailbox password) is not set (FLOWDESK_SECRET_${t.password})` };
  return { host, user, pass };
}

/** A connected session (the caller logs out); throws a message fit for the trigger's alert. */
export async function connectMailbox(t: EmailTrigger, deps: { secrets: Secrets }, opts: { idle?: boolean } = {}): Promise<ImapFlow> {
  const access = mailboxAccess(t, deps.secrets);
  if ('notConfigured' in access) throw new Error(access.notConfigured);
  const { host, user, pass } = access;
  const tls = t.tls ?? 'implicit';
  // deploy checks a written host; one from config is checked here, before the password is sent
  if (tls === 'none' && !(LOOPBACK_HOSTS as readonly string[]).includes(host)) throw new Error(`tls "none" would send the password in clear to ${host}: only for a server on this machine`);
  // loaded on first use: a runtime without an e-mail trigger never holds the IMAP client
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host,
    port: t.port ?? defaultPort(t),
    secure: tls === 'implicit',
    doSTARTTLS: tls === 'starttls' ? true : tls === 'none' ? false : undefined,
    auth: { user, pass },
    logger: false,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    // an IDLE session is quiet by design: imapflow re-issues IDLE every maxIdleTime instead
    socketTimeout: opts.idle ? undefined : TIMEOUT_MS,
    disableAutoIdle: true,
    ...(opts.idle ? { maxIdleTime: 4 * 60_000 } : {}), // under imapflow's 5-minute socket timeout
  });
  client.on('error', () => {}); // surfaced by the awaited command that fails, or by 'close'
  try {
    await client.connect();
  } catch (e) {
    const err = e as Error & { authenticationFailed?: boolean; responseText?: string };
    throw new Error(err.authenticationFailed ? `login refused for ${user} at ${host}${err.responseText ? `: ${err.responseText}` : ''}` : `cannot connect to ${host}: ${err.message}`);
  }
  return client;
}
