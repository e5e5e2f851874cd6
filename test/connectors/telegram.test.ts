// telegram.sendMessage against a loopback Bot API that answers as Telegram documents: the token in the
// path (and nowhere in the run), the body field by field, the flood limit's retry_after honoured, and
// chat not found / blocked / a refused token final with Telegram's description.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeTelegram, type FakeTelegram } from '../support/fakes/telegram.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const TOKEN = '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

let rt: TestRuntime;
let tg: FakeTelegram;

const flow = {
  dsl: 1,
  id: 'ping',
  name: 'ping',
  severity: 'P2',
  sop: ['Message the founder by hand'],
  trigger: { type: 'webhook', path: 'ping', auth: { type: 'none' } },
  nodes: [{ id: 'tell', type: 'action', action: 'telegram.sendMessage', params: { connection: 'telegram', chatId: '{{payload.chat}}', text: 'New lead: {{payload.email}}', parseMode: 'HTML', silent: true } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'tell' }, { from: 'tell', to: 'end' }],
};
async function walk(ms: number, stepMs = 5000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}
const run = async (id: string) => (await rt.get(`/api/runs/${id}`)).body;

beforeAll(async () => {
  rt = await startTestRuntime();
  tg = await startFakeTelegram(rt.clock);
  tg.tokens.add(TOKEN);
  tg.chats.add('424242');
  tg.chats.add('515151');
  tg.blocked.add('515151');
  expect((await rt.post('/api/connections', { id: 'telegram', app: 'telegram', name: 'Leads bot', auth: { type: 'bearer', token: TOKEN }, baseUrl: tg.url })).status).toBe(201);
  expect((await rt.put('/api/flows/ping', flow)).status).toBe(200);
});
afterAll(async () => {
  await tg.close();
  await rt.dispose();
});
beforeEach(() => {
  tg.requests.length = 0;
  tg.script([]);
  rt.clock.set(new Date(T0).toISOString());
});

describe('telegram.sendMessage', () => {
  it('POSTs /bot<token>/sendMessage with the body field by field; the token appears nowhere in the run', async () => {
    const { body } = await rt.post('/hooks/ping', { chat: '424242', email: 'ada@example.com' });
    await rt.settle();
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    const q = tg.requests[0]!;
    expect(q.method).toBe('POST');
    expect(q.rawPath).toBe(`/bot${TOKEN}/sendMessage`);
    expect(q.headers.authorization).toBeUndefined();
    expect(q.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(q.body).toEqual({ chat_id: '424242', text: 'New lead: ada@example.com', parse_mode: 'HTML', disable_notification: true });
    expect(r.steps[0].output).toEqual({ messageId: 101, chatId: '424242' });
    expect(JSON.stringify(r)).not.toContain(TOKEN);
    expect(JSON.stringify(r)).not.toContain(TOKEN.split(':')[1]);
  });

  it("the flood limit (429, parameters.retry_after 17) is retried after 17 s, then a 502 on the schedule's second delay", async () => {
    tg.script([
      { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 17', parameters: { retry_after: 17 } } },
      { status: 502, body: 'Bad Gateway' },
    ]);
    const { body } = await rt.post('/hooks/ping', { chat: '424242', email: 'bo@example.com' });
    await rt.settle();
    expect((await run(body.runId)).wakeAt).toBe(new Date(T0 + 17_000).toISOString());
    await walk(140_000, 1000);
    expect(tg.requests.map((q) => (q.at - T0) / 1000)).toEqual([0, 17, 137]);
    const r = await run(body.runId);
    expect(r.status).toBe('succeeded');
    expect(r.steps[0].attempts.map((a: { errorClass?: string }) => a.errorClass ?? 'ok')).toEqual(['429', '5xx', 'ok']);
    expect(r.steps[0].attempts[0].error).toContain('Too Many Requests: retry after 17');
  });

  it('chat not found and a blocked bot are final with Telegram\'s description; the error shows the path without the token', async () => {
    for (const [chat, said] of [
      ['999', 'Bad Request: chat not found'],
      ['515151', 'Forbidden: bot was blocked by the user'],
    ] as const) {
      tg.requests.length = 0;
      rt.clock.set(new Date(T0).toISOString());
      const { body } = await rt.post('/hooks/ping', { chat, email: 'x@example.com' });
      await rt.settle();
      await walk(15 * 60_000, 60_000);
      expect(tg.requests).toHaveLength(1);
      const r = await run(body.runId);
      expect(r.status).toBe('dead');
      expect(r.error).toContain(said);
      expect(r.error).toContain('/bot…/sendMessage');
      expect(r.error).not.toContain(TOKEN.split(':')[1]);
    }
  });

  it('the connection test calls getMe; a revoked token fails it (401 Unauthorized)', async () => {
    expect((await rt.post('/api/connections/telegram/test', {})).body).toMatchObject({ ok: true, message: 'the bot @acme_leads_bot' });
    expect(tg.requests[0]!.rawPath).toBe(`/bot${TOKEN}/getMe`);
    tg.tokens.delete(TOKEN);
    try {
      const bad = (await rt.post('/api/connections/telegram/test', {})).body;
      expect(bad).toMatchObject({ ok: false });
      expect(bad.error).toContain('Unauthorized');
      expect(JSON.stringify(bad)).not.toContain(TOKEN.split(':')[1]);
    } finally {
      tg.tokens.add(TOKEN);
    }
  });
});
