// auth.type "typeform": Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body> (Typeform's
// documented algorithm; Typeform publishes no verifier on npm). The default key is the payload's
// event_id, kept 2 days.
import { afterAll, beforeAll, describe } from 'vitest';
import { createHmac } from 'node:crypto';
import type { TestRuntime } from '../../support/runtime.ts';
import { hookFlow, presetCases, startWith } from '../support.ts';

const SECRET = 'typeform-secret';
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startWith([hookFlow('tf', { auth: { type: 'typeform', secret: 'TYPEFORM_HOOK' } })], { FLOWDESK_SECRET_TYPEFORM_HOOK: SECRET });
});
afterAll(async () => rt?.dispose());

describe('typeform preset', () => {
  presetCases({
    id: 'tf',
    rt: () => rt,
    secret: SECRET,
    event: (n) => ({
      body: JSON.stringify({ event_id: `01HTYPEFORMEVENT${n}`, event_type: 'form_response', form_response: { form_id: 'lT4Z3j', token: `tok${n}`, answers: [{ type: 'email', email: `lead${n}@example.com` }] } }),
      contentType: 'application/json',
      id: `01HTYPEFORMEVENT${n}`,
    }),
    sign: (body, secret) => ({ 'typeform-signature': `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('base64')}` }),
    signatureHeaders: ['Typeform-Signature'],
  });
});
