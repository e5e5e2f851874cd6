// One IMAP session for an e-mail trigger (imapflow), as the reader and the IDLE watcher open it: TLS as
// the trigger says (starttls required, never silently plain; none only for this machine), the password
// from its secret, and errors that name what failed without the password.
import type { ImapFlow } from 'imapflow';
import type { TriggerOf } from '@flowdesk/schema';
import type { Secrets } from '../security/secrets.ts';

type EmailTrigger = TriggerOf<'email'>;
const TIMEOUT_MS = 30_000;

export const defaultPort = (t: EmailTrigger): number => ((t.tls ?? 'implicit') === 'implicit' ? 993 : 143);

/** A connected session (the caller logs out); throws a message fit for the trigger's alert. */
export async function connectMailbox(t: EmailTrigger, deps: { secrets: Secrets }, opts: { idle?: boolean } = {}): Promise<ImapFlow> {
  const pass = deps.secrets.secret(t.password);
  if (pass === undefined) throw new Error(`the secret ${t.password} (the mailbox password) is not set: FLOWDESK_SECRET_${t.password}`);
  const tls = t.tls ?? 'implicit';
  // loaded on first use: a runtime without an e-mail trigger never holds the IMAP client
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: t.host,
    port: t.port ?? defaultPort(t),
    secure: tls === 'implicit',
    doSTARTTLS: tls === 'starttls' ? true : tls === 'none' ? false : undefined,
    auth: { user: t.user, pass },
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
    throw new Error(err.authenticationFailed ? `login refused for ${t.user} at ${t.host}${err.responseText ? `: ${err.responseText}` : ''}` : `cannot connect to ${t.host}: ${err.message}`);
  }
  return client;
}
