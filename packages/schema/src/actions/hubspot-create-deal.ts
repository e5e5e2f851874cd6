import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'hubspot.createDeal',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a hubspot connection (private app token or OAuth2)' })),
    name: Type.String({ minLength: 1, maxLength: 500, description: 'the deal name' }),
    amount: Type.Optional(Type.Number({ minimum: 0 })),
    stage: Type.Optional(Type.String({ minLength: 1, description: 'the pipeline stage id (default appointmentscheduled)' })),
    pipeline: Type.Optional(Type.String({ minLength: 1, description: 'the pipeline id (default "default")' })),
    closeDate: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}', description: 'ISO date' })),
    contactId: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'associate the deal with this contact (e.g. from hubspot.upsertContact)' })),
    properties: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9_]{1,100}$' }), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
  }),
  outside: true,
  label: 'HubSpot deal',
  help: 'Creates a HubSpot deal (POST /crm/v3/objects/deals), optionally associated with a contact.',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'name', label: 'Deal name' },
    { key: 'amount', label: 'Amount' },
    { key: 'stage', label: 'Stage' },
    { key: 'pipeline', label: 'Pipeline' },
    { key: 'closeDate', label: 'Close date' },
    { key: 'contactId', label: 'Contact id' },
    { key: 'properties', label: 'More properties (JSON)', kind: 'json' },
  ],
  defaults: { connection: 'hubspot', name: '{{payload.company}} — new deal', contactId: '{{steps.contact.output.id}}' },
  output: '`{id}`: the deal id',
  outputSchema: Type.Object({ id: Type.String() }),
  summary: 'name',
});
