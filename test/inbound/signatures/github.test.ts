// auth.type "github": X-Hub-Signature-256 = sha256=<hex HMAC-SHA256 of the raw body>, signed here with
// GitHub's own library (@octokit/webhooks-methods); GitHub's published example; the default key is
// X-GitHub-Delivery (a redelivery keeps it), kept 3 days (GitHub redelivers for 3 days).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '@octokit/webhooks-methods';
import { verifyGithub } from '../../../apps/runtime/src/security/signature-presets.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { hookFlow, presetCases, send, startWith } from '../support.ts';

const SECRET = 'gh-webhook-secret';
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startWith([hookFlow('gh', { auth: { type: 'github', secret: 'GH_HOOK' } })], { FLOWDESK_SECRET_GH_HOOK: SECRET });
});
afterAll(async () => rt?.dispose());

describe('github preset', () => {
  presetCases({
    id: 'gh',
    rt: () => rt,
    secret: SECRET,
    event: (n) => ({
      body: JSON.stringify({ action: 'created', sponsorship: { id: n, sponsor: { login: `fan${n}` }, tier: { monthly_price_in_dollars: 10 } } }),
      contentType: 'application/json',
      id: `72d3162e-cc78-11e3-81ab-4c9367dc095${n}`,
      headers: { 'x-github-delivery': `72d3162e-cc78-11e3-81ab-4c9367dc095${n}`, 'x-github-event': 'sponsorship' },
    }),
    sign: async (body, secret) => ({ 'x-hub-signature-256': await sign(secret, body) }),
    signatureHeaders: ['X-Hub-Signature-256'],
  });

  it("verifies GitHub's published example and refuses it changed", () => {
    // docs.github.com, "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!"
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    const req = (body: string, sig = header) => ({ rawBody: Buffer.from(body), headers: { 'x-hub-signature-256': sig } });
    expect(verifyGithub(req('Hello, World!'), "It's a Secret to Everybody")).toEqual({ ok: true });
    expect(verifyGithub(req('Hello, World?'), "It's a Secret to Everybody")).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verifyGithub(req('Hello, World!', header.replace('sha256=', 'sha1=')), "It's a Secret to Everybody").ok).toBe(false);
  });

  it('the default window is three days: a redelivery on day 4 starts a new run', async () => {
    const body = JSON.stringify({ action: 'created', sponsorship: { id: 99 } });
    const headers = { 'content-type': 'application/json', 'x-github-delivery': 'late-delivery', 'x-hub-signature-256': await sign(SECRET, body) };
    const first = await send(rt, '/hooks/gh', body, headers);
    expect(first.status).toBe(202);
    await rt.advance(3 * 86_400_000 - 60_000);
    expect((await send(rt, '/hooks/gh', body, headers)).body).toMatchObject({ duplicate: true, runId: first.body.runId });
    await rt.advance(120_000);
    const later = await send(rt, '/hooks/gh', body, headers);
    expect(later.status).toBe(202);
    expect(later.body.runId).not.toBe(first.body.runId);
  });
});
