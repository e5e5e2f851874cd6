// A TCP proxy on loopback that a test can cut: `cut()` destroys every open connection and makes new ones
// hang (accepted, never forwarded) — a network partition between one client and its server, while other
// clients still reach the server directly. `mend()` forwards again.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let partitioned = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (partitioned) return; // hangs: no bytes either way, like a dropped route
    const upstream = connect(targetPort, targetHost);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      partitioned = true;
      for (const s of open) s.destroy();
    },
    mend() {
      partitioned = false;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}
