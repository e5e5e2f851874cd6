// The e-mail trigger's read: one IMAP session (imapflow) per read. New messages are the UIDs above the
// cursor (same UIDVALIDITY); on the first read, or after the server changed UIDVALIDITY, the messages
// that arrived (INTERNALDATE) since the trigger was switched on / last read. Each message is parsed
// (mailparser), its attachments stored like form files, and its run created durably before the
// cursor moves — a crash in between reads it again and the Message-ID key makes that a duplicate.
// The mailbox is left as it was (opened read-only with EXAMINE: no \Seen, no move) unless the trigger
// opts in, and then only after the run is stored.
import type { AddressObject, ParsedMail } from 'mailparser';
import { ATTACHMENT_LIMITS, type Flow, type TriggerOf } from '@flowdesk/schema';
import type { FileRef } from '../files/file-store.ts';
import { admitItem } from './admit-item.ts';
import { saveState, type TriggerState } from './trigger-state.ts';
import type { PollerDeps, ReadGuard, ReadResult } from './pollers.ts';
import { randomUUID } from 'node:crypto';
import { connectMailbox, defaultPort } from './imap-client.ts';

export type EmailTrigger = TriggerOf<'email'>;
/** Messages read per session; more wait for the next read, which comes at once. */
export const MESSAGES_PER_READ = 50;

export const mailboxSource = (t: EmailTrigger): string => `imap://${encodeURIComponent(t.user)}@${t.host}:${t.port ?? defaultPort(t)}/${t.mailbox ?? 'INBOX'}`;

const addresses = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => ({ address: v.address ?? '', name: v.name ?? '' })));

export async function readMailbox(flow: Flow & { trigger: EmailTrigger }, state: TriggerState, deps: PollerDeps, guard: ReadGuard = { lost: false }): Promise<ReadResult & { state: TriggerState }> {
  const t = flow.trigger;
  const client = await connectMailbox(t, deps);
  try {
    const mailbox = t.mailbox ?? 'INBOX';
    const lock = await client.getMailboxLock(mailbox, { readOnly: !t.markSeen && !t.moveTo });
    try {
      const box = client.mailbox;
      if (!box) throw new Error(`mailbox ${mailbox} could not be opened`);
      const uidValidity = String(box.uidValidity);
      let uids: number[];
      if (state.uidValidity === uidValidity && state.lastUid !== undefined) {
        const last = state.lastUid;
        uids = ((await client.search({ uid: `${last + 1}:*` }, { uid: true })) || []).filter((u) => u > last);
      } else {
        // first read, or the server renumbered the mailbox: mail that arrived since then
        const since = state.uidValidity ? state.lastReadAt ?? state.since : state.since;
        const day = new Date(since);
        day.setUTCHours(0, 0, 0, 0);
        const candidates = (await client.search({ since: new Date(day.getTime() - 86_400_000) }, { uid: true })) || [];
        uids = [];
        if (candidates.length) {
          for await (const m of client.fetch(candidates.join(','), { uid: true, internalDate: true }, { uid: true })) {
            const at = m.internalDate instanceof Date ? m.internalDate.getTime() : Date.parse(String(m.internalDate));
            if (at >= since) uids.push(m.uid);
          }
        }
        // the cursor starts below the first new message (UIDs grow with arrival): older mail is never read
        const uidNext = Number(box.uidNext ?? 1);
        state = { ...state, uidValidity, lastUid: uids.length ? Math.min(...uids) - 1 : uidNext - 1 };
        await saveState(deps.store, state);
      }
      uids.sort((a, b) => a - b);
      const batch = uids.slice(0, MESSAGES_PER_READ);
      let started = 0;
      let stopped = false;
      for (const uid of batch) {
        if (guard.lost) {
          stopped = true; // the lease is gone: another instance may read now; the cursor keeps the rest
          break;
        }
        const msg = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
        if (!msg || !msg.source) continue;
        const runId = randomUUID();
        const { simpleParser } = await import('mailparser'); // loaded on first use, as the IMAP client
        const parsed = await simpleParser(msg.source, { skipImageLinks: true, skipTextToHtml: true });
        const payload = await mailPayload(parsed, uid, runId, deps);
        const key = parsed.messageId || `${uidValidity}:${uid}`;
        const outcome = await admitItem(flow, { kind: 'email', mailbox, uid, key }, payload, deps, runId);
        if (outcome === 'started') started++;
        if (t.markSeen) await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        if (t.moveTo) await client.messageMove(String(uid), t.moveTo, { uid: true });
        state = { ...state, uidValidity, lastUid: uid };
        await saveState(deps.store, state);
      }
      const more = uids.length > batch.length && !stopped;
      if (!more && !stopped) {
        state = { ...state, lastReadAt: deps.clock.now() };
        await saveState(deps.store, state);
      }
      return { started, more, state };
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function mailPayload(m: ParsedMail, uid: number, runId: string, deps: Pick<PollerDeps, 'files'>) {
  const attachments: (FileRef | { name: string; type: string; size: number; skipped: string })[] = [];
  for (const a of m.attachments ?? []) {
    const name = a.filename ?? 'attachment';
    const type = a.contentType || 'application/octet-stream';
    if (attachments.length >= ATTACHMENT_LIMITS.maxFiles) {
      attachments.push({ name, type, size: a.size, skipped: `more than ${ATTACHMENT_LIMITS.maxFiles} attachments` });
    } else if (a.size > ATTACHMENT_LIMITS.maxBytes) {
      attachments.push({ name, type, size: a.size, skipped: `over ${ATTACHMENT_LIMITS.maxBytes} bytes` });
    } else {
      const f = await deps.files.put(a.content, { owner: runId, name, type, maxBytes: ATTACHMENT_LIMITS.maxBytes });
      attachments.push({ id: f.id, name: f.name, type: f.type, size: f.size, sha256: f.sha256, url: f.url });
    }
  }
  const from = addresses(m.from)[0] ?? null;
  return {
    from,
    to: addresses(m.to),
    cc: addresses(m.cc),
    subject: m.subject ?? '',
    text: m.text ?? '',
    html: typeof m.html === 'string' ? m.html : null,
    date: m.date ? m.date.toISOString() : null,
    messageId: m.messageId ?? null,
    inReplyTo: m.inReplyTo ?? null,
    attachments,
    uid,
  };
}
