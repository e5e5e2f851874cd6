import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'twilio',
  label: 'Twilio',
  help: 'Your Account SID (AC…) as user name and Auth Token as password, or an API key SID (SK…) and secret with the Account SID on the node.',
  baseUrl: 'https://api.twilio.com',
  auth: ['basic'],
  credentialHint: 'the Auth Token',
});
