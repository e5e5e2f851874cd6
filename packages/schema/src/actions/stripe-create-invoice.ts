import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'stripe.createInvoice',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a stripe connection (secret or restricted key)' })),
    customer: Type.String({ pattern: '^cus_[A-Za-z0-9]+$', description: 'the customer id (cus_…), e.g. from a stripe.createCustomer step' }),
    currency: Type.String({ pattern: '^[a-z]{3}$', description: 'ISO 4217, lowercase (usd, eur)' }),
    lines: Type.Array(
      Type.Object({
        description: Type.String({ minLength: 1, maxLength: 500 }),
        unitAmount: Type.Integer({ minimum: 0, description: 'in the smallest currency unit (cents)' }),
        quantity: Type.Optional(Type.Integer({ minimum: 1 })),
      }),
      { minItems: 1, maxItems: 250, description: 'the line items' },
    ),
    daysUntilDue: Type.Optional(Type.Integer({ minimum: 0, maximum: 365, description: 'default 30' })),
    description: Type.Optional(Type.String({ maxLength: 1500, description: 'the memo on the invoice' })),
    send: Type.Optional(Type.Boolean({ description: 'finalize and e-mail it to the customer (default true); false: finalize only' })),
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }))),
  }),
  outside: true,
  label: 'Stripe invoice',
  help: 'Creates a Stripe invoice with its line items, finalizes it and e-mails it to the customer; every request carries its own Idempotency-Key, so a retried step never bills twice.',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'customer', label: 'Customer (cus_…)' },
    { key: 'currency', label: 'Currency' },
    { key: 'lines', label: 'Lines (JSON: [{description, unitAmount, quantity}])', kind: 'json' },
    { key: 'daysUntilDue', label: 'Days until due' },
    { key: 'description', label: 'Memo' },
    { key: 'send', label: 'E-mail it (true/false)' },
    { key: 'metadata', label: 'Metadata (JSON)', kind: 'json' },
  ],
  defaults: { connection: 'stripe', customer: '{{steps.customer.output.id}}', currency: 'usd', lines: [{ description: '{{payload.item}}', unitAmount: 10000, quantity: 1 }], daysUntilDue: 30 },
  output: '`{id, number, status, hostedInvoiceUrl, amountDue, currency, customer}`: the finalized invoice (`in_…`; status `open`)',
  outputSchema: Type.Object({
    id: Type.String(),
    number: Type.String(),
    status: Type.String(),
    hostedInvoiceUrl: Type.String(),
    amountDue: Type.Integer(),
    currency: Type.String(),
    customer: Type.String(),
  }),
  summary: 'customer',
});
