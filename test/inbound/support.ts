// Shared by the inbound tests (forms, signature presets, hold): a runtime with hook flows of given
// triggers, real HTTP with any body and content type, and what a request left behind.
import { expect, it } from 'vitest';
import { flowsDirWithDocs, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** A flow whose webhook trigger is `trigger` (path = id) and that ends at once. */
export function hookFlow(id: string, trigger: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    dsl: 1,
    id,
    name: id,
    trigger: { type: 'webhook', path: id, auth: { type: 'none' }, ...trigger },
    nodes: [{ id: 'done', type: 'end' }],
    edges: [{ from: 'trigger', to: 'done' }],
    ...extra,
  };
}

export async function startWith(docs: ({ id: string } & Record<string, unknown>)[], env: Record<string, string> = {}): Promise<TestRuntime> {
  return startTestRuntime({ flowsDir: flowsDirWithDocs(docs), env });
}

export interface HookResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** POSTs `body` as is (no redirect following), with the given headers. */
export async function send(rt: TestRuntime, path: string, body: string | Uint8Array | FormData | URLSearchParams, headers: Record<string, string> = {}): Promise<HookResponse> {
  const res = await fetch(rt.url + path, { method: "POST", body: body as BodyInit, headers, redirect: "manual" });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export async function runsOf(rt: TestRuntime, flowId: string): Promise<any[]> {
  return (await rt.get(`/api/runs?flowId=${flowId}&limit=1000`)).body;
}

export async function rejectedOf(rt: TestRuntime, flowId: string): Promise<any[]> {
  return (await rt.get(`/api/rejected?flowId=${flowId}&limit=1000`)).body;
}

/** The runtime's clock in unix seconds (what a vendor would put in a signed timestamp). */
export const unixNow = (rt: TestRuntime): number => Math.floor(rt.clock.now() / 1000);

export interface PresetCase {
  /** the flow id and hook path */
  id: string;
  rt: () => TestRuntime;
  secret: string;
  /** a vendor event (JSON text or form body) and its delivery/event id */
  event(n: number): { body: string; contentType: string; id: string; headers?: Record<string, string> };
  /** the headers the vendor sends for `body` signed with `secret` at unix time `t` */
  sign(body: string, secret: string, t: number, extra?: Record<string, string>): Record<string, string> | Promise<Record<string, string>>;
  /** the signature header(s): without them the request is unsigned */
  signatureHeaders: string[];
  /** the vendor signs a timestamp: its tolerance in seconds */
  toleranceSeconds?: number;
}

/**
 * The cases every preset must pass over real HTTP: a valid delivery starts one run keyed by the
 * vendor's id; a tampered body, a wrong secret, a missing header (and a stale timestamp where the
 * vendor signs one) are refused 401 naming why, kept in the rejected log, and start nothing; the
 * vendor's redelivery of the same event is deduplicated by the preset's default key.
 */
export function presetCases(c: PresetCase): void {
  const post = async (body: string, headers: Record<string, string>, contentType: string, extra: Record<string, string> = {}) =>
    send(c.rt(), `/hooks/${c.id}`, body, { 'content-type': contentType, ...headers, ...extra });

  it('a valid delivery starts one run, keyed by the vendor id', async () => {
    const e = c.event(1);
    const res = await post(e.body, await c.sign(e.body, c.secret, unixNow(c.rt()), e.headers), e.contentType, e.headers);
    expect(res.status, res.text).toBe(202);
    const run = (await c.rt().get(`/api/runs/${res.body.runId}`)).body;
    expect(run.flowId).toBe(c.id);
    expect(run.idempotencyKey).toContain(e.id);
  });

  it('a tampered body is refused (401), logged, and starts nothing', async () => {
    const e = c.event(2);
    const headers = await c.sign(e.body, c.secret, unixNow(c.rt()), e.headers);
    const before = (await runsOf(c.rt(), c.id)).length;
    const tampered = e.body.replace(/1/g, '9').replace(/a/g, 'b');
    expect(tampered).not.toBe(e.body);
    const res = await post(tampered, headers, e.contentType, e.headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/signature mismatch|does not match/);
    expect((await runsOf(c.rt(), c.id)).length).toBe(before);
    await eventually(async () => ((await rejectedOf(c.rt(), c.id)).some((r) => r.status === 401 && r.reason === res.body.error) ? true : undefined));
  });

  it('a signature made with another secret is refused', async () => {
    const e = c.event(3);
    const res = await post(e.body, await c.sign(e.body, `${c.secret}-not-it`, unixNow(c.rt()), e.headers), e.contentType, e.headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/signature mismatch/);
  });

  it('a delivery without the signature header is refused, naming the header', async () => {
    const e = c.event(4);
    const headers = { ...(await c.sign(e.body, c.secret, unixNow(c.rt()), e.headers)) };
    for (const h of c.signatureHeaders) {
      const without = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== h.toLowerCase()));
      const res = await post(e.body, without, e.contentType, e.headers);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe(`missing ${h.toLowerCase()} header`);
    }
  });

  if (c.toleranceSeconds !== undefined) {
    const tol = c.toleranceSeconds;
    it(`a timestamp outside the ${tol} s tolerance is refused, either way; at the edge it passes`, async () => {
      const e = c.event(5);
      const now = unixNow(c.rt());
      for (const t of [now - tol - 1, now + tol + 1]) {
        const res = await post(e.body, await c.sign(e.body, c.secret, t, e.headers), e.contentType, e.headers);
        expect(res.status).toBe(401);
        expect(res.body.error).toMatch(/timestamp outside the .* tolerance/);
      }
      const edge = await post(e.body, await c.sign(e.body, c.secret, now - tol, e.headers), e.contentType, e.headers);
      expect(edge.status, edge.text).toBe(202);
    });
  }

  it("the vendor's redelivery of an event is one run (the preset's default key); another event is another", async () => {
    const e = c.event(6);
    const first = await post(e.body, await c.sign(e.body, c.secret, unixNow(c.rt()), e.headers), e.contentType, e.headers);
    expect(first.status, first.text).toBe(202);
    // a redelivery comes later, signed again
    await c.rt().advance(60_000);
    const again = await post(e.body, await c.sign(e.body, c.secret, unixNow(c.rt()), e.headers), e.contentType, e.headers);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ runId: first.body.runId, duplicate: true });
    const other = c.event(7);
    const third = await post(other.body, await c.sign(other.body, c.secret, unixNow(c.rt()), other.headers), other.contentType, other.headers);
    expect(third.status).toBe(202);
    expect(third.body.runId).not.toBe(first.body.runId);
    const keys = (await runsOf(c.rt(), c.id)).map((r) => r.idempotencyKey);
    expect(keys.filter((k) => k?.includes(e.id))).toHaveLength(1);
  });
}

/** Polls `fn` until it returns a value that is not undefined (writes done off the answer path). */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
