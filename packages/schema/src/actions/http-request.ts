import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction, role } from '../spec/index.ts';

export default defineAction({
  type: 'http.request',
  params: Type.Object({
    method: Type.Optional(Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].map((m) => Type.Literal(m)), { description: 'default: POST with a body, GET without' })),
    url: role(Type.String({ pattern: '^https?://', description: 'an http(s) URL' }), 'url', 'secrets'),
    headers: Type.Optional(role(Type.Record(Type.String(), Type.Unknown()), 'secrets')),
    query: Type.Optional(role(Type.Record(Type.String(), Type.Unknown()), 'secrets')),
    body: Type.Optional(role(Type.Unknown({ description: 'JSON, or a string sent as it is' }), 'secrets')),
    connection: Type.Optional(connectionParam(Type.String({ description: "a connection whose auth is added — only when the URL is on its base URL or its app's hosts" }))),
  }),
  outside: true,
  apps: ['*'],
  label: 'HTTP request',
  help: 'Call an API (a CRM, a webhook). Retries on 5xx, 429, timeouts.',
  fields: [
    { key: 'method', label: 'Method', options: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
    { key: 'url', label: 'URL', placeholder: '{{config.CRM_URL}}/leads' },
    { key: 'headers', label: 'Headers (JSON)' },
    { key: 'body', label: 'Body (JSON)', kind: 'json' },
    { key: 'connection', label: 'Connection (optional)' },
  ],
  defaults: { method: 'POST', url: 'https://example.com/hook', body: { email: '{{payload.email}}' } },
  output: '`{status, body}`; sends `Idempotency-Key: <runId>:<nodeId>`',
  summary: 'url',
});
