import { Type } from '@sinclair/typebox';
import { Duration, Logic, PayloadSchema, SecretName } from '../primitives.ts';
import { isDuration, parseDuration } from '../duration.ts';
import { defineTrigger } from '../spec/index.ts';

/** Names that mean this machine: the only hosts a mailbox may be read from without TLS. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1', '[::1]'] as const;
/** Attachment limits per message (the file store is apps/runtime/src/files/). */
export const ATTACHMENT_LIMITS = { maxBytes: 10 * 1024 * 1024, maxFiles: 20 } as const;
/** How often a mailbox or a URL may be read at most (a shorter interval is refused at deploy). */
export const MIN_POLL_INTERVAL_MS = 10_000;
/** A duration field's value in ms; Infinity when absent or not a duration (the schema reports that). */
export const durationMs = (d: unknown): number => (isDuration(d) ? parseDuration(d) : Infinity);

export default defineTrigger({
  type: 'email',
  schema: Type.Object(
    {
      type: Type.Literal('email'),
      host: Type.String({ minLength: 1, maxLength: 253, pattern: '^([A-Za-z0-9.:\\[\\]-]+|\\{\\{config\\.[A-Z][A-Z0-9_]*\\}\\})$', description: 'the IMAP server, e.g. imap.fastmail.com, or {{config.NAME}}' }),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'default 993 (TLS), 143 with starttls or none' })),
      tls: Type.Optional(Type.Union([Type.Literal('implicit'), Type.Literal('starttls'), Type.Literal('none')], { description: 'implicit (default), starttls, or none (loopback hosts only)' })),
      user: Type.String({ minLength: 1, maxLength: 320, description: 'the login, or {{config.NAME}}' }),
      password: SecretName,
      mailbox: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'default INBOX' })),
      interval: Type.Optional(Duration),
      markSeen: Type.Optional(Type.Boolean({ description: 'flag each message \\Seen once its run is stored (default false)' })),
      moveTo: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'move each message to this mailbox once its run is stored' })),
      payloadSchema: Type.Optional(PayloadSchema),
      filter: Type.Optional(Logic),
    },
    { additionalProperties: false },
  ),
  label: 'E-mail (IMAP)',
  help: 'Starts a run for every new message in a mailbox',
  summary: (t) => `${t.user} @ ${t.host} · ${t.mailbox ?? 'INBOX'}`,
  check(t, c) {
    // a host from config is checked when it is read (the value is not known here)
    if (t.tls === 'none' && typeof t.host === 'string' && !t.host.startsWith('{{') && !(LOOPBACK_HOSTS as readonly string[]).includes(t.host)) {
      c.error('"none" sends the password in clear: only for a server on this machine (127.0.0.1, localhost, ::1); use "implicit" or "starttls"', 'tls');
    }
    c.duration(t.interval, 'interval');
    if (durationMs(t.interval) < MIN_POLL_INTERVAL_MS) c.error(`is shorter than ${MIN_POLL_INTERVAL_MS / 1000}s`, 'interval');
    if (t.moveTo !== undefined && t.moveTo === (t.mailbox ?? 'INBOX')) c.error('is the mailbox read: a message would be read again', 'moveTo');
  },
  docs: {
    fields:
      '`host`, `port` (993), `tls` (`implicit`, `starttls`, or `none` for a server on this machine only), `user` (host and user may be `{{config.NAME}}`), `password` (a secret name; while it or a config value is not set the trigger is *not configured*: it reads nothing and raises nothing), `mailbox` (`INBOX`), `interval` (`1m`, at least 10s), `markSeen` / `moveTo` (off by default: the mailbox is left as it was; done only after the run is stored), `payloadSchema`, `filter`. One run per new message, payload `{from, to, cc, subject, text, html, date, messageId, inReplyTo, attachments}`; deduped by Message-ID (else UIDVALIDITY + UID); the last UID seen is kept, so restarts neither miss nor repeat mail; on first activation only mail arriving afterwards starts runs; where the server offers IDLE, new mail is read at once (polling stays the fallback)',
  },
});
