// auth.type "tally": Tally-Signature = base64 HMAC-SHA256 of the raw JSON body with the signing secret
// (Tally's documented algorithm; no verifier on npm). The default key is the payload's eventId, kept
// 3 days (Tally retries over 31 hours: 5 m, 30 m, 1 h, 6 h, 24 h).
import { afterAll, beforeAll, describe } from 'vitest';
import { createHmac } from 'node:crypto';
import type { TestRuntime } from '../../support/runtime.ts';
import { hookFlow, presetCases, startWith } from '../support.ts';

const SECRET = 'tally-signing-secret';
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startWith([hookFlow('tally', { auth: { type: 'tally', secret: 'TALLY_HOOK' } })], { FLOWDESK_SECRET_TALLY_HOOK: SECRET });
});
afterAll(async () => rt?.dispose());

describe('tally preset', () => {
  presetCases({
    id: 'tally',
    rt: () => rt,
    secret: SECRET,
    event: (n) => ({
      body: JSON.stringify({
        eventId: `a4cb511e-d513-4fa5-baee-b815d718dfd${n}`,
        eventType: 'FORM_RESPONSE',
        createdAt: '2026-03-02T09:00:00.000Z',
        data: { responseId: `2wgx4n${n}`, formId: 'VwbNEw', fields: [{ key: 'question_3EKz4n', label: 'Email', type: 'INPUT_EMAIL', value: `lead${n}@example.com` }] },
      }),
      contentType: 'application/json',
      id: `a4cb511e-d513-4fa5-baee-b815d718dfd${n}`,
    }),
    sign: (body, secret) => ({ 'tally-signature': createHmac('sha256', secret).update(body, 'utf8').digest('base64') }),
    signatureHeaders: ['Tally-Signature'],
  });
});
