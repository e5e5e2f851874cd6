// hubspot.upsertContact: POST /crm/v3/objects/contacts/batch/upsert with the e-mail as the id property
// — creates the contact or updates the one with that e-mail, so a retried step leaves one contact.
import { specOf } from '@flowdesk/schema';
import { ActionFailure, defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import hubspot from '../connectors/hubspot.ts';

const asText = (props: Record<string, string | number | boolean> | undefined) => Object.fromEntries(Object.entries(props ?? {}).map(([k, v]) => [k, String(v)]));

export default defineExecutor(
  specOf('hubspot.upsertContact'),
  httpConnector(hubspot, {
    request: (p) => ({
      method: 'POST',
      path: '/crm/v3/objects/contacts/batch/upsert',
      json: { inputs: [{ idProperty: 'email', id: p.email, properties: { ...asText(p.properties), email: p.email } }] },
    }),
    output: (res) => {
      const b = res.json as { results?: { id?: unknown; new?: unknown }[]; errors?: { message?: unknown }[] };
      const r = b.results?.[0];
      // 207 multi-status: the one input failed inside a "successful" batch
      if (!r) throw new ActionFailure('4xx', `HubSpot: ${String(b.errors?.[0]?.message ?? 'the upsert returned no contact')}`, { status: res.status });
      return { id: String(r.id ?? ''), created: r.new === true };
    },
  }),
);
