// What every loopback vendor fake shares: listening on 127.0.0.1 on a free port, and a close that
// does not wait for keep-alive connections.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function listenLoopback(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** The request body as text, then `then(raw)`; `JSON.parse`d to an object when it is one (else undefined). */
export function onBody(req: import('node:http').IncomingMessage, then: (raw: string, json: Record<string, unknown> | undefined) => void): void {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (raw += c));
  req.on('end', () => {
    let json: Record<string, unknown> | undefined;
    try {
      json = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    then(raw, json);
  });
}
