import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'notion',
  label: 'Notion',
  help: 'A Notion internal integration secret (ntn_… or secret_…); share the database with the integration (… → Connections) or Notion answers object_not_found.',
  baseUrl: 'https://api.notion.com',
  auth: ['bearer', 'oauth2'],
  oauth2: { authorizeUrl: 'https://api.notion.com/v1/oauth/authorize?owner=user', tokenUrl: 'https://api.notion.com/v1/oauth/token' },
  credentialHint: 'ntn_…',
});
