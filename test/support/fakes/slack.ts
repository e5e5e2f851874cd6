// A loopback Slack that answers as Slack's API reference documents:
// - Web API (https://api.slack.com/web): POST https://slack.com/api/<method>, `Authorization: Bearer
//   xoxb-…`, JSON (`application/json; charset=utf-8`) or form bodies; every answer is HTTP 200 with
//   `{ok: true, …}` or `{ok: false, error}` (not_authed without a token, invalid_auth for an unknown
//   one, channel_not_found, no_text), except rate limits: HTTP 429, `Retry-After: <seconds>`,
//   `{ok: false, error: "ratelimited"}`. chat.postMessage answers `{ok, channel, ts, message}`;
//   auth.test `{ok, url, team, user, team_id, user_id}`.
// - Incoming webhooks (https://api.slack.com/messaging/webhooks): POST /services/T…/B…/…, JSON
//   `{text, blocks?}`; text answers: 200 `ok`, 400 `invalid_payload`, 404 `no_service`.
// Every request is recorded with the time on the given clock; `script` queues answers given before
// the normal behaviour (the failures a test wants).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLoopback, onBody } from './loopback.ts';

export interface SlackRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown> | undefined;
}

export type ScriptedAnswer = { status: number; headers?: Record<string, string>; body: unknown } | 'reset';

export interface FakeSlack {
  url: string;
  requests: SlackRequest[];
  /** bot tokens it accepts */
  tokens: Set<string>;
  /** channels that exist: name (without #) or id → id */
  channels: Map<string, string>;
  /** webhook paths after /services/ that exist */
  hooks: Set<string>;
  script(answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

export async function startFakeSlack(clock: { now(): number } = Date): Promise<FakeSlack> {
  const requests: SlackRequest[] = [];
  const tokens = new Set<string>();
  const channels = new Map<string, string>([
    ['general', 'C0GENERAL'],
    ['C0GENERAL', 'C0GENERAL'],
    ['leads', 'C0LEADS'],
    ['C0LEADS', 'C0LEADS'],
  ]);
  const hooks = new Set<string>();
  let queue: ScriptedAnswer[] = [];
  let seq = 0;

  const server: Server = createServer((req, res) => {
    onBody(req, (raw) => {
      const path = (req.url ?? '').split('?')[0]!;
      const type = String(req.headers['content-type'] ?? '');
      let body: Record<string, unknown> | undefined;
      try {
        body = type.includes('json') ? (JSON.parse(raw) as Record<string, unknown>) : type.includes('form') ? Object.fromEntries(new URLSearchParams(raw)) : undefined;
      } catch {
        body = undefined;
      }
      requests.push({ at: clock.now(), method: req.method ?? '', path, headers: req.headers, raw, body });
      const json = (status: number, b: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(b));
      const text = (status: number, t: string, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'text/html', ...headers }).end(t);

      const scripted = queue.shift();
      if (scripted === 'reset') return req.socket.destroy();
      if (scripted) return typeof scripted.body === 'string' ? text(scripted.status, scripted.body, scripted.headers) : json(scripted.status, scripted.body, scripted.headers);

      if (path.startsWith('/services/')) {
        if (req.method !== 'POST') return text(405, 'invalid_method');
        if (!hooks.has(path.slice('/services/'.length))) return text(404, 'no_service');
        if (!body || (typeof body.text !== 'string' && !Array.isArray(body.blocks))) return text(400, 'invalid_payload');
        return text(200, 'ok');
      }
      if (!path.startsWith('/api/')) return json(404, { ok: false, error: 'unknown_method' });
      const auth = String(req.headers.authorization ?? '');
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (!token) return json(200, { ok: false, error: 'not_authed' });
      if (!tokens.has(token)) return json(200, { ok: false, error: 'invalid_auth' });
      const method = path.slice('/api/'.length);
      if (method === 'auth.test') return json(200, { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'flowdesk', team_id: 'T0ACME', user_id: 'U0BOT' });
      if (method === 'chat.postMessage') {
        const ch = typeof body?.channel === 'string' ? body.channel.replace(/^#/, '') : undefined;
        const id = ch ? channels.get(ch) : undefined;
        if (!id) return json(200, { ok: false, error: 'channel_not_found' });
        if (typeof body?.text !== 'string' && !Array.isArray(body?.blocks)) return json(200, { ok: false, error: 'no_text' });
        const ts = `1700000000.${String(++seq).padStart(6, '0')}`;
        return json(200, { ok: true, channel: id, ts, message: { type: 'message', text: body?.text, user: 'U0BOT', ts } });
      }
      return json(200, { ok: false, error: 'unknown_method' });
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    requests,
    tokens,
    channels,
    hooks,
    script: (answers) => {
      queue = [...answers];
    },
    close,
  };
}
