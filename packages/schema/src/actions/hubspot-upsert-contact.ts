import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'hubspot.upsertContact',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a hubspot connection (private app token or OAuth2)' })),
    email: Type.String({ minLength: 3, maxLength: 254, description: 'the contact is found (or created) by this e-mail' }),
    properties: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9_]{1,100}$' }), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description: 'HubSpot contact properties by internal name: firstname, lastname, company, phone, lifecyclestage, …' })),
  }),
  outside: true,
  label: 'HubSpot contact',
  help: 'Creates or updates the HubSpot contact with this e-mail (batch upsert by email): running it twice leaves one contact.',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'email', label: 'E-mail' },
    { key: 'properties', label: 'Properties (JSON)', kind: 'json' },
  ],
  defaults: { connection: 'hubspot', email: '{{payload.email}}', properties: { firstname: '{{payload.name}}', lifecyclestage: 'lead' } },
  output: '`{id, created}`: the contact id, and whether it was new',
  outputSchema: Type.Object({ id: Type.String(), created: Type.Boolean() }),
  summary: 'email',
});
