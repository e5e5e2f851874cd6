// docs/scaling.md's set-up, run as written: two runtime processes on one PostgreSQL behind a real nginx
// configured with the doc's own `nginx` block (its upstream pointed at the two, its TLS listener at a
// loopback port) and the doc's environment (admin token, allowed host, FLOWDESK_TRUST_PROXY=1). Webhooks
// through the proxy land on both instances, each stored once; the admin API answers the public name with
// the token only; a client cannot dodge the failed-auth limit with a forged X-Forwarded-For; and with one
// instance SIGKILLed, the proxy's `proxy_next_upstream error` sends every webhook to the other — none fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { flowsDirWith, REPO, tempDir } from '../support/runtime.ts';
import { waitFor } from '../support/wait.ts';

const PUBLIC_NAME = 'flowdesk.example.com';
const ADMIN_TOKEN = 'admin-token-for-the-proxy-test-0123456789';
const HOOK_TOKEN = 'hook-token-0123456789';

let pgServer: PostgresInstance | undefined;
let databaseUrl = '';
let nginx: ChildProcess | undefined;
let proxyPort = 0;
const nodes: ChildRuntime[] = [];
const dirs: string[] = [];

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });

/** The doc's nginx block with its upstream set to `upstreams` and its listener on a loopback port. */
function proxyConfig(doc: string, upstreams: string[], port: number): string {
  const block = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/scaling.md has no nginx block');
  const upstream = /upstream flowdesk \{[^}]*\}/;
  const listen = /listen 443 ssl;/;
  if (!upstream.test(block) || !listen.test(block)) throw new Error('the nginx block changed: update this test with it');
  return block.replace(upstream, `upstream flowdesk { ${upstreams.map((u) => `server ${u};`).join(' ')} }`).replace(listen, `listen 127.0.0.1:${port};`);
}

/** A request to the proxy as a client on the internet sends it: to the public name. */
function viaProxy(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port: proxyPort, method, path, headers: { host: PUBLIC_NAME, ...(data ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) } : {}), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          ok({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', fail);
    req.end(data);
  });
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  pgServer = await startPostgres();
  databaseUrl = (await createDatabase(pgServer)).url;
  const flowsDir = flowsDirWith([]);
  dirs.push(flowsDir);
  const env = (name: string) => {
    const dataDir = tempDir(`flowdesk-proxy-${name}-`);
    dirs.push(dataDir);
    return {
      FLOWDESK_DATA_DIR: dataDir,
      FLOWDESK_FLOWS_DIR: flowsDir,
      FLOWDESK_DATABASE_URL: databaseUrl,
      FLOWDESK_ADMIN_TOKEN: ADMIN_TOKEN,
      FLOWDESK_ALLOWED_HOSTS: PUBLIC_NAME,
      FLOWDESK_TRUST_PROXY: '1',
      FLOWDESK_SECRET_HOOK_TOKEN: HOOK_TOKEN,
      FLOWDESK_LEASE_MS: '1500',
    };
  };
  nodes.push(...(await Promise.all(['a', 'b'].map((n) => startChildRuntime(env(n))))));

  const dir = tempDir('flowdesk-nginx-');
  dirs.push(dir);
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, t));
  proxyPort = await freePort();
  const site = proxyConfig(readFileSync(join(REPO, 'docs/scaling.md'), 'utf8'), nodes.map((n) => new URL(n.url).host), proxyPort);
  const conf = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    process.getuid?.() === 0 ? 'user root;' : '',
    'events { worker_connections 256; }',
    'http {',
    '  access_log off;',
    ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t === 'body' ? 'client_body' : t}_temp_path ${dir}/${t};`),
    site,
    '}',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  nginx.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(`nginx answers on ${proxyPort} (${out})`, async () => ((await viaProxy('GET', '/healthz').catch(() => undefined))?.status === 200 ? true : undefined), 30_000, 50);
}, 180_000);

afterAll(async () => {
  nginx?.kill('SIGTERM');
  for (const n of nodes) await n.kill('SIGTERM');
  await pgServer?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flow = {
  dsl: 1,
  id: 'leads',
  name: 'Leads',
  trigger: { type: 'webhook', path: 'leads', auth: { type: 'token', secret: 'HOOK_TOKEN' } },
  nodes: [{ id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'end' }],
};

async function runsByOwner(): Promise<Map<string, number>> {
  const c = new pg.Client(databaseUrl);
  await c.connect();
  try {
    const { rows } = await c.query<{ owner: string; n: number }>("SELECT owner, count(*)::int AS n FROM runs WHERE flow_id = 'leads' GROUP BY owner");
    return new Map(rows.map((r) => [r.owner, r.n]));
  } finally {
    await c.end();
  }
}

describe("docs/scaling.md's set-up behind a real nginx", { timeout: 120_000 }, () => {
  it('the admin API answers the public name with the token only; a deploy through the proxy is served by both instances', async () => {
    expect((await viaProxy('GET', '/api/flows')).status).toBe(401);
    expect((await viaProxy('PUT', '/api/flows/leads', flow, admin)).status).toBe(200);
    for (const n of nodes) await waitFor('both instances serve the flow', async () => ((await fetch(`${n.url}/api/flows/leads`, { headers: admin })).status === 200 ? true : undefined));
  });

  it('webhooks through the proxy land on both instances, each stored once', async () => {
    for (let i = 0; i < 20; i++) expect((await viaProxy('POST', '/hooks/leads', { n: i }, { 'x-flowdesk-token': HOOK_TOKEN, 'idempotency-key': `k${i}` })).status).toBe(202);
    const owners = await runsByOwner();
    expect([...owners.values()].reduce((a, b) => a + b, 0)).toBe(20);
    expect(owners.size).toBe(2); // round robin: both took some
  });

  it('a forged X-Forwarded-For does not escape the failed-auth limit: the proxy appends the real client, which is what counts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) {
      statuses.push((await viaProxy('POST', '/hooks/leads', { n: i }, { 'x-flowdesk-token': 'wrong', 'x-forwarded-for': `203.0.113.${i}` })).status);
    }
    const unauthorized = statuses.filter((s) => s === 401).length;
    // 30 failures per client address (1/s after), split between the two instances: about 30 in all
    expect(unauthorized).toBeGreaterThanOrEqual(30);
    expect(unauthorized).toBeLessThanOrEqual(34);
    expect(statuses.filter((s) => s === 429).length).toBe(45 - unauthorized);
  });

  it('one instance SIGKILLed: every webhook through the proxy goes to the other (proxy_next_upstream error), none fails', async () => {
    await nodes[0]!.kill('SIGKILL');
    const statuses: number[] = [];
    for (let i = 20; i < 40; i++) statuses.push((await viaProxy('POST', '/hooks/leads', { n: i }, { 'x-flowdesk-token': HOOK_TOKEN, 'idempotency-key': `k${i}` })).status);
    expect(statuses).toEqual(Array(20).fill(202));
    const owners = await runsByOwner();
    expect([...owners.values()].reduce((a, b) => a + b, 0)).toBe(40);
  });
});
