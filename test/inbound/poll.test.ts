// The poll trigger against feeds served on loopback (JSON and RSS): new items start one run each,
// across restarts; the first activation skips what is there (unless backfill); ETag and
// Last-Modified are sent back and a 304 starts nothing; errors back off and alert once; the egress
// rules refuse link-local targets; bad trigger documents are refused at deploy, naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';
import { ITEMS_PER_READ } from '../../apps/runtime/src/pollers/url-poller.ts';

interface Feed {
  url: string;
  /** what GET answers: a body and content type, or a status */
  body: string;
  type: string;
  status: number;
  etag?: string;
  lastModified?: string;
  requests: IncomingHttpHeaders[];
  answered304: number;
}
let server: Server;
const feeds = new Map<string, Feed>();
let base = '';
const dirs: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const f = feeds.get(req.url ?? '');
    if (!f) return res.writeHead(404).end();
    f.requests.push(req.headers);
    if (f.status !== 200) return res.writeHead(f.status, { 'content-type': 'application/json' }).end('{"error":"down"}');
    if ((f.etag && req.headers['if-none-match'] === f.etag) || (!f.etag && f.lastModified && req.headers['if-modified-since'] === f.lastModified)) {
      f.answered304++;
      return res.writeHead(304).end();
    }
    res.writeHead(200, { 'content-type': f.type, ...(f.etag ? { etag: f.etag } : {}), ...(f.lastModified ? { 'last-modified': f.lastModified } : {}) }).end(f.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function serve(path: string, init: Partial<Feed> = {}): Feed {
  const f: Feed = { url: base + path, body: '[]', type: 'application/json', status: 200, requests: [], answered304: 0, ...init };
  feeds.set(path, f);
  return f;
}
const jobs = (f: Feed, items: { id: string; title: string }[], etag: string) => Object.assign(f, { body: JSON.stringify({ items }), etag });
const rss = (items: { guid: string; title: string }[]) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>Leads</title><link>https://example.com</link><description>d</description>${[...items]
    .reverse()
    .map((i) => `<item><title>${i.title}</title><guid>${i.guid}</guid><link>https://example.com/${i.guid}</link></item>`)
    .join('')}</channel></rss>`;

const pollFlow = (id: string, trigger: Record<string, unknown>) => ({
  dsl: 1,
  id,
  name: id,
  trigger: { type: 'poll', interval: '5m', ...trigger },
  nodes: [{ id: 'done', type: 'end' }],
  edges: [{ from: 'trigger', to: 'done' }],
});
const keysOf = async (rt: TestRuntime, flowId: string) => ((await rt.get(`/api/runs?flowId=${flowId}&limit=1000`)).body as any[]).map((r) => r.idempotencyKey).sort();
/** A runtime on `dataDir`; a restart passes the clock on (the store's timers are due on it). */
const newRuntime = (dataDir: string, after?: TestRuntime) => startTestRuntime({ dataDir, ...(after ? { clock: new ManualClock(after.clock.now()) } : {}) });

describe('poll trigger', () => {
  it('JSON: skips what is there on first activation, runs each new item once across restarts, and honours ETag', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const feed = jobs(serve('/jobs.json'), [{ id: 'j1', title: 'old' }, { id: 'j2', title: 'old too' }], '"v1"');
    let rt = await newRuntime(dataDir);
    expect((await rt.put('/api/flows/jobs', pollFlow('jobs', { url: feed.url }))).status).toBe(200);
    await rt.settle();
    expect(await keysOf(rt, 'jobs')).toEqual([]);
    expect(feed.requests).toHaveLength(1);
    expect((await rt.store.getTimer('poll:jobs'))!.dueAt).toBe(new Date(rt.clock.now() + 300_000).toISOString());

    await rt.advance(300_000); // unchanged: the ETag comes back, 304, nothing starts
    expect(feed.requests[1]!['if-none-match']).toBe('"v1"');
    expect(feed.answered304).toBe(1);
    expect(await keysOf(rt, 'jobs')).toEqual([]);

    jobs(feed, [{ id: 'j1', title: 'old' }, { id: 'j2', title: 'old too' }, { id: 'j3', title: 'new' }], '"v2"');
    await rt.advance(300_000);
    expect(await keysOf(rt, 'jobs')).toEqual(['j3']);
    const run = (await rt.get(`/api/runs?flowId=jobs`)).body[0];
    expect((await rt.get(`/api/runs/${run.id}`)).body).toMatchObject({ payload: { id: 'j3', title: 'new' }, trigger: { type: 'poll', itemKey: 'j3' } });
    await rt.close();

    // a restart reads the same list: nothing repeats; one more item runs once
    jobs(feed, [{ id: 'j1', title: 'old' }, { id: 'j2', title: 'old too' }, { id: 'j3', title: 'new' }, { id: 'j4', title: 'newer' }], '"v3"');
    rt = await newRuntime(dataDir, rt);
    try {
      await rt.advance(300_000);
      expect(await keysOf(rt, 'jobs')).toEqual(['j3', 'j4']);
      await rt.advance(300_000);
      expect(await keysOf(rt, 'jobs')).toEqual(['j3', 'j4']);
    } finally {
      await rt.close();
    }
  });

  it('RSS: items by guid, once each across restarts; Last-Modified is sent back', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const feed = serve('/leads.rss', { type: 'application/rss+xml', body: rss([{ guid: 'g1', title: 'first' }]), lastModified: 'Mon, 02 Mar 2026 08:00:00 GMT' });
    let rt = await newRuntime(dataDir);
    expect((await rt.put('/api/flows/leads', pollFlow('leads', { url: feed.url, format: 'feed' }))).status).toBe(200);
    await rt.settle();
    expect(await keysOf(rt, 'leads')).toEqual([]);
    Object.assign(feed, { body: rss([{ guid: 'g1', title: 'first' }, { guid: 'g2', title: 'second' }, { guid: 'g3', title: 'third' }]), lastModified: 'Mon, 02 Mar 2026 09:00:00 GMT' });
    await rt.advance(300_000);
    expect(feed.requests[1]!['if-modified-since']).toBe('Mon, 02 Mar 2026 08:00:00 GMT');
    const runs = (await rt.get('/api/runs?flowId=leads')).body as any[];
    const titles = await Promise.all(runs.map(async (r) => (await rt.get(`/api/runs/${r.id}`)).body.payload.title));
    expect(titles.sort()).toEqual(['second', 'third']);
    expect(await keysOf(rt, 'leads')).toEqual(['g2', 'g3']);
    await rt.close();
    rt = await newRuntime(dataDir, rt);
    try {
      await rt.advance(300_000);
      expect(feed.answered304).toBe(1);
      expect(await keysOf(rt, 'leads')).toEqual(['g2', 'g3']);
    } finally {
      await rt.close();
    }
  });

  it('backfill: true runs the items already there on first activation', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const feed = jobs(serve('/backfill.json'), [{ id: 'b1', title: 'a' }, { id: 'b2', title: 'b' }], '"b"');
    const rt = await newRuntime(dataDir);
    try {
      expect((await rt.put('/api/flows/bf', pollFlow('bf', { url: feed.url, backfill: true }))).status).toBe(200);
      await rt.settle();
      expect(await keysOf(rt, 'bf')).toEqual(['b1', 'b2']);
    } finally {
      await rt.close();
    }
  });

  it('more new items than one read takes: the rest are read at once, unconditionally (no 304 for an unfinished answer)', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const items = Array.from({ length: ITEMS_PER_READ + 3 }, (_, i) => ({ id: `x${i}`, title: 't' }));
    const feed = jobs(serve('/many.json'), items, '"many"');
    const rt = await newRuntime(dataDir);
    try {
      expect((await rt.put('/api/flows/many', pollFlow('many', { url: feed.url, backfill: true }))).status).toBe(200);
      await rt.settle(); // read 1 takes ITEMS_PER_READ, read 2 (due at once) the rest
      expect(await keysOf(rt, 'many')).toHaveLength(ITEMS_PER_READ + 3);
      expect(feed.requests.map((h) => h['if-none-match'])).toEqual([undefined, undefined]);
      expect(feed.answered304).toBe(0);
      await rt.advance(300_000); // now the whole answer was read: its ETag is sent back
      expect(feed.requests[2]?.['if-none-match']).toBe('"many"');
      expect(feed.answered304).toBe(1);
    } finally {
      await rt.close();
    }
  });

  it('a failing URL backs off, alerts once after three failures, and loses nothing when it recovers', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const feed = jobs(serve('/flaky.json'), [{ id: 'f1', title: 'x' }], '"f1"');
    const rt = await newRuntime(dataDir);
    try {
      expect((await rt.put('/api/flows/flaky', pollFlow('flaky', { url: feed.url, interval: '1m' }))).status).toBe(200);
      await rt.settle(); // first read: f1 is what was there
      feed.status = 500;
      const t0 = rt.clock.now();
      await rt.advance(60_000); // failure 1 → 2 min
      expect((await rt.store.getTimer('poll:flaky'))!.dueAt).toBe(new Date(t0 + 60_000 + 120_000).toISOString());
      await rt.advance(120_000); // failure 2 → 4 min
      await rt.advance(240_000); // failure 3 → alert
      await rt.advance(480_000); // failure 4: no second alert
      const alerts = (await rt.get('/api/alerts')).body.filter((a: any) => a.kind === 'trigger_failing');
      expect(alerts).toHaveLength(1);
      expect(alerts[0].message).toMatch(/flow flaky: its URL could not be read 3 times in a row \(GET http:\/\/127\.0\.0\.1:[0-9]+\/flaky\.json answered 500\)/);
      feed.status = 200;
      jobs(feed, [{ id: 'f1', title: 'x' }, { id: 'f2', title: 'y' }], '"f2"');
      await rt.advance(960_000);
      expect(await keysOf(rt, 'flaky')).toEqual(['f2']);
      expect((await rt.store.getDoc('settings', 'trigger-state:flaky'))!.failures).toBe(0);
      expect((await rt.store.getTimer('poll:flaky'))!.dueAt).toBe(new Date(rt.clock.now() + 60_000).toISOString());
    } finally {
      await rt.close();
    }
  });

  it('the egress rules apply: a link-local (cloud metadata) URL is never fetched, and the flow alerts', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const rt = await newRuntime(dataDir);
    try {
      expect((await rt.put('/api/flows/meta', pollFlow('meta', { url: 'http://169.254.169.254/latest/meta-data/', interval: '1m' }))).status).toBe(200);
      await rt.settle();
      for (const ms of [120_000, 240_000]) await rt.advance(ms);
      const alerts = (await rt.get('/api/alerts')).body.filter((a: any) => a.kind === 'trigger_failing' && a.flowId === 'meta');
      expect(alerts).toHaveLength(1);
      expect(alerts[0].message).toMatch(/169\.254\.169\.254 is a link-local or cloud-metadata address, refused for every flow unless FLOWDESK_EGRESS_ALLOW lists it/);
      expect(await keysOf(rt, 'meta')).toEqual([]);
    } finally {
      await rt.close();
    }
  });

  it('answers that are not a list, and items without a key, start nothing', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const feed = serve('/odd.json', { body: '{"data":{"rows":[{"id":"r1"}]}}' });
    const keyless = serve('/keyless.json', { body: '[{"title":"no key"}]' });
    const rt = await newRuntime(dataDir);
    try {
      expect((await rt.put('/api/flows/odd', pollFlow('odd', { url: feed.url, backfill: true }))).status).toBe(200);
      expect((await rt.put('/api/flows/rows', pollFlow('rows', { url: feed.url, backfill: true, items: { var: 'body.data.rows' } }))).status).toBe(200);
      expect((await rt.put('/api/flows/keyless', pollFlow('keyless', { url: keyless.url, backfill: true }))).status).toBe(200);
      await rt.settle();
      expect((await rt.store.getDoc('settings', 'trigger-state:odd'))!.lastError).toBe('the answer is neither a list nor an object with an "items" list');
      expect(await keysOf(rt, 'odd')).toEqual([]);
      expect(await keysOf(rt, 'rows')).toEqual(['r1']); // the items rule finds the list
      expect(await keysOf(rt, 'keyless')).toEqual([]);
    } finally {
      await rt.close();
    }
  });

  it('refuses at deploy a URL from the payload, a too-short interval, an items rule on a feed and a bad window', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const rt = await newRuntime(dataDir);
    try {
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ url: '{{payload.url}}' }, '/trigger/url', /./],
        [{ url: 'ftp://example.com/x' }, '/trigger/url', /./],
        [{ url: `${base}/x`, interval: '1s' }, '/trigger/interval', /shorter than 10s/],
        [{ url: `${base}/x`, format: 'feed', items: { var: 'body' } }, '/trigger/items', /"items" is for JSON/],
        [{ url: `${base}/x`, seenWindow: '3 days' }, '/trigger/seenWindow', /duration/],
      ];
      for (const [t, path, message] of cases) {
        const res = await rt.put('/api/flows/bad', pollFlow('bad', t));
        expect(res.status, path).toBe(422);
        expect(res.body.errors.some((e: any) => e.path === path && message.test(e.message)), `${path}: ${JSON.stringify(res.body.errors)}`).toBe(true);
      }
      expect(await rt.store.listFlows()).toEqual([]);
    } finally {
      await rt.close();
    }
  });
});
