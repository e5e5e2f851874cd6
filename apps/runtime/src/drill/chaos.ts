// Local failing dependencies for the drill: an HTTP server and an SMTP-speaking TCP server that
// answer 500, 429, hang (timeout) or reset the connection, all on loopback. Connectors get their own
// path, /vendor/<app>/…, where a vendor fault (`<app>:<mode>`, from the connector's failureModes)
// answers the vendor's way while every other dependency answers normally.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FailureMode } from '../connectors/define.ts';

export type GenericFault = '500' | '429' | 'timeout' | 'reset';
/** a generic fault, or `<app>:<failure mode>` */
export type Fault = GenericFault | `${string}:${string}`;
export const FAULTS: GenericFault[] = ['500', '429', 'timeout', 'reset'];

export const VENDOR_PREFIX = '/vendor/';

export interface VendorFault {
  app: string;
  mode: FailureMode;
}

export interface ChaosDeps {
  httpUrl: string;
  smtpPort: number;
  /** the base URL the drill gives connections of `app` */
  vendorUrl(app: string): string;
  setFault(f: GenericFault | VendorFault, successes?: Record<string, { status: number; body: unknown }>): void;
  hits(): number;
  close(): Promise<void>;
}

const send = (res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  typeof body === 'string'
    ? res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body)
    : res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

export async function startChaosDeps(): Promise<ChaosDeps> {
  let fault: GenericFault | VendorFault = '500';
  let successes: Record<string, { status: number; body: unknown }> = {};
  let hits = 0;
  const hanging = new Set<Socket>();
  const http: Server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      const path = req.url ?? '';
      const app = path.startsWith(VENDOR_PREFIX) ? path.slice(VENDOR_PREFIX.length).split('/')[0] : undefined;
      if (typeof fault === 'object') {
        if (app === fault.app) return send(res, fault.mode.status, fault.mode.body, fault.mode.headers);
        const ok = app ? successes[app] : undefined;
        return ok ? send(res, ok.status, ok.body) : send(res, 200, { ok: true });
      }
      if (fault === 'timeout') return;
      if (fault === 'reset') return req.socket.destroy();
      if (fault === '429') return res.writeHead(429, { 'retry-after': '5', 'content-type': 'application/json' }).end('{"error":"slow down"}');
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"injected failure"}');
    });
  });
  const smtp: TcpServer = createTcpServer((sock) => {
    hits++;
    sock.on('error', () => {});
    // a vendor fault leaves e-mail alone: a server that takes the message
    if (typeof fault === 'object') return smtpAccept(sock);
    if (fault === 'reset') return sock.destroy();
    if (fault === 'timeout') return void hanging.add(sock);
    sock.end(fault === '429' ? '421 4.7.0 try again later\r\n' : '554 5.3.0 injected failure\r\n');
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
  const httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    httpUrl,
    smtpPort: (smtp.address() as AddressInfo).port,
    vendorUrl: (app) => `${httpUrl}${VENDOR_PREFIX}${app}`,
    setFault: (f, s = {}) => {
      fault = f;
      successes = s;
    },
    hits: () => hits,
    close: async () => {
      for (const s of hanging) s.destroy();
      http.closeAllConnections();
      await new Promise<void>((ok) => http.close(() => ok()));
      await new Promise<void>((ok) => smtp.close(() => ok()));
    },
  };
}

/** A minimal SMTP server that accepts every message. */
function smtpAccept(sock: Socket): void {
  let inData = false;
  let buf = '';
  sock.write('220 drill ESMTP\r\n');
  sock.on('data', (chunk: Buffer) => {
    buf += chunk.toString('latin1');
    for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          sock.write('250 2.0.0 queued\r\n');
        }
        continue;
      }
      const cmd = line.slice(0, 4).toUpperCase();
      if (cmd === 'EHLO' || cmd === 'HELO') sock.write('250 drill\r\n');
      else if (cmd === 'DATA') {
        inData = true;
        sock.write('354 go ahead\r\n');
      } else if (cmd === 'QUIT') sock.end('221 bye\r\n');
      else sock.write('250 ok\r\n');
    }
  });
}
