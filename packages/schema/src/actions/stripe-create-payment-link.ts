import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'stripe.createPaymentLink',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a stripe connection (secret or restricted key)' })),
    price: Type.String({ pattern: '^price_[A-Za-z0-9]+$', description: 'a Price id (price_…) from the Stripe dashboard' }),
    quantity: Type.Optional(Type.Integer({ minimum: 1, description: 'default 1' })),
    redirectUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'where the buyer lands after paying' })),
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }))),
  }),
  outside: true,
  label: 'Stripe payment link',
  help: 'Creates a Stripe payment link for a price (POST /v1/payment_links), once per run.',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'price', label: 'Price (price_…)' },
    { key: 'quantity', label: 'Quantity' },
    { key: 'redirectUrl', label: 'Redirect after payment' },
    { key: 'metadata', label: 'Metadata (JSON)', kind: 'json' },
  ],
  defaults: { connection: 'stripe', price: 'price_XXXXXXXX', quantity: 1 },
  output: '`{id, url}`: the link (`plink_…`) and the URL to send the buyer',
  outputSchema: Type.Object({ id: Type.String(), url: Type.String() }),
  summary: 'price',
});
