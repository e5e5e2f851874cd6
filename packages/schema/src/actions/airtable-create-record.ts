import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'airtable.createRecord',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'an airtable connection (personal access token or OAuth2)' })),
    baseId: Type.String({ pattern: '^app[A-Za-z0-9]{14}$', description: 'the base id (app…) from its URL' }),
    table: Type.String({ minLength: 1, maxLength: 200, description: 'the table name or id (tbl…)' }),
    fields: Type.Record(Type.String({ minLength: 1 }), Type.Unknown(), { description: 'cell values by field name' }),
    typecast: Type.Optional(Type.Boolean({ description: 'let Airtable convert strings (e.g. add a select option); default false' })),
  }),
  outside: true,
  label: 'Airtable record',
  help: 'Creates a record in an Airtable table (POST /v0/{base}/{table}).',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'baseId', label: 'Base id' },
    { key: 'table', label: 'Table' },
    { key: 'fields', label: 'Fields (JSON)', kind: 'json' },
    { key: 'typecast', label: 'Typecast (true/false)' },
  ],
  defaults: { connection: 'airtable', baseId: 'appXXXXXXXXXXXXXX', table: 'Clients', fields: { Name: '{{payload.name}}', Email: '{{payload.email}}' } },
  output: '`{id, createdTime}`: the record (`rec…`)',
  outputSchema: Type.Object({ id: Type.String(), createdTime: Type.String() }),
  summary: 'table',
});
