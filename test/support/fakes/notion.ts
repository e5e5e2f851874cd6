// A loopback Notion API that answers as Notion's reference documents (https://developers.notion.com/reference):
// - `Authorization: Bearer <secret>` (else 401 `{object: "error", status: 401, code: "unauthorized",
//   message: "API token is invalid."}`) and `Notion-Version` (else 400 missing_version).
// - POST /v1/pages `{parent: {database_id}, properties}` → 200 `{object: "page", id, created_time, url,
//   parent, properties}`; a database the integration cannot see → 404 object_not_found; no title
//   property or an unknown column → 400 validation_error. GET /v1/users/me → the bot user.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLoopback, onBody } from './loopback.ts';

export interface NotionRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}
export type NotionScripted = { status: number; headers?: Record<string, string>; body: unknown } | 'reset';

export interface FakeNotion {
  url: string;
  requests: NotionRequest[];
  tokens: Set<string>;
  /** database id (dashed, lowercase) → its columns (name → type) and rows */
  databases: Map<string, { columns: Record<string, string>; rows: Record<string, unknown>[] }>;
  script(answers: NotionScripted[]): void;
  close(): Promise<void>;
}

const dashed = (id: string) => {
  const h = id.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export async function startFakeNotion(clock: { now(): number } = Date): Promise<FakeNotion> {
  const requests: NotionRequest[] = [];
  const tokens = new Set<string>();
  const databases = new Map<string, { columns: Record<string, string>; rows: Record<string, unknown>[] }>();
  let queue: NotionScripted[] = [];
  const server: Server = createServer((req, res) => {
    onBody(req, (raw, body) => {
      const path = (req.url ?? '').split('?')[0]!;
      requests.push({ at: clock.now(), method: req.method ?? '', path, headers: req.headers, body });
      const json = (status: number, b: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': randomUUID(), ...headers }).end(JSON.stringify(b));
      const error = (status: number, code: string, message: string) => json(status, { object: 'error', status, code, message, request_id: randomUUID() });
      const scripted = queue.shift();
      if (scripted === 'reset') return req.socket.destroy();
      if (scripted) return json(scripted.status, scripted.body, scripted.headers);
      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) return error(401, 'unauthorized', 'API token is invalid.');
      if (!req.headers['notion-version']) return error(400, 'missing_version', 'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.');
      if (path === '/v1/users/me' && req.method === 'GET') return json(200, { object: 'user', id: 'bot-0001', type: 'bot', name: 'Flowdesk', bot: {} });
      if (path === '/v1/pages' && req.method === 'POST') {
        if (body === undefined) return error(400, 'invalid_json', 'Error parsing JSON body.');
        const parent = body.parent as { database_id?: unknown } | undefined;
        const dbId = typeof parent?.database_id === 'string' ? dashed(parent.database_id) : '';
        const db = databases.get(dbId);
        if (!db) return error(404, 'object_not_found', `Could not find database with ID: ${dbId}. Make sure the relevant pages and databases are shared with your integration.`);
        const props = (body.properties ?? {}) as Record<string, Record<string, unknown>>;
        for (const name of Object.keys(props)) if (!db.columns[name]) return error(400, 'validation_error', `${name} is not a property that exists.`);
        const titleCol = Object.entries(db.columns).find(([, t]) => t === 'title')![0];
        if (!props[titleCol]?.title) return error(400, 'validation_error', `body failed validation: body.properties.${titleCol}.title should be defined, instead was \`undefined\`.`);
        for (const [name, v] of Object.entries(props)) if (!(db.columns[name]! in v)) return error(400, 'validation_error', `${name} is expected to be ${db.columns[name]}.`);
        const id = randomUUID();
        db.rows.push(props);
        return json(200, { object: 'page', id, created_time: new Date(clock.now()).toISOString(), parent: { type: 'database_id', database_id: dbId }, archived: false, properties: props, url: `https://www.notion.so/${id.replace(/-/g, '')}` });
      }
      return error(400, 'invalid_request_url', 'Invalid request URL.');
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    requests,
    tokens,
    databases,
    script: (a) => {
      queue = [...a];
    },
    close,
  };
}
