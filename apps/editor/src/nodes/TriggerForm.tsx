// The trigger's side-panel form: type, path, auth, payload contract (field table + raw JSON Schema),
// idempotency key, dedupe window, filter; schedule and record triggers; e-mail and poll triggers.
import { useEffect, useState } from 'react';
import type { Trigger } from '@flowdesk/schema';
import { rowsToSchema, schemaToRows, type Row } from '../core/contract.ts';
import { readKey, showKey } from '../core/idemKey.ts';
import { Field, JsonField, Select, Tabs, Text, withKey } from './fields.tsx';
import { WebhookOptions } from './WebhookOptions.tsx';
import { EmailOptions, PollOptions } from './ReaderOptions.tsx';

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'];
const FORMATS = ['', 'email', 'uri', 'date', 'date-time', 'uuid'];

function PayloadContract(props: { value: unknown; onChange: (v: unknown) => void }) {
  const rows = schemaToRows(props.value);
  const [tab, setTab] = useState(rows ? 'fields' : 'json-schema');
  const setRows = (r: Row[]) => props.onChange(rowsToSchema(r, props.value));
  return (
    <div className="fd-subsection" data-testid="payload-contract">
      <h4>Payload contract</h4>
      <Tabs tabs={['fields', 'json-schema']} active={rows ? tab : 'json-schema'} onChange={setTab} testid="contract-tab" />
      {tab === 'fields' && rows ? (
        <table className="fd-table fd-contract">
          <thead>
            <tr>
              <th>Field</th>
              <th>Type</th>
              <th>Req.</th>
              <th>Format</th>
              <th>Min</th>
              <th>Max</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => {
              const upd = (patch: Partial<Row>) => setRows(rows.map((x, j) => (j === i ? { ...x, ...patch } : x)));
              return (
                <tr key={i} data-testid={`contract-row-${i}`}>
                  <td>
                    <input value={r.name} onChange={(e) => upd({ name: e.target.value })} data-testid={`contract-name-${i}`} />
                  </td>
                  <td>
                    <select value={r.type} onChange={(e) => upd({ type: e.target.value })} data-testid={`contract-type-${i}`}>
                      {TYPES.map((t) => (
                        <option key={t}>{t}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input type="checkbox" checked={r.required} onChange={(e) => upd({ required: e.target.checked })} data-testid={`contract-required-${i}`} />
                  </td>
                  <td>
                    <select value={r.format ?? ''} onChange={(e) => upd({ format: e.target.value || undefined })} disabled={r.type !== 'string'} data-testid={`contract-format-${i}`}>
                      {FORMATS.map((t) => (
                        <option key={t} value={t}>
                          {t || '—'}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input type="number" data-testid={`contract-min-${i}`} value={r.min ?? ''} onChange={(e) => upd({ min: e.target.value === '' ? undefined : Number(e.target.value) })} />
                  </td>
                  <td>
                    <input type="number" value={r.max ?? ''} onChange={(e) => upd({ max: e.target.value === '' ? undefined : Number(e.target.value) })} />
                  </td>
                  <td>
                    <button type="button" className="fd-icon-btn" title="Remove field" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
            <tr>
              <td colSpan={7}>
                <button type="button" className="fd-link" data-testid="contract-add" onClick={() => setRows([...rows, { name: `field${rows.length + 1}`, type: 'string', required: false }])}>
                  + field
                </button>
                {props.value !== undefined && (
                  <button type="button" className="fd-link" onClick={() => props.onChange(undefined)}>
                    remove contract
                  </button>
                )}
              </td>
            </tr>
          </tbody>
        </table>
      ) : (
        <JsonField label="JSON Schema (draft 2020-12)" value={props.value} onChange={props.onChange} allowEmpty rows={8} testid="contract-json" />
      )}
    </div>
  );
}

function IdempotencyKeyField(props: { value: unknown; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(showKey(props.value));
  useEffect(() => {
    // follow the value from outside (undo, import) unless the text being typed already means it
    if (JSON.stringify(readKey(text)) !== JSON.stringify(props.value)) setText(showKey(props.value));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the text being typed must not reset itself
  }, [props.value]);
  return (
    <Field label="Idempotency key" hint='a path such as payload.orderId, or a JSON-Logic rule such as {"cat": [{"var": "payload.shop"}, {"var": "payload.orderId"}]}; empty: every event is its own run'>
      <input
        className="fd-code"
        data-testid="trigger-idem"
        value={text}
        placeholder="payload.orderId"
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          props.onChange(readKey(e.target.value));
        }}
      />
    </Field>
  );
}

export function TriggerForm(props: { trigger: Trigger; onChange: (t: Trigger) => void }) {
  const t = props.trigger as Trigger & Record<string, unknown>;
  const set = (k: string, v: unknown) => props.onChange(withKey(t, k, v) as Trigger);
  const changeType = (type: string | undefined) => {
    if (!type || type === t.type) return;
    const next: Record<string, Trigger> = {
      webhook: { type: 'webhook', path: 'my-hook', auth: { type: 'none' } },
      schedule: { type: 'schedule', cron: '0 9 * * 1', timezone: 'UTC' },
      record: { type: 'record', entity: 'account', state: 'qualified' },
      manual: { type: 'manual' },
      email: { type: 'email', host: '', user: '', password: 'IMAP_PASSWORD' },
      poll: { type: 'poll', url: 'https://' },
    };
    props.onChange(next[type]!);
  };
  return (
    <div data-testid="trigger-form">
      <Select label="Starts when" value={t.type} options={['webhook', 'schedule', 'record', 'manual', 'email', 'poll']} onChange={changeType} testid="trigger-type" />
      {t.type === 'webhook' && (
        <>
          <Text label="Path (POST /hooks/…)" value={t.path} onChange={(v) => set('path', v ?? '')} testid="trigger-path" />
          <WebhookOptions trigger={t as Extract<Trigger, { type: 'webhook' }>} onChange={props.onChange} />
        </>
      )}
      {t.type === 'schedule' && (
        <>
          <Text label="Cron" value={t.cron} onChange={(v) => set('cron', v ?? '')} testid="trigger-cron" />
          <Text label="Time zone" value={t.timezone} placeholder="Europe/Berlin" onChange={(v) => set('timezone', v)} />
        </>
      )}
      {t.type === 'record' && (
        <>
          <Text label="Entity" value={t.entity} onChange={(v) => set('entity', v ?? '')} />
          <Text label="State" value={t.state} onChange={(v) => set('state', v ?? '')} />
        </>
      )}
      {t.type === 'email' && <EmailOptions trigger={t as Extract<Trigger, { type: 'email' }>} onChange={props.onChange} />}
      {t.type === 'poll' && <PollOptions trigger={t as Extract<Trigger, { type: 'poll' }>} onChange={props.onChange} />}
      {(t.type === 'email' || t.type === 'poll') && <PayloadContract value={t.payloadSchema} onChange={(v) => set('payloadSchema', v)} />}
      {(t.type === 'webhook' || t.type === 'manual') && (
        <>
          <PayloadContract value={t.payloadSchema} onChange={(v) => set('payloadSchema', v)} />
          <IdempotencyKeyField value={t.idempotencyKey} onChange={(v) => set('idempotencyKey', v)} />
          <Text label="Dedupe window" value={t.dedupeWindow as string | undefined} placeholder="24h" onChange={(v) => set('dedupeWindow', v)} testid="trigger-dedupe" />
        </>
      )}
      {(t.type === 'webhook' || t.type === 'record' || t.type === 'email' || t.type === 'poll') && (
        <JsonField label="Filter (JSON-Logic)" value={t.filter} onChange={(v) => set('filter', v)} allowEmpty rows={2} hint="events that do not match start nothing" />
      )}
    </div>
  );
}
