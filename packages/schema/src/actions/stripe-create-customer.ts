import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'stripe.createCustomer',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a stripe connection (secret or restricted key)' })),
    email: Type.String({ minLength: 3, maxLength: 512, description: "the customer's e-mail (invoices are sent to it)" }),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    phone: Type.Optional(Type.String({ maxLength: 20 })),
    description: Type.Optional(Type.String({ maxLength: 350 })),
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), { description: 'up to 50 keys, as Stripe allows' })),
  }),
  outside: true,
  label: 'Stripe customer',
  help: 'Creates a Stripe customer (POST /v1/customers), once per run: a retried step replays the same Idempotency-Key.',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'email', label: 'E-mail' },
    { key: 'name', label: 'Name' },
    { key: 'phone', label: 'Phone' },
    { key: 'description', label: 'Description' },
    { key: 'metadata', label: 'Metadata (JSON)', kind: 'json' },
  ],
  defaults: { connection: 'stripe', email: '{{payload.email}}', name: '{{payload.name}}' },
  output: '`{id, email, name}`: the customer (`cus_…`)',
  outputSchema: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
  summary: 'email',
});
