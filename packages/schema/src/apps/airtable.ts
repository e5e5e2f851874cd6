import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'airtable',
  label: 'Airtable',
  help: 'An Airtable personal access token (pat…) with the data.records:write scope and access to the base, or "Connect" through OAuth2.',
  baseUrl: 'https://api.airtable.com',
  auth: ['bearer', 'oauth2'],
  oauth2: { authorizeUrl: 'https://airtable.com/oauth2/v1/authorize', tokenUrl: 'https://airtable.com/oauth2/v1/token', scopes: ['data.records:write'] },
  credentialHint: 'pat…',
});
