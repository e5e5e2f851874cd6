// airtable.createRecord: POST /v0/{baseId}/{table} `{fields, typecast}`. Airtable has no idempotency
// key: a retry after a lost answer can create the record twice.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import airtable from '../connectors/airtable.ts';

export default defineExecutor(
  specOf('airtable.createRecord'),
  httpConnector(airtable, {
    request: (p) => ({ method: 'POST', path: `/v0/${encodeURIComponent(p.baseId)}/${encodeURIComponent(p.table)}`, json: { fields: p.fields, typecast: p.typecast ?? false } }),
    output: (res) => {
      const b = res.json as { id?: unknown; createdTime?: unknown };
      return { id: String(b.id ?? ''), createdTime: String(b.createdTime ?? '') };
    },
  }),
);
