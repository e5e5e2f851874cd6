// The generic app: credentials for an API without a connector, used by http.request. Its test is a GET
// of the base URL with the credential: anything but 401/403 (or a network failure) counts as working.
import { defineConnectorApp, httpVerdict } from './define.ts';

export default defineConnectorApp({
  app: 'http',
  verdict: (res, nowMs) => (res.status >= 300 && res.status < 400 ? { ok: true } : res.status === 404 || res.status === 405 ? { ok: true } : httpVerdict(res, nowMs)),
  test: { request: { method: 'GET', path: '/' }, describe: (res) => `the base URL answered HTTP ${res.status}` },
  failureModes: [],
  drillSuccess: { status: 200, body: { ok: true } },
});
