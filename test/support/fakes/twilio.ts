// A loopback Twilio REST API that answers as Twilio documents (https://www.twilio.com/docs/messaging/api/message-resource,
// https://www.twilio.com/docs/api/errors): HTTP Basic (Account SID or API key SID, and the token/secret);
// POST /2010-04-01/Accounts/{AccountSid}/Messages.json form `To`, `From` or `MessagingServiceSid`, `Body`
// → 201 `{sid: "SM…", account_sid, to, from, body, status: "queued", num_segments, direction:
// "outbound-api", date_created, uri}`. Errors `{code, message, more_info, status}`: 401 20003
// "Authenticate", 404 20404 for another account, 400 21211 (invalid To), 21602 (Body required), 21610
// (unsubscribed recipient), 429 20429 "Too Many Requests". GET /2010-04-01/Accounts.json → the accounts.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLoopback, onBody } from './loopback.ts';

export interface TwilioRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  form: Record<string, string>;
}
export type TwilioScripted = { status: number; body: unknown } | 'reset';

export interface FakeTwilio {
  url: string;
  requests: TwilioRequest[];
  /** "user:password" pairs it accepts, and the account each acts for */
  credentials: Map<string, string>;
  /** numbers that replied STOP */
  unsubscribed: Set<string>;
  sent: { sid: string; to: string; body: string }[];
  script(answers: TwilioScripted[]): void;
  close(): Promise<void>;
}

const err = (code: number, message: string, status: number) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export async function startFakeTwilio(clock: { now(): number } = Date): Promise<FakeTwilio> {
  const requests: TwilioRequest[] = [];
  const credentials = new Map<string, string>();
  const unsubscribed = new Set<string>();
  const sent: { sid: string; to: string; body: string }[] = [];
  let queue: TwilioScripted[] = [];
  let seq = 0;
  const server: Server = createServer((req, res) => {
    onBody(req, (raw) => {
      const path = (req.url ?? '').split('?')[0]!;
      const form = Object.fromEntries(new URLSearchParams(raw));
      requests.push({ at: clock.now(), method: req.method ?? '', path, headers: req.headers, form });
      const json = (status: number, b: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'twilio-request-id': `RQ${String(++seq).padStart(32, '0')}` }).end(JSON.stringify(b));
      const scripted = queue.shift();
      if (scripted === 'reset') return req.socket.destroy();
      if (scripted) return json(scripted.status, scripted.body);
      const auth = String(req.headers.authorization ?? '');
      const account = auth.startsWith('Basic ') ? credentials.get(Buffer.from(auth.slice(6), 'base64').toString()) : undefined;
      if (!account) return json(401, err(20003, 'Authenticate', 401));
      if (path === '/2010-04-01/Accounts.json' && req.method === 'GET') return json(200, { accounts: [{ sid: account, status: 'active' }], page_size: 1 });
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
      if (!m || req.method !== 'POST') return json(404, err(20404, `The requested resource ${path} was not found`, 404));
      if (m[1] !== account) return json(404, err(20404, `The requested resource ${path} was not found`, 404));
      if (!/^\+[1-9][0-9]{6,14}$/.test(form.To ?? '')) return json(400, err(21211, `Invalid 'To' Phone Number: ${form.To ?? ''}`, 400));
      if (!form.From && !form.MessagingServiceSid) return json(400, err(21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message", 400));
      if (!form.Body) return json(400, err(21602, 'Message body is required.', 400));
      if (unsubscribed.has(form.To!)) return json(400, err(21610, 'Attempt to send to unsubscribed recipient', 400));
      const sid = `SM${String(++seq).padStart(32, '0')}`;
      sent.push({ sid, to: form.To!, body: form.Body });
      return json(201, {
        sid,
        account_sid: account,
        to: form.To,
        from: form.From ?? null,
        messaging_service_sid: form.MessagingServiceSid ?? null,
        body: form.Body,
        status: 'queued',
        num_segments: '1',
        direction: 'outbound-api',
        date_created: new Date(clock.now()).toUTCString(),
        price: null,
        error_code: null,
        uri: `/2010-04-01/Accounts/${account}/Messages/${sid}.json`,
      });
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    requests,
    credentials,
    unsubscribed,
    sent,
    script: (a) => {
      queue = [...a];
    },
    close,
  };
}
