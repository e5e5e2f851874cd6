// The side-panel fields of the triggers that read from elsewhere: an IMAP mailbox (email) and a URL
// polled on an interval (poll: JSON or RSS/Atom). Both start one run per new message or item.
import type { Trigger } from '@flowdesk/schema';
import { JsonField, NumberInput, Select, Text, withKey } from './fields.tsx';

type EmailTrigger = Extract<Trigger, { type: 'email' }>;
type PollTrigger = Extract<Trigger, { type: 'poll' }>;

const onOff = (v: boolean | undefined) => (v ? 'on' : 'off');

export function EmailOptions(props: { trigger: EmailTrigger; onChange: (t: Trigger) => void }) {
  const t = props.trigger;
  const set = (k: string, v: unknown) => props.onChange(withKey(t, k, v) as Trigger);
  return (
    <div className="fd-subsection" data-testid="email-options">
      <Text label="IMAP server" value={t.host} placeholder="imap.fastmail.com" onChange={(v) => set('host', v ?? '')} testid="email-host" />
      <NumberInput label="Port" value={t.port} min={1} onChange={(v) => set('port', v)} testid="email-port" />
      <Select label="TLS" value={t.tls ?? 'implicit'} options={['implicit', 'starttls', 'none']} onChange={(v) => set('tls', v === 'implicit' ? undefined : v)} testid="email-tls" />
      <Text label="User" value={t.user} onChange={(v) => set('user', v ?? '')} testid="email-user" />
      <Text label="Password (secret name)" value={t.password} placeholder="IMAP_PASSWORD" onChange={(v) => set('password', v ?? '')} testid="email-password" hint="the value comes from FLOWDESK_SECRET_<NAME>; a flow never holds it" />
      <Text label="Mailbox" value={t.mailbox} placeholder="INBOX" onChange={(v) => set('mailbox', v)} testid="email-mailbox" />
      <Text label="Check every" value={t.interval} placeholder="1m" onChange={(v) => set('interval', v)} testid="email-interval" />
      <Select label="Mark read (\Seen) after the run is stored" value={onOff(t.markSeen)} options={['off', 'on']} onChange={(v) => set('markSeen', v === 'on' ? true : undefined)} testid="email-markseen" />
      <Text label="Move to mailbox after the run is stored" value={t.moveTo} placeholder="(leave the mailbox as it is)" onChange={(v) => set('moveTo', v)} testid="email-moveto" />
    </div>
  );
}

export function PollOptions(props: { trigger: PollTrigger; onChange: (t: Trigger) => void }) {
  const t = props.trigger;
  const set = (k: string, v: unknown) => props.onChange(withKey(t, k, v) as Trigger);
  return (
    <div className="fd-subsection" data-testid="poll-options">
      <Text label="URL" value={t.url} placeholder="https://example.com/feed.xml or {{config.API}}/items" onChange={(v) => set('url', v ?? '')} testid="poll-url" />
      <Select label="Format" value={t.format ?? 'json'} options={['json', 'feed']} onChange={(v) => set('format', v === 'json' ? undefined : v)} testid="poll-format" />
      {t.format !== 'feed' && <JsonField label="Items (JSON-Logic over {body})" value={t.items} onChange={(v) => set('items', v)} allowEmpty rows={2} testid="poll-items" hint='default: the body when it is a list, else body.items; e.g. {"var":"body.data"}' />}
      <JsonField label="Item key (JSON-Logic over {item})" value={t.itemKey} onChange={(v) => set('itemKey', v)} allowEmpty rows={2} testid="poll-itemkey" hint="default: the item's id, guid, link or url" />
      <Text label="Check every" value={t.interval} placeholder="5m" onChange={(v) => set('interval', v)} testid="poll-interval" />
      <Select label="On first activation" value={t.backfill ? 'run the items already there' : 'skip the items already there'} options={['skip the items already there', 'run the items already there']} onChange={(v) => set('backfill', v === 'run the items already there' ? true : undefined)} testid="poll-backfill" />
      <Text label="Remember seen items for" value={t.seenWindow} placeholder="30d" onChange={(v) => set('seenWindow', v)} testid="poll-seenwindow" />
    </div>
  );
}
