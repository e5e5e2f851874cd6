// stripe.createPaymentLink: POST /v1/payment_links (https://docs.stripe.com/api/payment-link/create).
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { str, stripeSession } from '../connectors/stripe.ts';

export default defineExecutor(specOf('stripe.createPaymentLink'), async (p, x) => {
  const call = await stripeSession(p.connection, x);
  const link = await call('createPaymentLink', {
    method: 'POST',
    path: '/v1/payment_links',
    form: {
      line_items: [{ price: p.price, quantity: p.quantity ?? 1 }],
      after_completion: p.redirectUrl ? { type: 'redirect', redirect: { url: p.redirectUrl } } : undefined,
      metadata: p.metadata,
    },
  });
  return { status: 200, output: { id: str(link.id), url: str(link.url) } };
});
