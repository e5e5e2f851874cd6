// The guarded way out (issue 12, item 7). Every call Flowdesk makes for a flow — http.request,
// text.generate, every connector — goes through this module, so the rules below hold whoever built
// the URL (a template, a whole-URL placeholder, `$logic`, a connector's baseUrl).
//
// API
//   egressPolicy(env)                      FLOWDESK_EGRESS_ALLOW parsed (cached per value); throws on a bad entry
//   checkEgress(url, call, policy)         the checks before connecting: scheme, where a credential may go,
//                                          an IP-literal host; throws EgressRefused
//   egressRequest(request, policy)         one HTTP(S) exchange — on the loop thread while traffic is light,
//                                          else on the egress worker (egress-thread.ts):
//                                          checkEgress, then undici pools whose `lookup` checks every address a name
//                                          resolves to at connect time (so DNS rebinding has no window), a hard
//                                          deadline on the whole exchange, a body cap
//   exchange(request, policy)              the same on the calling thread (what the worker runs; egress-exchange.ts)
//   egressDispatcher(call, policy)         that pool (undici; egress-exchange.ts), for a client library that
//                                          sends its own requests (call checkEgress first: an IP-literal host skips `lookup`)
//   EgressRefused                          nothing was sent; executors fail the step at once (class 'error')
//
// EgressCall (what the caller knows about the call)
//   originFromEvent   event data shaped the scheme, host or port (the engine's provenance.urlOriginFromEvent)
//   credential        the call carries a secret or a connection's credential (provenance.credential)
//   credentialHosts   optional: the hosts that credential may go to (`api.example.com`, `*.example.com`),
//                     e.g. a connection's app API hosts and the host of its baseUrl
//
// Rules
//   1. http: and https: only.
//   2. originFromEvent with a credential: refused (a secret goes only to a host written in the flow or
//      set by the owner in config/secrets).
//   3. credentialHosts given: the URL's host must be one of them.
//   4. Every address connected to: link-local (169.254.0.0/16, fe80::/10) and cloud metadata
//      (169.254.169.254, fd00:ec2::254, 100.100.100.200) refused for every call; with originFromEvent,
//      public unicast addresses only (no loopback, private, unique-local, CGNAT, unspecified, multicast,
//      NAT64/6to4 forms of those). An address in a FLOWDESK_EGRESS_ALLOW subnet passes rule 4.
import dns from 'node:dns';
import type http from 'node:http';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { EgressThread, type EgressJob } from './egress-thread.ts';
import { intSetting } from '../int-setting.ts';

export interface EgressCall {
  originFromEvent: boolean;
  credential: boolean;
  credentialHosts?: readonly string[];
}

export interface EgressPolicy {
  /** FLOWDESK_EGRESS_ALLOW as given (the agents' cache key) */
  readonly source: string;
  /** whether an address lies in an allowed subnet */
  allows(address: string): boolean;
}

export class EgressRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EgressRefused';
  }
}

// ── addresses ──

type Addr = ipaddr.IPv4 | ipaddr.IPv6;
const METADATA = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'].map((a) => ipaddr.parse(a).toNormalizedString());

function parseAddress(address: string): Addr | undefined {
  try {
    const a = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
  } catch {
    return undefined;
  }
}

/** The IPv4 address inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address, which reaches it. */
function embeddedIPv4(a: Addr): ipaddr.IPv4 | undefined {
  if (a.kind() !== 'ipv6') return undefined;
  const p = (a as ipaddr.IPv6).parts;
  const range = a.range();
  if (range === 'rfc6052' && p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0) return new ipaddr.IPv4([p[6]! >> 8, p[6]! & 255, p[7]! >> 8, p[7]! & 255]);
  if (range === '6to4') return new ipaddr.IPv4([p[1]! >> 8, p[1]! & 255, p[2]! >> 8, p[2]! & 255]);
  return undefined;
}

/** What kind of target an address is: `public`, `link-local` (incl. cloud metadata), or another range name (`loopback`, `private`, …). */
export function addressKind(address: string): string {
  // a pure function of the text, asked before every call a flow makes: the addresses seen last are remembered
  let kind = kinds.get(address);
  if (kind === undefined) {
    if (kinds.size >= KINDS_KEPT) kinds.clear();
    kind = kindOf(address);
    kinds.set(address, kind);
  }
  return kind;
}
const kinds = new Map<string, string>();
const KINDS_KEPT = 1024;

function kindOf(address: string): string {
  const a = parseAddress(address);
  if (!a) return 'unparseable';
  const inner = embeddedIPv4(a);
  if (inner) {
    const k = addressKind(inner.toString());
    if (k !== 'public') return k;
  }
  if (METADATA.includes(a.toNormalizedString())) return 'link-local';
  const range = a.range();
  if (range === 'linkLocal') return 'link-local';
  return range === 'unicast' ? 'public' : range;
}

const KIND_TEXT: Record<string, string> = {
  'link-local': 'a link-local or cloud-metadata address',
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique-local) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
};

/** Why this call may not connect to `address`, or undefined when it may. */
export function addressRefusal(address: string, call: Pick<EgressCall, 'originFromEvent'>, policy: EgressPolicy): string | undefined {
  const kind = addressKind(address);
  if (kind === 'public' || policy.allows(address)) return undefined;
  const what = KIND_TEXT[kind] ?? `a ${kind} address`;
  if (kind === 'link-local') return `${address} is ${what}, refused for every flow unless FLOWDESK_EGRESS_ALLOW lists it`;
  if (call.originFromEvent) return `${address} is ${what}, and the URL's host came from event data: such a URL may reach public addresses only (FLOWDESK_EGRESS_ALLOW lists exceptions)`;
  return undefined;
}

// ── policy ──

const policies = new Map<string, EgressPolicy>();

/** FLOWDESK_EGRESS_ALLOW: a comma list of addresses or subnets (`169.254.169.254`, `10.0.0.0/8`, `fd00::/8`). */
export function egressPolicy(env: Record<string, string | undefined>): EgressPolicy {
  const source = env.FLOWDESK_EGRESS_ALLOW?.trim() ?? '';
  let p = policies.get(source);
  if (p) return p;
  const subnets: [Addr, number][] = [];
  for (const entry of source.split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      if (entry.includes('/')) subnets.push(ipaddr.parseCIDR(entry));
      else {
        const a = ipaddr.parse(entry);
        subnets.push([a, a.kind() === 'ipv4' ? 32 : 128]);
      }
    } catch {
      throw new Error(`FLOWDESK_EGRESS_ALLOW: "${entry}" is not an IP address or subnet (e.g. 169.254.169.254, 10.0.0.0/8, fd00::/8); names are not accepted, since what a name resolves to can change`);
    }
  }
  p = {
    source,
    allows(address) {
      if (subnets.length === 0) return false;
      const a = parseAddress(address);
      return !!a && subnets.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
    },
  };
  policies.set(source, p);
  return p;
}

// ── checks ──

function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  return p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
}

/** The checks that need no DNS: throws EgressRefused when the call may not be sent. */
export function checkEgress(url: URL, call: EgressCall, policy: EgressPolicy): void {
  const where = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EgressRefused(`refused ${where}: only http and https URLs are called`);
  if (call.originFromEvent && call.credential) {
    throw new EgressRefused(`refused ${where}: the URL's scheme, host or port came from event data, and this call carries a secret or a connection; a credential goes only to a host written in the flow or set in config`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (call.credentialHosts && !call.credentialHosts.some((h) => hostMatches(host, h))) {
    throw new EgressRefused(`refused ${where}: this credential goes only to ${call.credentialHosts.join(', ')}`);
  }
  if (net.isIP(host)) {
    const why = addressRefusal(host, call, policy);
    if (why) throw new EgressRefused(`refused ${where}: ${why}`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address?: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect that refuses a name resolving to an address the call may not reach. */
export function guardedLookup(call: Pick<EgressCall, 'originFromEvent'>, policy: EgressPolicy, resolve: typeof dns.lookup = dns.lookup) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err);
      for (const a of addresses) {
        const why = addressRefusal(a.address, call, policy);
        if (why) return callback(new EgressRefused(`refused ${hostname}: it resolves to ${why}`));
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      callback(null, first.address, first.family);
    });
  };
}

// ── one exchange ──

export interface EgressRequest extends EgressCall {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** a hard deadline on the whole exchange: connect, send, response body */
  timeoutMs: number;
  /** bytes of the response body kept (the rest is read and dropped); default 1 MiB */
  maxBodyBytes?: number;
}

export interface EgressResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export const DEFAULT_MAX_BODY = 1024 * 1024;
export const DEFAULT_EGRESS_ON_LOOP = 2;

/**
 * Sends one request under the rules above, on the loop thread while traffic is light, else on the egress
 * worker (egress-thread.ts). Rejects with EgressRefused (nothing sent), an Error named `TimeoutError`,
 * the socket's error (with its `code`: ECONNREFUSED, ENOTFOUND, …) or, the worker gone, code EGRESS_WORKER_GONE.
 */
export function egressRequest(r: EgressRequest, policy: EgressPolicy): Promise<EgressResponse> {
  try {
    checkEgress(r.url, r, policy);
  } catch (e) {
    return Promise.reject(e);
  }
  const job: Omit<EgressJob, 'id'> = { policy: policy.source, url: r.url.href, method: r.method, headers: r.headers, timeoutMs: r.timeoutMs, originFromEvent: r.originFromEvent, credential: r.credential };
  if (r.body !== undefined) job.body = r.body;
  if (r.maxBodyBytes !== undefined) job.maxBodyBytes = r.maxBodyBytes;
  if (r.credentialHosts) job.credentialHosts = r.credentialHosts;
  const thread = egressThread();
  if (thread.size === 0 && onLoop < onLoopMax) return onLoopThread(r, policy);
  return thread.send(job);
}

// While traffic is light — the worker holds no exchange and the loop thread fewer than onLoopMax — the
// loop thread runs an exchange itself: the hand-off to the worker and back costs more than the exchange
// does (two thread wake-ups, each ~20–30 µs of kernel time on a virtual machine; at 1,000 events/s the
// runtime's CPU per event −5 to −18% and ~2 fewer context switches, docs/performance.md stops 43–44).
// Under load the worker takes the rest off the loop (at saturation it saves the loop ~a fifth of each
// event's CPU). The same exchange() either way.
let onLoop = 0;
let onLoopMax = DEFAULT_EGRESS_ON_LOOP;
let loaded: Promise<typeof import('./egress-exchange.ts')> | undefined;

function onLoopThread(r: EgressRequest, policy: EgressPolicy): Promise<EgressResponse> {
  onLoop++;
  // loaded on first use: the HTTP client (undici) is evaluated only by a process that calls out
  loaded ??= import('./egress-exchange.ts');
  return loaded
    .then((m) => m.exchange(r, policy))
    .finally(() => {
      onLoop--;
    });
}

/** FLOWDESK_EGRESS_ON_LOOP: how many exchanges the loop thread takes itself while the worker is idle (0: every one on the worker). */
export const egressOnLoop = (value: string | undefined): number => intSetting('FLOWDESK_EGRESS_ON_LOOP', value, 0, 64, DEFAULT_EGRESS_ON_LOOP);

export function setEgressOnLoop(max: number): void {
  onLoopMax = max;
}

/**
 * What a step's error says of a failed exchange: the system's code (ECONNREFUSED) or the message; a
 * stopped egress worker says why it stopped too (the code alone would send the owner to the logs).
 */
export function networkFailureText(e: Error & { code?: unknown }): string {
  if (typeof e.code !== 'string') return e.message;
  return e.code === 'EGRESS_WORKER_GONE' ? `${e.code} (${e.message})` : e.code;
}

let thread: EgressThread | undefined;
/** The process's egress worker client (one per process, like the connection pools it replaces). */
export function egressThread(): EgressThread {
  return (thread ??= new EgressThread((e) => (e.name === 'EgressRefused' ? new EgressRefused(e.message) : Object.assign(new Error(e.message), e))));
}
