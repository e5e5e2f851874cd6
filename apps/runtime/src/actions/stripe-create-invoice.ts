// stripe.createInvoice: a draft invoice (POST /v1/invoices), its line items (POST /v1/invoiceitems, one
// per line, on that invoice), finalized (POST /v1/invoices/:id/finalize) and e-mailed
// (POST /v1/invoices/:id/send). Each request has its own Idempotency-Key: a step retried after, say,
// the third line failed replays the invoice and the first two lines from Stripe's saved answers and
// carries on from there — one invoice, never two.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { str, stripeSession } from '../connectors/stripe.ts';

export default defineExecutor(specOf('stripe.createInvoice'), async (p, x) => {
  const call = await stripeSession(p.connection, x);
  const draft = await call('createInvoice', {
    method: 'POST',
    path: '/v1/invoices',
    form: {
      customer: p.customer,
      currency: p.currency,
      collection_method: 'send_invoice',
      days_until_due: p.daysUntilDue ?? 30,
      // the lines below go on this invoice; none of the customer's pending items are swept in
      pending_invoice_items_behavior: 'exclude',
      // finalized here, not an hour later by Stripe
      auto_advance: false,
      description: p.description,
      metadata: p.metadata,
    },
  });
  const id = encodeURIComponent(str(draft.id));
  for (const [i, line] of p.lines.entries()) {
    await call(`invoiceItem-${i}`, {
      method: 'POST',
      path: '/v1/invoiceitems',
      form: { customer: p.customer, invoice: str(draft.id), currency: p.currency, description: line.description, quantity: line.quantity ?? 1, unit_amount_decimal: String(line.unitAmount) },
    });
  }
  let invoice = await call('finalizeInvoice', { method: 'POST', path: `/v1/invoices/${id}/finalize`, form: { auto_advance: false } });
  if (p.send !== false) invoice = await call('sendInvoice', { method: 'POST', path: `/v1/invoices/${id}/send` });
  return {
    status: 200,
    output: {
      id: str(invoice.id),
      number: str(invoice.number),
      status: str(invoice.status),
      hostedInvoiceUrl: str(invoice.hosted_invoice_url),
      amountDue: typeof invoice.amount_due === 'number' ? invoice.amount_due : 0,
      currency: str(invoice.currency),
      customer: str(invoice.customer),
    },
  };
});
