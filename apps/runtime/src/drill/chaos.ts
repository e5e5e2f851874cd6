// Local failing dependencies for the drill: an HTTP server and an SMTP-speaking TCP server that
// answer 500, 429, hang (timeout) or reset the connection, all on loopback.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type Fault = '500' | '429' | 'timeout' | 'reset';
export const FAULTS: Fault[] = ['500', '429', 'timeout', 'reset'];

export interface ChaosDeps {
  httpUrl: string;
  smtpPort: number;
  setFault(f: Fault): void;
  hits(): number;
  close(): Promise<void>;
}

export async function startChaosDeps(): Promise<ChaosDeps> {
  let fault: Fault = '500';
  let hits = 0;
  const hanging = new Set<Socket>();
  const http: Server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      if (fault === 'timeout') return;
      if (fault === 'reset') return req.socket.destroy();
      if (fault === '429') return res.writeHead(429, { 'retry-after': '5', 'content-type': 'application/json' }).end('{"error":"slow down"}');
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"injected failure"}');
    });
  });
  const smtp: TcpServer = createTcpServer((sock) => {
    hits++;
    sock.on('error', () => {});
    if (fault === 'reset') return sock.destroy();
    if (fault === 'timeout') return void hanging.add(sock);
    sock.end(fault === '429' ? '421 4.7.0 try again later\r\n' : '554 5.3.0 injected failure\r\n');
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
  return {
    httpUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    smtpPort: (smtp.address() as AddressInfo).port,
    setFault: (f) => (fault = f),
    hits: () => hits,
    close: async () => {
      for (const s of hanging) s.destroy();
      http.closeAllConnections();
      await new Promise<void>((ok) => http.close(() => ok()));
      await new Promise<void>((ok) => smtp.close(() => ok()));
    },
  };
}
