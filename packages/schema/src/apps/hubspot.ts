import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'hubspot',
  label: 'HubSpot',
  help: 'A HubSpot private app\'s access token (pat-…) with the crm.objects.contacts.write and crm.objects.deals.write scopes, or "Connect" through a public app (OAuth2).',
  baseUrl: 'https://api.hubapi.com',
  auth: ['bearer', 'oauth2'],
  oauth2: {
    authorizeUrl: 'https://app.hubspot.com/oauth/authorize',
    tokenUrl: 'https://api.hubapi.com/oauth/v1/token',
    scopes: ['crm.objects.contacts.write', 'crm.objects.deals.write'],
    clientAuth: 'post',
  },
  credentialHint: 'pat-na1-…',
});
