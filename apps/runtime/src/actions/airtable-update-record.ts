// airtable.updateRecord: PATCH /v0/{baseId}/{table}/{recordId} — only the given fields change.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import airtable from '../connectors/airtable.ts';

export default defineExecutor(
  specOf('airtable.updateRecord'),
  httpConnector(airtable, {
    request: (p) => ({ method: 'PATCH', path: `/v0/${encodeURIComponent(p.baseId)}/${encodeURIComponent(p.table)}/${encodeURIComponent(p.recordId)}`, json: { fields: p.fields, typecast: p.typecast ?? false } }),
    output: (res) => ({ id: String((res.json as { id?: unknown }).id ?? '') }),
  }),
);
