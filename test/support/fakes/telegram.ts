// A loopback Telegram Bot API that answers as https://core.telegram.org/bots/api documents:
// POST /bot<token>/<method> with a JSON body; answers `{ok: true, result}` or `{ok: false, error_code,
// description, parameters?}` with the same HTTP status: 401 "Unauthorized" (unknown token), 404 "Not
// Found" (unknown method), 400 "Bad Request: chat not found" / "Bad Request: message text is empty",
// 403 "Forbidden: bot was blocked by the user", 429 "Too Many Requests: retry after N" with
// `parameters.retry_after`. sendMessage → the Message `{message_id, from, chat, date, text}`; getMe → the bot.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLoopback, onBody } from './loopback.ts';

export interface TelegramRequest {
  at: number;
  method: string;
  /** the raw path as sent (the token in it) */
  rawPath: string;
  token: string;
  botMethod: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}
export type TelegramScripted = { status: number; body: unknown } | 'reset';

export interface FakeTelegram {
  url: string;
  requests: TelegramRequest[];
  tokens: Set<string>;
  /** chat ids (as strings) the bot may write to, and those that blocked it */
  chats: Set<string>;
  blocked: Set<string>;
  script(answers: TelegramScripted[]): void;
  close(): Promise<void>;
}

export async function startFakeTelegram(clock: { now(): number } = Date): Promise<FakeTelegram> {
  const requests: TelegramRequest[] = [];
  const tokens = new Set<string>();
  const chats = new Set<string>();
  const blocked = new Set<string>();
  let queue: TelegramScripted[] = [];
  let messageId = 100;
  const server: Server = createServer((req, res) => {
    onBody(req, (raw, body) => {
      const rawPath = (req.url ?? '').split('?')[0]!;
      const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(rawPath);
      const token = m ? decodeURIComponent(m[1]!) : '';
      requests.push({ at: clock.now(), method: req.method ?? '', rawPath, token, botMethod: m?.[2] ?? '', headers: req.headers, body });
      const json = (status: number, b: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
      const fail = (code: number, description: string, parameters?: unknown) => json(code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });
      const scripted = queue.shift();
      if (scripted === 'reset') return req.socket.destroy();
      if (scripted) return json(scripted.status, scripted.body);
      if (!m) return fail(404, 'Not Found');
      if (!tokens.has(token)) return fail(401, 'Unauthorized');
      const bot = { id: Number(token.split(':')[0]), is_bot: true, first_name: 'Acme', username: 'acme_leads_bot' };
      if (m[2] === 'getMe') return json(200, { ok: true, result: bot });
      if (m[2] !== 'sendMessage') return fail(404, 'Not Found');
      const chat = String(body?.chat_id ?? '');
      if (!chat) return fail(400, 'Bad Request: chat_id is empty');
      if (typeof body?.text !== 'string' || body.text === '') return fail(400, 'Bad Request: message text is empty');
      if (blocked.has(chat)) return fail(403, 'Forbidden: bot was blocked by the user');
      if (!chats.has(chat)) return fail(400, 'Bad Request: chat not found');
      return json(200, { ok: true, result: { message_id: ++messageId, from: bot, chat: { id: Number(chat), type: 'private' }, date: Math.floor(clock.now() / 1000), text: body.text } });
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    requests,
    tokens,
    chats,
    blocked,
    script: (a) => {
      queue = [...a];
    },
    close,
  };
}
