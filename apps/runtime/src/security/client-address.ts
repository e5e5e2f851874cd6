// Who sent a request: the socket's peer, or — only when FLOWDESK_TRUST_PROXY says a proxy is in front —
// the address that proxy forwarded (X-Forwarded-For, read by proxy-addr exactly as Express reads it).
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/** Whether the hop at `addr` (i = 0 is the socket's peer) is a proxy Flowdesk trusts to forward. */
export type TrustProxy = (addr: string, i: number) => boolean;

/**
 * Parses FLOWDESK_TRUST_PROXY: unset, "" or "0" → no proxy (the forwarded headers are ignored);
 * a whole number N → the N hops nearest to Flowdesk are proxies; otherwise a comma list of proxy
 * addresses or subnets ("127.0.0.1", "10.0.0.0/8", "loopback", "uniquelocal"). "true" (trust every
 * hop) is refused: any client could then pick its own address.
 */
export function trustProxyFromEnv(value: string | undefined): TrustProxy | undefined {
  const v = value?.trim() ?? '';
  if (v === '' || v === '0' || v.toLowerCase() === 'false') return undefined;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return (_addr, i) => i < hops;
  }
  if (v.toLowerCase() === 'true') {
    throw new Error('FLOWDESK_TRUST_PROXY=true would let any client choose its address: give the number of proxies in front (e.g. 1) or their addresses (e.g. 127.0.0.1, 10.0.0.0/8, loopback)');
  }
  try {
    return proxyAddr.compile(v.split(',').map((s) => s.trim()).filter(Boolean));
  } catch (e) {
    throw new Error(`FLOWDESK_TRUST_PROXY="${v}": ${(e as Error).message}`);
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so one client has one key whichever socket family it came by. */
export function normalizeAddress(addr: string | undefined): string {
  if (!addr) return 'unknown';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** The client's address: the forwarded one behind a trusted proxy, the socket's peer otherwise. */
export function clientAddress(req: IncomingMessage, trust: TrustProxy | undefined): string {
  if (!trust) return normalizeAddress(req.socket.remoteAddress);
  return normalizeAddress(proxyAddr(req, trust));
}

/** Whether the socket's peer is a proxy Flowdesk trusts (its requests count by forwarded address). */
export function peerIsTrustedProxy(remoteAddress: string | undefined, trust: TrustProxy | undefined): boolean {
  return !!trust && !!remoteAddress && trust(normalizeAddress(remoteAddress), 0);
}
