import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'slack',
  label: 'Slack',
  help: 'A Slack app\'s bot token (xoxb-…) with the chat:write scope, or "Connect" through OAuth2.',
  baseUrl: 'https://slack.com',
  auth: ['bearer', 'oauth2'],
  oauth2: { authorizeUrl: 'https://slack.com/oauth/v2/authorize', tokenUrl: 'https://slack.com/api/oauth.v2.access', scopes: ['chat:write'] },
  credentialHint: 'xoxb-…',
});
