import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type dns from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKind, addressRefusal, checkEgress, EgressRefused, egressPolicy, egressRequest, guardedLookup } from './egress.ts';

const none = egressPolicy({});
const owner = { originFromEvent: false, credential: false };
const event = { originFromEvent: true, credential: false };

describe('addressKind', () => {
  it('names every range an event-chosen URL may not reach, in every spelling', () => {
    expect(addressKind('93.184.215.14')).toBe('public');
    expect(addressKind('2606:4700::1111')).toBe('public');
    expect(addressKind('127.0.0.1')).toBe('loopback');
    expect(addressKind('::1')).toBe('loopback');
    expect(addressKind('::ffff:127.0.0.1')).toBe('loopback'); // IPv4-mapped
    expect(addressKind('10.1.2.3')).toBe('private');
    expect(addressKind('192.168.1.5')).toBe('private');
    expect(addressKind('172.20.0.1')).toBe('private');
    expect(addressKind('fd12::1')).toBe('uniqueLocal');
    expect(addressKind('0.0.0.0')).toBe('unspecified');
    expect(addressKind('100.64.0.1')).toBe('carrierGradeNat');
    expect(addressKind('64:ff9b::7f00:1')).toBe('loopback'); // NAT64 of 127.0.0.1
    expect(addressKind('2002:a9fe:a9fe::1')).toBe('link-local'); // 6to4 of 169.254.169.254
  });
  it('counts link-local and cloud metadata addresses as link-local', () => {
    for (const a of ['169.254.169.254', '169.254.1.1', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '::ffff:169.254.169.254']) expect(addressKind(a)).toBe('link-local');
  });
});

describe('addressRefusal and FLOWDESK_EGRESS_ALLOW', () => {
  it('refuses link-local for every call, internal ranges only for event-chosen URLs', () => {
    expect(addressRefusal('169.254.169.254', owner, none)).toMatch(/link-local or cloud-metadata address, refused for every flow unless FLOWDESK_EGRESS_ALLOW lists it/);
    expect(addressRefusal('127.0.0.1', owner, none)).toBeUndefined();
    expect(addressRefusal('10.0.0.5', owner, none)).toBeUndefined();
    expect(addressRefusal('127.0.0.1', event, none)).toMatch(/loopback address, and the URL's host came from event data/);
    expect(addressRefusal('10.0.0.5', event, none)).toMatch(/private address/);
    expect(addressRefusal('93.184.215.14', event, none)).toBeUndefined();
  });
  it('lets listed addresses and subnets through', () => {
    const p = egressPolicy({ FLOWDESK_EGRESS_ALLOW: '169.254.169.254, 10.0.0.0/8,fd00::/8' });
    expect(addressRefusal('169.254.169.254', owner, p)).toBeUndefined();
    expect(addressRefusal('169.254.169.253', owner, p)).toBeDefined();
    expect(addressRefusal('10.9.9.9', event, p)).toBeUndefined();
    expect(addressRefusal('fd00:ec2::254', owner, p)).toBeUndefined();
    expect(addressRefusal('127.0.0.1', event, p)).toBeDefined();
  });
  it('refuses a name or a malformed entry at start, naming it', () => {
    expect(() => egressPolicy({ FLOWDESK_EGRESS_ALLOW: 'metadata.google.internal' })).toThrow(/"metadata.google.internal" is not an IP address or subnet/);
    expect(() => egressPolicy({ FLOWDESK_EGRESS_ALLOW: '10.0.0.0/33' })).toThrow(/"10.0.0.0\/33"/);
  });
});

describe('checkEgress', () => {
  const check = (url: string, call: Parameters<typeof checkEgress>[1]) => () => checkEgress(new URL(url), call, none);
  it('refuses a credential to a URL whose origin came from the event, wherever it points', () => {
    expect(check('https://api.example.com/x', { originFromEvent: true, credential: true })).toThrow(/came from event data, and this call carries a secret or a connection/);
    expect(check('https://api.example.com/x', { originFromEvent: true, credential: false })).not.toThrow();
    expect(check('https://api.example.com/x', { originFromEvent: false, credential: true })).not.toThrow();
  });
  it('keeps a credential to its hosts when they are given', () => {
    const call = { originFromEvent: false, credential: true, credentialHosts: ['api.hubapi.com', '*.slack.com'] };
    expect(check('https://api.hubapi.com/crm', call)).not.toThrow();
    expect(check('https://hooks.slack.com/x', call)).not.toThrow();
    expect(check('https://slack.com.evil.example/x', call)).toThrow(/goes only to api.hubapi.com, \*.slack.com/);
    expect(check('https://evil.example/x', call)).toThrow(EgressRefused);
  });
  it('checks IP-literal hosts (no DNS lookup happens for them) and schemes', () => {
    expect(check('http://169.254.169.254/latest/meta-data/', owner)).toThrow(/link-local/);
    expect(check('http://[::ffff:169.254.169.254]/', owner)).toThrow(/link-local/);
    expect(check('http://2130706433/', event)).toThrow(/127.0.0.1 is a loopback address/); // the URL parser's reading of a decimal host
    expect(check('http://[::1]:8080/', event)).toThrow(/::1 is a loopback address/);
    expect(check('ftp://example.com/x', owner)).toThrow(/only http and https/);
  });
});

describe('guardedLookup: the addresses a name resolves to when the socket connects', () => {
  // a resolver that answers a public address first and loopback after: DNS rebinding
  const rebinding = (): typeof dns.lookup => {
    let n = 0;
    return ((_h: string, _o: unknown, cb: (e: null, a: dns.LookupAddress[]) => void) => cb(null, [{ address: n++ === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 }])) as unknown as typeof dns.lookup;
  };
  const lookupOnce = (lookup: ReturnType<typeof guardedLookup>, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown }>((resolve) => lookup('rebind.evil.example', { all }, (err, address) => resolve({ err, address })));

  it('checks every connect, so a name that turns internal after a first public answer is refused', async () => {
    const lookup = guardedLookup(event, none, rebinding());
    expect(await lookupOnce(lookup, false)).toEqual({ err: null, address: '93.184.215.14' });
    const second = await lookupOnce(lookup, true);
    expect(second.err).toBeInstanceOf(EgressRefused);
    expect(second.err!.message).toMatch(/rebind.evil.example: it resolves to 127.0.0.1 is a loopback address/);
  });
  it('refuses when any of the addresses is refused', async () => {
    const both = ((_h: string, _o: unknown, cb: (e: null, a: dns.LookupAddress[]) => void) =>
      cb(null, [{ address: '93.184.215.14', family: 4 }, { address: '169.254.169.254', family: 4 }])) as unknown as typeof dns.lookup;
    expect((await lookupOnce(guardedLookup(owner, none, both), true)).err).toBeInstanceOf(EgressRefused);
  });
});

describe('egressRequest against a local server', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));
  const send = (url: string, call: typeof owner) => egressRequest({ url: new URL(url), method: 'GET', headers: {}, timeoutMs: 5000, ...call }, none);

  it('calls an owner-built loopback URL, by address and by name', async () => {
    expect((await send(`http://127.0.0.1:${port}/a`, owner)).status).toBe(200);
    expect((await send(`http://localhost:${port}/b`, owner)).status).toBe(200);
    expect(hits).toEqual(['/a', '/b']);
  });
  it('refuses the same server for an event-chosen URL, by address before connecting and by name at connect time', async () => {
    await expect(send(`http://127.0.0.1:${port}/c`, event)).rejects.toThrow(EgressRefused);
    await expect(send(`http://localhost:${port}/d`, event)).rejects.toThrow(/localhost: it resolves to (127\.0\.0\.1|::1) is a loopback address/);
    expect(hits).toEqual(['/a', '/b']);
  });
  it('lets an event-chosen URL through to an address FLOWDESK_EGRESS_ALLOW lists', async () => {
    const allow = egressPolicy({ FLOWDESK_EGRESS_ALLOW: '127.0.0.1/32, ::1' });
    const res = await egressRequest({ url: new URL(`http://localhost:${port}/e`), method: 'GET', headers: {}, timeoutMs: 5000, ...event }, allow);
    expect(res.status).toBe(200);
    expect(hits).toEqual(['/a', '/b', '/e']);
  });
});
