import { emptyProvenance } from '@flowdesk/engine';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryStore } from '../store/memory/index.ts';
import { ManualClock } from '../clock.ts';
import type { ActionCommand, ActionDeps } from './types.ts';
import { textGenerate } from './text-generate.ts';

/** A fake OpenAI-compatible API over real HTTP: records each request, answers by `mode`. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: { model: string; messages: { role: string; content: string }[]; response_format?: unknown };
}
let mode: 'ok' | 'json' | 'fenced' | '500' | '429' | '400' | 'slow' | 'garbage' = 'ok';
const seen: Seen[] = [];
let server: Server;
let base = '';

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
const completion = (content: string, model = 'fake-model-1') => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model,
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
});

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') });
      switch (mode) {
        case 'ok':
          return answer(res, 200, completion('Hi Acme Corp, the project is in delivery and on track.'));
        case 'json':
          return answer(res, 200, completion('{"account":"Acme Corp","stage":"in_delivery","summary":"On track","risk":12}'));
        case 'fenced':
          return answer(res, 200, completion('```json\n{"account":"Acme Corp"}\n```'));
        case '500':
          return answer(res, 500, { error: { message: 'upstream exploded' } });
        case '429':
          return answer(res, 429, { error: { message: 'rate limited' } }, { 'retry-after': '7' });
        case '400':
          return answer(res, 400, { error: { message: 'bad model' } });
        case 'garbage':
          return answer(res, 200, '<html>proxy error</html>');
        case 'slow':
          setTimeout(() => answer(res, 200, completion('late')), 1500);
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
  mode = 'ok';
});

const cmd = (params: Record<string, unknown>, over: Partial<ActionCommand> = {}): ActionCommand => ({
  kind: 'action',
  nodeId: 'draft-update',
  action: 'text.generate',
  params,
  provenance: emptyProvenance(),
  idempotencyKey: 'run-7:draft-update',
  attempt: 1,
  timeoutMs: 5_000,
  ...over,
});
const deps = (env: Record<string, string | undefined>): ActionDeps => ({
  store: createMemoryStore(),
  clock: new ManualClock(),
  env,
  dataDir: '/nonexistent',
  log: { info() {}, warn() {}, error() {} },
  run: { id: 'run-7', flowId: 'delivery-ops', flowVersion: 1 },
});
const endpoint = () => ({ FLOWDESK_OPENAI_URL: base, FLOWDESK_OPENAI_MODEL: 'fake-model-1', FLOWDESK_OPENAI_KEY: 'sk-test-123' });

describe('text.generate from a template (no configuration needed)', () => {
  it('returns the rendered template as text, with an optional subject', async () => {
    const r = await textGenerate(cmd({ template: 'Hi Acme Corp, status: in delivery.', subject: 'Acme Corp: weekly update' }), deps({}));
    expect(r).toMatchObject({ ok: true, output: { text: 'Hi Acme Corp, status: in delivery.', subject: 'Acme Corp: weekly update', source: 'template', model: 'template' } });
    expect(seen).toHaveLength(0);
  });

  it('parses JSON when json: true (and reports text that is not JSON instead of failing)', async () => {
    const ok = await textGenerate(cmd({ template: '{"account":"Acme Corp","risk":3}', json: true }), deps({}));
    expect(ok.output).toMatchObject({ json: { account: 'Acme Corp', risk: 3 } });
    const bad = await textGenerate(cmd({ template: 'not json', json: true }), deps({}));
    expect(bad.ok).toBe(true);
    expect(bad.output).toMatchObject({ text: 'not json', jsonError: expect.stringMatching(/^not JSON/) });
  });

  it('with a prompt but no FLOWDESK_OPENAI_URL, falls back to the template and calls nothing outside', async () => {
    const r = await textGenerate(cmd({ prompt: 'Write an update for Acme Corp', template: 'Fallback text for Acme Corp' }), deps({}));
    expect(r.output).toMatchObject({ text: 'Fallback text for Acme Corp', source: 'template' });
    expect(seen).toHaveLength(0);
    const none = await textGenerate(cmd({ prompt: 'Write an update' }), deps({}));
    expect(none).toMatchObject({ ok: false, errorClass: 'error', error: expect.stringMatching(/FLOWDESK_OPENAI_URL/) });
    expect(await textGenerate(cmd({}), deps({}))).toMatchObject({ ok: false, errorClass: 'error' });
  });
});

describe('text.generate against an OpenAI-compatible endpoint (a local fake over real HTTP)', () => {
  it('POSTs <url>/chat/completions with model, messages, key and idempotency key', async () => {
    const r = await textGenerate(cmd({ prompt: 'Summarise Acme Corp status', system: 'You write short client updates.', template: 'unused fallback' }), deps(endpoint()));
    expect(r).toMatchObject({
      ok: true,
      status: 200,
      output: { text: 'Hi Acme Corp, the project is in delivery and on track.', model: 'fake-model-1', usage: { total_tokens: 20 }, source: 'endpoint' },
    });
    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test-123');
    expect(req.headers['idempotency-key']).toBe('run-7:draft-update');
    expect(req.body).toEqual({
      model: 'fake-model-1',
      messages: [
        { role: 'system', content: 'You write short client updates.' },
        { role: 'user', content: 'Summarise Acme Corp status' },
      ],
    });
  });

  it('params.model overrides the environment; json: true asks for a JSON object and parses it', async () => {
    mode = 'json';
    const r = await textGenerate(cmd({ prompt: 'status as JSON', json: true, model: 'other-model' }), deps({ ...endpoint(), FLOWDESK_OPENAI_URL: `${base}/` }));
    expect(seen[0]!.body.model).toBe('other-model');
    expect(seen[0]!.body.response_format).toEqual({ type: 'json_object' });
    expect(seen[0]!.url).toBe('/v1/chat/completions');
    expect(r.output).toMatchObject({ json: { account: 'Acme Corp', stage: 'in_delivery', summary: 'On track', risk: 12 } });
    mode = 'fenced';
    const f = await textGenerate(cmd({ prompt: 'p', json: true }), deps(endpoint()));
    expect(f.output).toMatchObject({ json: { account: 'Acme Corp' } });
  });

  it('classifies failures like http.request: 5xx and 429 (with Retry-After) retryable, 4xx not', async () => {
    mode = '500';
    const e500 = await textGenerate(cmd({ prompt: 'p' }), deps(endpoint()));
    expect(e500).toMatchObject({ ok: false, status: 500, errorClass: '5xx', response: expect.stringContaining('upstream exploded') });
    mode = '429';
    expect(await textGenerate(cmd({ prompt: 'p' }), deps(endpoint()))).toMatchObject({ ok: false, status: 429, errorClass: '429', retryAfterMs: 7000 });
    mode = '400';
    expect(await textGenerate(cmd({ prompt: 'p' }), deps(endpoint()))).toMatchObject({ ok: false, status: 400, errorClass: '4xx' });
    mode = 'garbage';
    expect(await textGenerate(cmd({ prompt: 'p' }), deps(endpoint()))).toMatchObject({ ok: false, errorClass: '5xx' });
    for (const r of [e500]) expect(JSON.stringify(r)).not.toContain('sk-test-123');
  });

  it('times out → "timeout"; connection refused → "network"', async () => {
    mode = 'slow';
    const t = await textGenerate(cmd({ prompt: 'p' }, { timeoutMs: 200 }), deps(endpoint()));
    expect(t).toMatchObject({ ok: false, errorClass: 'timeout' });
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const n = await textGenerate(cmd({ prompt: 'p' }), deps({ ...endpoint(), FLOWDESK_OPENAI_URL: `http://127.0.0.1:${port}/v1` }));
    expect(n).toMatchObject({ ok: false, errorClass: 'network', error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
