// A loopback HubSpot CRM API v3 that answers as HubSpot's reference documents
// (https://developers.hubspot.com/docs/api/crm/contacts, …/deals, …/usage-details):
// - `Authorization: Bearer <token>`; none or unknown → 401 `{status: "error", message: "Authentication
//   credentials not found…", correlationId, category: "INVALID_AUTHENTICATION"}`.
// - POST /crm/v3/objects/contacts/batch/upsert `{inputs: [{idProperty: "email", id, properties}]}` → 200
//   `{status: "COMPLETE", results: [{id, properties, createdAt, updatedAt, archived, new}], startedAt,
//   completedAt}`; an invalid e-mail → 400 VALIDATION_ERROR. GET /crm/v3/objects/contacts?limit= → a page.
// - POST /crm/v3/objects/deals `{properties, associations?}` → 201 `{id, properties, createdAt, updatedAt,
//   archived}`; an association to an unknown contact → 404 OBJECT_NOT_FOUND-style 400; a missing
//   dealname → 400 VALIDATION_ERROR.
// - Every answer carries X-HubSpot-RateLimit-Daily/-Daily-Remaining (and -Max/-Remaining/-Interval-
//   Milliseconds for the 10-second window); `burst` makes the next answers 429 RATE_LIMIT
//   (TEN_SECONDLY_ROLLING) with those headers.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLoopback, onBody } from './loopback.ts';

export interface HubSpotRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

export type HubSpotScripted = { status: number; headers?: Record<string, string>; body: unknown } | 'reset';

export interface FakeHubSpot {
  url: string;
  requests: HubSpotRequest[];
  tokens: Set<string>;
  contacts: Map<string, { id: string; properties: Record<string, string> }>;
  deals: Map<string, { id: string; properties: Record<string, string>; contactIds: string[] }>;
  /** answer the next n requests with the 10-second burst limit's 429 */
  burst(n: number): void;
  script(answers: HubSpotScripted[]): void;
  close(): Promise<void>;
}

export const RATE_HEADERS = {
  'x-hubspot-ratelimit-daily': '250000',
  'x-hubspot-ratelimit-daily-remaining': '249000',
  'x-hubspot-ratelimit-interval-milliseconds': '10000',
  'x-hubspot-ratelimit-max': '100',
};

export async function startFakeHubSpot(clock: { now(): number } = Date): Promise<FakeHubSpot> {
  const requests: HubSpotRequest[] = [];
  const tokens = new Set<string>();
  const contacts = new Map<string, { id: string; properties: Record<string, string> }>();
  const deals = new Map<string, { id: string; properties: Record<string, string>; contactIds: string[] }>();
  let queue: HubSpotScripted[] = [];
  let bursts = 0;
  let seq = 1000;
  let remaining = 100;

  const server: Server = createServer((req, res) => {
    onBody(req, (_raw, body) => {
      const u = new URL(req.url ?? '/', 'http://x');
      requests.push({ at: clock.now(), method: req.method ?? '', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body });
      const now = new Date(clock.now()).toISOString();
      const json = (status: number, b: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...RATE_HEADERS, 'x-hubspot-ratelimit-remaining': String(Math.max(0, remaining)), ...headers }).end(JSON.stringify(b));
      const error = (status: number, category: string, message: string, extra: Record<string, unknown> = {}) => json(status, { status: 'error', message, correlationId: randomUUID(), category, ...extra });

      const scripted = queue.shift();
      if (scripted === 'reset') return req.socket.destroy();
      if (scripted) return json(scripted.status, scripted.body, scripted.headers);
      if (bursts > 0) {
        bursts--;
        return json(429, { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: 'TEN_SECONDLY_ROLLING' }, { 'x-hubspot-ratelimit-remaining': '0' });
      }
      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
        return error(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview');
      }
      remaining--;

      if (u.pathname === '/crm/v3/objects/contacts' && req.method === 'GET') {
        const limit = Number(u.searchParams.get('limit') ?? 10);
        return json(200, { results: [...contacts.values()].slice(0, limit).map((c) => ({ id: c.id, properties: c.properties, archived: false })) });
      }
      if (u.pathname === '/crm/v3/objects/contacts/batch/upsert' && req.method === 'POST') {
        const inputs = body?.inputs;
        if (!Array.isArray(inputs) || inputs.length === 0) return error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1: inputs is required');
        const results = [];
        for (const input of inputs as { idProperty?: unknown; id?: unknown; properties?: Record<string, unknown> }[]) {
          if (input.idProperty !== 'email' || typeof input.id !== 'string') return error(400, 'VALIDATION_ERROR', `Property "${String(input.idProperty)}" is not a unique identifier property`);
          const email = input.id.toLowerCase();
          if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
            return error(400, 'VALIDATION_ERROR', `Property values were not valid: [{"isValid":false,"message":"Email address ${input.id} is invalid","error":"INVALID_EMAIL","name":"email"}]`, { errors: [{ message: `Email address ${input.id} is invalid`, code: 'INVALID_EMAIL', context: { propertyName: ['email'] } }] });
          }
          const props = Object.fromEntries(Object.entries(input.properties ?? {}).map(([k, v]) => [k, String(v)]));
          const existing = contacts.get(email);
          const c = existing ?? { id: String(++seq), properties: {} };
          Object.assign(c.properties, props, { email });
          contacts.set(email, c);
          results.push({ id: c.id, properties: { ...c.properties, hs_object_id: c.id }, createdAt: now, updatedAt: now, archived: false, new: !existing });
        }
        return json(200, { status: 'COMPLETE', results, startedAt: now, completedAt: now });
      }
      if (u.pathname === '/crm/v3/objects/deals' && req.method === 'POST') {
        const props = Object.fromEntries(Object.entries((body?.properties as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)]));
        if (!props.dealname) return error(400, 'VALIDATION_ERROR', 'Property values were not valid: [{"isValid":false,"message":"dealname is required","error":"REQUIRED_FIELD","name":"dealname"}]');
        const contactIds: string[] = [];
        for (const a of (body?.associations as { to?: { id?: unknown }; types?: { associationCategory?: unknown; associationTypeId?: unknown }[] }[] | undefined) ?? []) {
          const id = String(a.to?.id ?? '');
          if (![...contacts.values()].some((c) => c.id === id)) return error(400, 'VALIDATION_ERROR', `One or more associations are invalid: contact ${id} does not exist`, { subCategory: 'crm.associations.INVALID_ASSOCIATION' });
          if (a.types?.[0]?.associationCategory !== 'HUBSPOT_DEFINED' || a.types?.[0]?.associationTypeId !== 3) return error(400, 'VALIDATION_ERROR', 'invalid association type for deal to contact');
          contactIds.push(id);
        }
        const d = { id: String(++seq), properties: props, contactIds };
        deals.set(d.id, d);
        return json(201, { id: d.id, properties: { ...props, hs_object_id: d.id }, createdAt: now, updatedAt: now, archived: false });
      }
      return error(404, 'OBJECT_NOT_FOUND', `resource not found: ${req.method} ${u.pathname}`);
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    requests,
    tokens,
    contacts,
    deals,
    burst: (n) => {
      bursts = n;
    },
    script: (answers) => {
      queue = [...answers];
    },
    close,
  };
}
