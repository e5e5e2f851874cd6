import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'http',
  label: 'Any HTTP API',
  help: 'Credentials for an API without a connector of its own, used by http.request. Its base URL is the only place they are sent.',
  auth: ['bearer', 'apiKey', 'basic', 'oauth2'],
});
