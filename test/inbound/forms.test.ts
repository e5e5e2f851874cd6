// Webhook triggers take HTML forms over real HTTP: urlencoded and multipart fields become the payload,
// coerced to the contract (JSON senders stay strict); uploaded files go to the file store under the
// trigger's limits and are served only as downloads on the admin surface; respond redirects (303),
// CORS preflight, the honeypot, and limits answered 413/415 naming the reason. Files go with their run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestRuntime } from '../support/runtime.ts';
import { startTestRuntime, flowsDirWithDocs } from '../support/runtime.ts';
import { eventually, hookFlow, rejectedOf, runsOf, send } from './support.ts';

const CONTRACT = {
  type: 'object',
  required: ['email', 'budget'],
  properties: {
    email: { type: 'string', format: 'email' },
    budget: { type: 'number', minimum: 0 },
    seats: { type: 'integer' },
    newsletter: { type: 'boolean' },
    services: { type: 'array', items: { type: 'string' } },
    note: { type: 'string' },
  },
};
const logLines: { msg?: string; obj: unknown }[] = [];
const log = { info: (obj: unknown, msg?: string) => logLines.push({ obj, msg }), warn: () => {}, error: () => {} };

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({
    log,
    env: { FLOWDESK_CONFIG_SORRY_URL: 'https://example.com/sorry', FLOWDESK_RETENTION_DAYS: '1' },
    flowsDir: flowsDirWithDocs([
      hookFlow('contact', {
        payloadSchema: CONTRACT,
        respond: { redirect: 'https://example.com/thanks', errorRedirect: '{{config.SORRY_URL}}' },
        honeypot: 'website',
        cors: { origins: ['https://shop.example.com'] },
      }),
      hookFlow('apply', {
        payloadSchema: { type: 'object', required: ['email'], properties: { email: { type: 'string' }, cv: { type: 'object' } } },
        idempotencyKey: { var: 'payload.email' },
        files: { maxBytes: 2000, maxFiles: 2, types: ['application/pdf', 'text/*'] },
      }),
      hookFlow('plain', { payloadSchema: CONTRACT }),
    ]),
  });
});
afterAll(async () => rt?.dispose());

const form = (fields: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x);
  return p.toString();
};
const URLENC = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
const filesOnDisk = (runId: string) => {
  const dir = join(rt.dataDir, 'files', runId);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bin')).length : 0;
};

describe('urlencoded forms', () => {
  it('fields become the payload, coerced to the contract: numbers, booleans, a single value for an array field', async () => {
    const res = await send(rt, '/hooks/plain', form({ email: 'ada@example.com', budget: '12000.50', seats: '3', newsletter: 'on', services: 'audit', note: '42' }), URLENC);
    expect(res.status, res.text).toBe(202);
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.payload).toEqual({ email: 'ada@example.com', budget: 12000.5, seats: 3, newsletter: true, services: ['audit'], note: '42' });
  });

  it('repeated names and name[] are lists; an empty optional number is left out; unknown fields stay strings', async () => {
    const res = await send(rt, '/hooks/plain', form({ email: 'b@example.com', budget: '5', seats: '', 'services[]': ['a', 'b'], newsletter: 'false', extra: '7' }), URLENC);
    expect(res.status, res.text).toBe(202);
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.payload).toEqual({ email: 'b@example.com', budget: 5, services: ['a', 'b'], newsletter: false, extra: '7' });
  });

  it('a form that breaks the contract is refused 422 naming each field; JSON senders keep strict checks', async () => {
    const bad = await send(rt, '/hooks/plain', form({ email: 'nope', budget: 'lots', seats: '2.5' }), URLENC);
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/budget', '/email', '/seats']);
    const missing = await send(rt, '/hooks/plain', form({ email: 'c@example.com', budget: '' }), URLENC);
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ path: '/budget', message: "must have required property 'budget'" }]);
    const json = await send(rt, '/hooks/plain', JSON.stringify({ email: 'd@example.com', budget: '12000' }), { 'content-type': 'application/json' });
    expect(json.status).toBe(422);
    expect(json.body.errors).toContainEqual(expect.objectContaining({ path: '/budget' }));
  });

  it('only UTF-8; too many fields is 413 naming the reason', async () => {
    const latin = await send(rt, '/hooks/plain', 'email=a%40b.co&budget=1', { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' });
    expect(latin.status).toBe(415);
    expect(latin.body.error).toMatch(/UTF-8/);
    const many = Array.from({ length: 1001 }, (_, i) => `f${i}=x`).join('&');
    const tooMany = await send(rt, '/hooks/plain', many, URLENC);
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toBe('form has more than 1000 fields');
  });
});

describe('respond: redirects for a browser', () => {
  it('303 to the thank-you page; a fetch asking for JSON gets JSON', async () => {
    const body = form({ email: 'e@example.com', budget: '1' });
    const browser = await send(rt, '/hooks/contact', body, { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml' });
    expect(browser.status).toBe(303);
    expect(browser.headers.get('location')).toBe('https://example.com/thanks');
    expect((await runsOf(rt, 'contact')).length).toBe(1);
    const api = await send(rt, '/hooks/contact', form({ email: 'f@example.com', budget: '1' }), URLENC);
    expect(api.status).toBe(202);
  });

  it('an invalid form goes to the error page (from config), and is still logged as refused; JSON bodies never redirect', async () => {
    const before = (await rejectedOf(rt, 'contact')).length;
    const res = await send(rt, '/hooks/contact', form({ email: 'x' }), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://example.com/sorry');
    await eventually(async () => ((await rejectedOf(rt, 'contact')).length === before + 1 ? true : undefined));
    const json = await send(rt, '/hooks/contact', JSON.stringify({ email: 'x' }), { 'content-type': 'application/json' });
    expect(json.status).toBe(422);
  });

  it('deploy refuses a redirect that is not an absolute URL or a config name', async () => {
    for (const redirect of ['/thanks', 'javascript:alert(1)', '{{payload.next}}', 'https://x.example/{{payload.id}}']) {
      const r = await rt.put('/api/flows/redir', hookFlow('redir', { respond: { redirect } }));
      expect(r.status, redirect).toBe(422);
      expect(r.body.errors[0].path).toBe('/trigger/respond/redirect');
    }
  });
});

describe('CORS', () => {
  it('answers the preflight of an allowed origin, refuses others, and marks the POST', async () => {
    const pre = (origin: string) =>
      fetch(`${rt.url}/hooks/contact`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const ok = await pre('https://shop.example.com');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type');
    const evil = await pre('https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect((await evil.json()).error).toMatch(/not in this hook's cors.origins/);
    const none = await fetch(`${rt.url}/hooks/plain`, { method: 'OPTIONS', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } });
    expect(none.status).toBe(403);
    const post = await send(rt, '/hooks/contact', JSON.stringify({ email: 'g@example.com', budget: 1 }), { 'content-type': 'application/json', origin: 'https://shop.example.com' });
    expect(post.status).toBe(202);
    expect(post.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    const other = await send(rt, '/hooks/contact', JSON.stringify({ email: 'h@example.com', budget: 1 }), { 'content-type': 'application/json', origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('honeypot', () => {
  it('a filled honeypot answers 200 (or the thank-you page), starts nothing and is logged as ignored; empty, it is dropped from the payload', async () => {
    const before = (await runsOf(rt, 'contact')).length;
    const bot = await send(rt, '/hooks/contact', form({ email: 'bot@example.com', budget: '1', website: 'http://spam.example' }), URLENC);
    expect(bot.status).toBe(200);
    expect(bot.body).toEqual({ ignored: true });
    const botBrowser = await send(rt, '/hooks/contact', form({ email: 'bot@example.com', budget: '1', website: 'x' }), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(botBrowser.status).toBe(303);
    expect((await runsOf(rt, 'contact')).length).toBe(before);
    expect(logLines.filter((l) => l.msg === 'webhook event ignored: honeypot field filled')).toHaveLength(2);
    const human = await send(rt, '/hooks/contact', form({ email: 'human@example.com', budget: '1', website: '' }), URLENC);
    expect(human.status).toBe(202);
    expect((await rt.get(`/api/runs/${human.body.runId}`)).body.payload).toEqual({ email: 'human@example.com', budget: 1 });
  });
});

describe('multipart with files', () => {
  const upload = (parts: { name: string; value: string | Blob; filename?: string }[]) => {
    const fd = new FormData();
    for (const p of parts) (p.filename ? fd.append(p.name, p.value as Blob, p.filename) : fd.append(p.name, p.value as string));
    return fd;
  };

  it('stores the file, references it in the payload, and serves it only as a download', async () => {
    const html = '<html><script>alert(document.cookie)</script></html>';
    const res = await send(rt, '/hooks/apply', upload([{ name: 'email', value: 'ivy@example.com' }, { name: 'cv', value: new Blob([html], { type: 'text/html' }), filename: '../../cv final.html' }]));
    expect(res.status, res.text).toBe(202);
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.payload.email).toBe('ivy@example.com');
    expect(run.payload.cv).toMatchObject({ name: 'cv final.html', type: 'text/html', size: html.length, url: expect.stringMatching(/^\/api\/files\//) });
    expect(run.payload.cv.sha256).toMatch(/^[0-9a-f]{64}$/);
    const dl = await fetch(rt.url + run.payload.cv.url);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/octet-stream');
    expect(dl.headers.get('content-disposition')).toBe(`attachment; filename="cv final.html"; filename*=UTF-8''cv%20final.html`);
    expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
    expect(dl.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(await dl.text()).toBe(html);
    // the admin surface only: a rebound name cannot fetch it
    const { raw } = await import('../security/support.ts');
    expect((await raw(rt, { path: run.payload.cv.url, headers: { host: 'evil.example' } })).status).toBe(403);
    expect((await fetch(`${rt.url}/api/files/${res.body.runId}.00000000-0000-0000-0000-000000000000`)).status).toBe(404);
    expect((await fetch(`${rt.url}/api/files/..%2F..%2Fsecrets.json`)).status).toBe(404);
  });

  it('refuses over the size, another type, too many files, or files on a hook that takes none — 413/415 naming why, nothing kept', async () => {
    const cases: [string, FormData, number, RegExp][] = [
      ['/hooks/apply', upload([{ name: 'email', value: 'j@example.com' }, { name: 'cv', value: new Blob(['x'.repeat(2001)], { type: 'application/pdf' }), filename: 'big.pdf' }]), 413, /file in form field "cv" over 2000 bytes/],
      ['/hooks/apply', upload([{ name: 'email', value: 'k@example.com' }, { name: 'cv', value: new Blob(['MZ'], { type: 'application/x-msdownload' }), filename: 'a.exe' }]), 415, /file type application\/x-msdownload is not accepted/],
      [
        '/hooks/apply',
        upload([{ name: 'email', value: 'l@example.com' }, ...[1, 2, 3].map((i) => ({ name: `f${i}`, value: new Blob(['%PDF'], { type: 'application/pdf' }), filename: `${i}.pdf` }))]),
        413,
        /more than 2 files/,
      ],
      ['/hooks/plain', upload([{ name: 'email', value: 'm@example.com' }, { name: 'cv', value: new Blob(['%PDF'], { type: 'application/pdf' }), filename: 'a.pdf' }]), 415, /this hook takes no files/],
    ];
    const before = (await runsOf(rt, 'apply')).length;
    for (const [path, body, status, reason] of cases) {
      const res = await send(rt, path, body, { accept: 'application/json' });
      expect(res.status, res.text).toBe(status);
      expect(res.body.error).toMatch(reason);
    }
    expect((await runsOf(rt, 'apply')).length).toBe(before);
    const left = existsSync(join(rt.dataDir, 'files')) ? readdirSync(join(rt.dataDir, 'files')).filter((d) => filesOnDisk(d) > 0) : [];
    const kept = new Set((await runsOf(rt, 'apply')).map((r) => r.id));
    expect(left.filter((d) => !kept.has(d))).toEqual([]);
  });

  it('a duplicate or refused upload keeps no file; files go with their run when it is pruned', async () => {
    const send1 = () => send(rt, '/hooks/apply', upload([{ name: 'email', value: 'dup@example.com' }, { name: 'cv', value: new Blob(['%PDF-1'], { type: 'application/pdf' }), filename: 'a.pdf' }]));
    const first = await send1();
    expect(first.status).toBe(202);
    const dup = await send1();
    expect(dup.body).toMatchObject({ duplicate: true, runId: first.body.runId });
    expect(filesOnDisk(first.body.runId)).toBe(1);
    const dirs = readdirSync(join(rt.dataDir, 'files'));
    const bad = await send(rt, '/hooks/apply', upload([{ name: 'nomail', value: 'x' }, { name: 'cv', value: new Blob(['%PDF'], { type: 'application/pdf' }), filename: 'a.pdf' }]));
    expect(bad.status).toBe(422);
    expect(readdirSync(join(rt.dataDir, 'files')).length).toBe(dirs.length);
    // retention: the run ends, a day and more passes, the daily job prunes the run and its files
    await rt.settle();
    expect((await rt.get(`/api/runs/${first.body.runId}`)).body.status).toBe('succeeded');
    await rt.advance(2 * 86_400_000 + 60_000);
    expect((await rt.get(`/api/runs/${first.body.runId}`)).status).toBe(404);
    expect(existsSync(join(rt.dataDir, 'files', first.body.runId))).toBe(false);
  });
});
