// stripe.createCustomer: POST /v1/customers (https://docs.stripe.com/api/customers/create).
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { str, stripeSession } from '../connectors/stripe.ts';

export default defineExecutor(specOf('stripe.createCustomer'), async (p, x) => {
  const call = await stripeSession(p.connection, x);
  const c = await call('createCustomer', {
    method: 'POST',
    path: '/v1/customers',
    form: { email: p.email, name: p.name, phone: p.phone, description: p.description, metadata: p.metadata },
  });
  return { status: 200, output: { id: str(c.id), email: str(c.email), name: str(c.name) } };
});
