// auth.type "signature": the generic HMAC for senders without a preset — header, algorithm
// (sha1/sha256/sha512), hex or base64, a prefix, a signed-content template with a timestamp header and
// a tolerance, and an optional delivery-id header as the default key. Signed here by the algorithm the
// trigger describes; deploy refuses templates that would leave the body or the timestamp unsigned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { TestRuntime } from '../../support/runtime.ts';
import { hookFlow, presetCases, send, startWith } from '../support.ts';

const SECRET = 'generic-secret';
const AUTH = {
  type: 'signature',
  secret: 'GENERIC_HOOK',
  header: 'X-Acme-Signature',
  algorithm: 'sha512',
  encoding: 'base64',
  prefix: 'v1=',
  signedContent: '{timestamp}:{body}',
  timestampHeader: 'X-Acme-Timestamp',
  tolerance: '2m',
  idHeader: 'X-Acme-Delivery',
};
const sign = (body: string, secret: string, t: number) => ({
  'x-acme-timestamp': String(t),
  'x-acme-signature': `v1=${createHmac('sha512', secret).update(`${t}:${body}`, 'utf8').digest('base64')}`,
});

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startWith(
    [hookFlow('acme', { auth: AUTH }), hookFlow('plain', { auth: { type: 'signature', secret: 'GENERIC_HOOK', header: 'X-Sig', algorithm: 'sha1' } })],
    { FLOWDESK_SECRET_GENERIC_HOOK: SECRET },
  );
});
afterAll(async () => rt?.dispose());

describe('generic signature', () => {
  presetCases({
    id: 'acme',
    rt: () => rt,
    secret: SECRET,
    event: (n) => ({ body: JSON.stringify({ order: n, total: 10 * n }), contentType: 'application/json', id: `dlv_${n}`, headers: { 'x-acme-delivery': `dlv_${n}` } }),
    sign,
    signatureHeaders: ['X-Acme-Signature', 'X-Acme-Timestamp'],
    toleranceSeconds: 120,
  });

  it('defaults: sha1 given, hex, no prefix, the body alone; no default key (every event its own run)', async () => {
    const body = '{"a":1}';
    const sig = createHmac('sha1', SECRET).update(body).digest('hex');
    const a = await send(rt, '/hooks/plain', body, { 'content-type': 'application/json', 'x-sig': sig });
    const b = await send(rt, '/hooks/plain', body, { 'content-type': 'application/json', 'x-sig': sig.toUpperCase() });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.runId).not.toBe(a.body.runId);
    expect((await send(rt, '/hooks/plain', body, { 'content-type': 'application/json', 'x-sig': `sha1=${sig}` })).status).toBe(401);
  });

  it('deploy refuses a template without the body, an unknown placeholder, or a timestamp it does not sign', async () => {
    const put = (auth: Record<string, unknown>) => rt.put('/api/flows/bad', hookFlow('bad', { auth: { type: 'signature', secret: 'GENERIC_HOOK', header: 'X-Sig', ...auth } }));
    const errors = async (auth: Record<string, unknown>) => {
      const r = await put(auth);
      expect(r.status).toBe(422);
      return r.body.errors as { path: string; message: string }[];
    };
    expect(await errors({ signedContent: '{timestamp}' })).toContainEqual(expect.objectContaining({ path: '/trigger/auth/signedContent', message: expect.stringMatching(/\{body\}/) }));
    expect(await errors({ signedContent: '{body}.{nonce}' })).toContainEqual(expect.objectContaining({ path: '/trigger/auth/signedContent', message: expect.stringMatching(/unknown placeholder \{nonce\}/) }));
    expect(await errors({ signedContent: '{timestamp}.{body}' })).toContainEqual(expect.objectContaining({ path: '/trigger/auth/timestampHeader' }));
    expect(await errors({ timestampHeader: 'X-Ts' })).toContainEqual(expect.objectContaining({ path: '/trigger/auth/timestampHeader', message: expect.stringMatching(/add \{timestamp\}/) }));
    expect(await errors({ algorithm: 'md5' })).toContainEqual(expect.objectContaining({ path: '/trigger/auth/algorithm' }));
  });
});
