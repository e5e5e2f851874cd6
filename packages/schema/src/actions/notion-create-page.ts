import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'notion.createPage',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a notion connection (integration secret or OAuth2)' })),
    databaseId: Type.String({ pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$', description: "the database's id (32 hex digits in its URL)" }),
    title: Type.String({ minLength: 1, maxLength: 2000, description: "the row's title" }),
    titleProperty: Type.Optional(Type.String({ minLength: 1, description: 'the name of the title column (default "Name")' })),
    properties: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown()), { description: 'more columns as Notion property values, e.g. {"Email": {"email": "…"}, "Stage": {"select": {"name": "Lead"}}}' })),
  }),
  outside: true,
  label: 'Notion database row',
  help: 'Adds a row (a page) to a Notion database (POST /v1/pages).',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'databaseId', label: 'Database id' },
    { key: 'title', label: 'Title' },
    { key: 'titleProperty', label: 'Title column', placeholder: 'Name' },
    { key: 'properties', label: 'More columns (JSON, Notion property values)', kind: 'json' },
  ],
  defaults: { connection: 'notion', databaseId: '00000000000000000000000000000000', title: '{{payload.name}}', properties: { Email: { email: '{{payload.email}}' } } },
  output: '`{id, url}`: the new page',
  outputSchema: Type.Object({ id: Type.String(), url: Type.String() }),
  summary: 'title',
});
