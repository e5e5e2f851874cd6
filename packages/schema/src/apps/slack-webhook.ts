import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'slack-webhook',
  label: 'Slack incoming webhook',
  help: 'Paste the webhook URL Slack gave you (https://hooks.slack.com/services/…): its secret tail is the credential.',
  baseUrl: 'https://hooks.slack.com',
  auth: ['bearer'],
  credentialHint: 'https://hooks.slack.com/services/T…/B…/…',
  credentialUrlPrefix: '/services/',
});
