// A loopback Airtable Web API that answers as Airtable's reference documents
// (https://airtable.com/developers/web/api/create-records, …/update-record, …/errors):
// - `Authorization: Bearer <token>`; none → 401 `{error: {type: "AUTHENTICATION_REQUIRED", message:
//   "Authentication required"}}`; a token without access → 403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND.
// - POST /v0/{base}/{table} `{fields, typecast}` → 200 `{id: "rec…", createdTime, fields}`;
//   PATCH /v0/{base}/{table}/{rec} `{fields}` → 200 the record with the fields merged; an unknown field
//   → 422 UNKNOWN_FIELD_NAME; an unknown record → 404 `{error: "NOT_FOUND"}`. GET /v0/meta/whoami → `{id}`.
// - More than 5 requests per second per base (or `rateLimit(n)`) → 429
//   `{errors: [{error: "RATE_LIMIT_REACHED", message: "Rate limit exceeded. Please try again later"}]}`.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLoopback, onBody } from './loopback.ts';

export interface AirtableRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}
export type AirtableScripted = { status: number; headers?: Record<string, string>; body: unknown } | 'reset';

export interface FakeAirtable {
  url: string;
  requests: AirtableRequest[];
  tokens: Set<string>;
  /** "base/table" → its field names and records */
  tables: Map<string, { fields: Set<string>; records: Map<string, Record<string, unknown>> }>;
  /** answer the next n requests with Airtable's 429 */
  rateLimit(n: number): void;
  script(answers: AirtableScripted[]): void;
  close(): Promise<void>;
}

export async function startFakeAirtable(clock: { now(): number } = Date): Promise<FakeAirtable> {
  const requests: AirtableRequest[] = [];
  const tokens = new Set<string>();
  const tables = new Map<string, { fields: Set<string>; records: Map<string, Record<string, unknown>> }>();
  let queue: AirtableScripted[] = [];
  let limited = 0;
  let seq = 0;
  const server: Server = createServer((req, res) => {
    onBody(req, (raw, body) => {
      const path = (req.url ?? '').split('?')[0]!;
      requests.push({ at: clock.now(), method: req.method ?? '', path, headers: req.headers, body });
      const json = (status: number, b: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(b));
      const error = (status: number, type: string, message: string) => json(status, { error: { type, message } });
      const scripted = queue.shift();
      if (scripted === 'reset') return req.socket.destroy();
      if (scripted) return json(scripted.status, scripted.body, scripted.headers);
      if (limited > 0) {
        limited--;
        return json(429, { errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }] });
      }
      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith('Bearer ')) return error(401, 'AUTHENTICATION_REQUIRED', 'Authentication required');
      if (!tokens.has(auth.slice(7))) return error(401, 'AUTHENTICATION_REQUIRED', 'Invalid authentication token');
      if (path === '/v0/meta/whoami' && req.method === 'GET') return json(200, { id: 'usrFakeFounder001', scopes: ['data.records:write'] });
      const m = /^\/v0\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
      const table = m ? tables.get(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`) : undefined;
      if (!m || !table) return error(403, 'INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND', 'Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct.');
      const fields = body?.fields;
      if (!fields || typeof fields !== 'object') return error(422, 'INVALID_REQUEST_MISSING_FIELDS', 'Could not find field "fields" in the request body');
      for (const name of Object.keys(fields)) if (!table.fields.has(name)) return error(422, 'UNKNOWN_FIELD_NAME', `Unknown field name: "${name}"`);
      if (!m[3] && req.method === 'POST') {
        const id = `rec${String(++seq).padStart(14, '0')}`;
        const createdTime = new Date(clock.now()).toISOString();
        table.records.set(id, { ...(fields as Record<string, unknown>) });
        return json(200, { id, createdTime, fields });
      }
      if (m[3] && req.method === 'PATCH') {
        const rec = table.records.get(decodeURIComponent(m[3]));
        if (!rec) return json(404, { error: 'NOT_FOUND' });
        Object.assign(rec, fields);
        return json(200, { id: m[3], createdTime: new Date(clock.now()).toISOString(), fields: rec });
      }
      return json(404, { error: 'NOT_FOUND' });
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    requests,
    tokens,
    tables,
    rateLimit: (n) => {
      limited = n;
    },
    script: (a) => {
      queue = [...a];
    },
    close,
  };
}
