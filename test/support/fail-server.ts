// A real local HTTP dependency that fails on purpose: scripted answers (status, headers, hang,
// connection reset), recording every request with its Idempotency-Key.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';

export interface FailServer {
  url: string;
  requests: { at: number; url: string; headers: IncomingHttpHeaders; body: string; key: string | undefined }[];
  /** answers used in order; after the script, `fallback` */
  script(answers: Answer[], fallback?: Answer): void;
  close(): Promise<void>;
}

/** `host`: the loopback address it listens on (any of 127.0.0.0/8 on Linux). */
export async function startFailServer(clock: { now(): number } = Date, host = '127.0.0.1'): Promise<FailServer> {
  let queue: Answer[] = [];
  let fallback: Answer = { status: 200, body: '{"ok":true}' };
  const requests: FailServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ at: clock.now(), url: req.url ?? '', headers: req.headers, body, key: req.headers['idempotency-key'] as string | undefined });
      const a = queue.length ? queue.shift()! : fallback;
      if (a === 'hang') return; // never answers: the caller's timeout fires
      if (a === 'reset') return req.socket.destroy();
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body ?? JSON.stringify({ status: a.status }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, host, ok));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    requests,
    script(answers, fb) {
      queue = [...answers];
      if (fb) fallback = fb;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
