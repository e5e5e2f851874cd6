import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'stripe',
  label: 'Stripe',
  help: 'A Stripe secret key (sk_…) or a restricted key (rk_…) with write access to customers, invoices, invoice items and payment links.',
  baseUrl: 'https://api.stripe.com',
  auth: ['bearer'],
  credentialHint: 'sk_live_… or rk_live_…',
});
