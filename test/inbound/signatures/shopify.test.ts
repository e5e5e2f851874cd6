// auth.type "shopify": X-Shopify-Hmac-Sha256 = base64 HMAC-SHA256 of the raw body with the app's
// client secret (Shopify's documented algorithm; Shopify publishes no verifier on npm for a plain
// server). The default key is X-Shopify-Webhook-Id (the same on every retry), kept 2 days.
import { afterAll, beforeAll, describe } from 'vitest';
import { createHmac } from 'node:crypto';
import type { TestRuntime } from '../../support/runtime.ts';
import { hookFlow, presetCases, startWith } from '../support.ts';

const SECRET = 'shpss_client_secret_1234';
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startWith([hookFlow('shop', { auth: { type: 'shopify', secret: 'SHOPIFY_HOOK' } })], { FLOWDESK_SECRET_SHOPIFY_HOOK: SECRET });
});
afterAll(async () => rt?.dispose());

describe('shopify preset', () => {
  presetCases({
    id: 'shop',
    rt: () => rt,
    secret: SECRET,
    event: (n) => ({
      body: JSON.stringify({ id: 820982911946154500 + n, email: `buyer${n}@example.com`, total_price: '199.00', currency: 'USD' }),
      contentType: 'application/json',
      id: `b54557e4-bdd9-4b37-8a5f-bf7d70bcd04${n}`,
      headers: { 'x-shopify-webhook-id': `b54557e4-bdd9-4b37-8a5f-bf7d70bcd04${n}`, 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': 'example.myshopify.com' },
    }),
    sign: (body, secret) => ({ 'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body, 'utf8').digest('base64') }),
    signatureHeaders: ['X-Shopify-Hmac-Sha256'],
  });
});
