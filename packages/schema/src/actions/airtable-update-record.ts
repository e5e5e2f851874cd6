import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'airtable.updateRecord',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'an airtable connection (personal access token or OAuth2)' })),
    baseId: Type.String({ pattern: '^app[A-Za-z0-9]{14}$', description: 'the base id (app…)' }),
    table: Type.String({ minLength: 1, maxLength: 200 }),
    recordId: Type.String({ pattern: '^rec[A-Za-z0-9]{14}$', description: 'the record (rec…), e.g. from airtable.createRecord' }),
    fields: Type.Record(Type.String({ minLength: 1 }), Type.Unknown(), { description: 'the cells to change; others stay as they are' }),
    typecast: Type.Optional(Type.Boolean()),
  }),
  outside: true,
  label: 'Update Airtable record',
  help: 'Changes some fields of an Airtable record (PATCH); repeating it writes the same values.',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'baseId', label: 'Base id' },
    { key: 'table', label: 'Table' },
    { key: 'recordId', label: 'Record id' },
    { key: 'fields', label: 'Fields (JSON)', kind: 'json' },
    { key: 'typecast', label: 'Typecast (true/false)' },
  ],
  defaults: { connection: 'airtable', baseId: 'appXXXXXXXXXXXXXX', table: 'Clients', recordId: '{{steps.record.output.id}}', fields: { Status: 'Active' } },
  output: '`{id}`',
  outputSchema: Type.Object({ id: Type.String() }),
  summary: 'table',
});
