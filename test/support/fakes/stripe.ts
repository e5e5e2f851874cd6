// A loopback Stripe that answers as Stripe's API reference documents (https://docs.stripe.com/api):
// - `Authorization: Bearer sk_…` (or HTTP Basic with the key as user name); none → 401 "You did not
//   provide an API key…", an unknown one → 401 "Invalid API Key provided: sk_test_****…" (type
//   invalid_request_error). Answers carry `Request-Id: req_…`.
// - Bodies are application/x-www-form-urlencoded with bracketed keys (`metadata[plan]=pro`,
//   `line_items[0][price]=price_…`); answers are JSON objects (`{id, object, …}`); errors are
//   `{error: {type, code?, message, param?}}`: a missing param is 400 parameter_missing, an unknown id
//   400 resource_missing ("No such customer: 'cus_…'"), an unknown path 404.
// - Idempotency (v1): the first answer per Idempotency-Key is saved once the endpoint began executing
//   (validation passed) and replayed for the same key (`Idempotent-Replayed: true`); the same key with
//   another path or other parameters is 400 idempotency_error. Scripted failures (the rate limiter, a
//   5xx before execution) are not saved unless `save` says so (Stripe saves a 500 it hit while executing).
// - POST /v1/customers, GET /v1/customers, POST /v1/invoices, POST /v1/invoiceitems,
//   POST /v1/invoices/:id/finalize, POST /v1/invoices/:id/send, POST /v1/payment_links.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLoopback, onBody } from './loopback.ts';

export interface StripeRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  /** the form body, flat (`metadata[plan]` as one key) */
  form: Record<string, string>;
  /** answered from the idempotency store */
  replayed: boolean;
}

/**
 * 'pass': answer normally; 'reset': drop the connection before executing; 'lose': execute (and save the
 * answer under the key) but drop the connection before answering — a lost response.
 */
export type StripeScripted = { status: number; headers?: Record<string, string>; body: unknown; save?: boolean } | 'pass' | 'reset' | 'lose';

interface Invoice {
  id: string;
  object: 'invoice';
  customer: string;
  currency: string;
  status: 'draft' | 'open';
  collection_method: string;
  days_until_due: number | null;
  auto_advance: boolean;
  description: string | null;
  number: string | null;
  hosted_invoice_url: string | null;
  amount_due: number;
  lines: { object: 'list'; data: { id: string; description: string; quantity: number; amount: number }[] };
  metadata: Record<string, string>;
  livemode: false;
}

export interface FakeStripe {
  url: string;
  requests: StripeRequest[];
  keys: Set<string>;
  customers: Map<string, Record<string, unknown>>;
  invoices: Map<string, Invoice>;
  prices: Set<string>;
  paymentLinks: Map<string, Record<string, unknown>>;
  /** invoices e-mailed by /send */
  sent: string[];
  /** answers given before the normal behaviour, in order */
  script(answers: StripeScripted[]): void;
  /** requests that executed (not replayed, not refused before execution) on a path */
  executed(path: string): StripeRequest[];
  close(): Promise<void>;
}

const err = (type: string, message: string, extra: Record<string, string> = {}) => ({ error: { type, message, ...extra } });

export async function startFakeStripe(clock: { now(): number } = Date): Promise<FakeStripe> {
  const requests: StripeRequest[] = [];
  const executedReqs: StripeRequest[] = [];
  const keys = new Set<string>();
  const customers = new Map<string, Record<string, unknown>>();
  const invoices = new Map<string, Invoice>();
  const prices = new Set<string>(['price_1Basic']);
  const paymentLinks = new Map<string, Record<string, unknown>>();
  const sent: string[] = [];
  const saved = new Map<string, { method: string; path: string; raw: string; status: number; body: unknown }>();
  let queue: StripeScripted[] = [];
  let seq = 0;
  const id = (prefix: string) => `${prefix}_${(++seq).toString(36).padStart(6, '0')}Fake`;
  let invoiceNo = 0;

  const server: Server = createServer((req, res) => {
    onBody(req, (raw) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const path = u.pathname;
      const form: Record<string, string> = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? u.search : raw));
      const entry: StripeRequest = { at: clock.now(), method: req.method ?? '', path, headers: req.headers, raw, form, replayed: false };
      requests.push(entry);
      const requestId = `req_${(++seq).toString(36)}`;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers }).end(JSON.stringify(body));

      // authentication comes first: nothing is saved for an unauthenticated request
      const auth = String(req.headers.authorization ?? '');
      const key = auth.startsWith('Bearer ') ? auth.slice(7) : auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':')[0]! : '';
      if (!key) return json(401, err('invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').'));
      if (!keys.has(key)) return json(401, err('invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`));

      const idem = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
      if (idem && req.method === 'POST') {
        const s = saved.get(idem);
        if (s) {
          if (s.method !== req.method || s.path !== path || s.raw !== raw) {
            return json(400, err('idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idem}' if you meant to execute a different request.`));
          }
          entry.replayed = true;
          return json(s.status, s.body, { 'idempotent-replayed': 'true', 'original-request': 'req_original' });
        }
      }
      const scripted = queue.shift();
      const save = (status: number, body: unknown) => {
        if (idem && req.method === 'POST') saved.set(idem, { method: req.method, path, raw, status, body });
        if (scripted === 'lose') return req.socket.destroy();
        return json(status, body, idem ? { 'idempotency-key': idem } : {});
      };

      if (scripted === 'reset') return req.socket.destroy();
      if (scripted && scripted !== 'pass' && scripted !== 'lose') {
        if (scripted.save) {
          executedReqs.push(entry);
          if (idem) saved.set(idem, { method: req.method ?? '', path, raw, status: scripted.status, body: scripted.body });
        }
        return json(scripted.status, scripted.body, scripted.headers);
      }

      const missing = (param: string) => json(400, err('invalid_request_error', `Missing required param: ${param}.`, { code: 'parameter_missing', param }));
      const noSuch = (what: string, v: string, param: string) => json(400, err('invalid_request_error', `No such ${what}: '${v}'`, { code: 'resource_missing', param }));
      const metadataOf = () => Object.fromEntries(Object.entries(form).flatMap(([k, v]) => (k.startsWith('metadata[') ? [[k.slice(9, -1), v]] : [])));

      if (path === '/v1/customers' && req.method === 'GET') {
        executedReqs.push(entry);
        return json(200, { object: 'list', url: '/v1/customers', has_more: false, data: [...customers.values()].slice(0, Number(form.limit ?? 10)) });
      }
      if (req.method !== 'POST') return json(404, err('invalid_request_error', `Unrecognized request URL (${req.method}: ${path}).`));
      if (path === '/v1/customers') {
        executedReqs.push(entry);
        const c = { id: id('cus'), object: 'customer', email: form.email ?? null, name: form.name ?? null, phone: form.phone ?? null, description: form.description ?? null, metadata: metadataOf(), livemode: false };
        customers.set(c.id, c);
        return save(200, c);
      }
      if (path === '/v1/invoices') {
        if (!form.customer) return missing('customer');
        if (!customers.has(form.customer)) return noSuch('customer', form.customer, 'customer');
        if (form.collection_method === 'send_invoice' && form.days_until_due === undefined) return missing('days_until_due');
        executedReqs.push(entry);
        const inv: Invoice = {
          id: id('in'),
          object: 'invoice',
          customer: form.customer,
          currency: form.currency ?? 'usd',
          status: 'draft',
          collection_method: form.collection_method ?? 'charge_automatically',
          days_until_due: form.days_until_due ? Number(form.days_until_due) : null,
          auto_advance: form.auto_advance !== 'false',
          description: form.description ?? null,
          number: null,
          hosted_invoice_url: null,
          amount_due: 0,
          lines: { object: 'list', data: [] },
          metadata: metadataOf(),
          livemode: false,
        };
        invoices.set(inv.id, inv);
        return save(200, inv);
      }
      if (path === '/v1/invoiceitems') {
        if (!form.customer) return missing('customer');
        const inv = form.invoice ? invoices.get(form.invoice) : undefined;
        if (form.invoice && !inv) return noSuch('invoice', form.invoice, 'invoice');
        if (inv && inv.status !== 'draft') return json(400, err('invalid_request_error', `You can only add invoice items to draft invoices. Invoice ${inv.id} is ${inv.status}.`, { code: 'invoice_not_editable', param: 'invoice' }));
        if (form.amount === undefined && form.unit_amount_decimal === undefined && form.price === undefined) return missing('amount');
        executedReqs.push(entry);
        const quantity = Number(form.quantity ?? 1);
        const amount = form.amount !== undefined ? Number(form.amount) : Math.round(Number(form.unit_amount_decimal) * quantity);
        const item = { id: id('ii'), object: 'invoiceitem', customer: form.customer, invoice: form.invoice ?? null, currency: form.currency, description: form.description ?? null, quantity, amount, livemode: false };
        if (inv) {
          inv.lines.data.push({ id: item.id, description: item.description ?? '', quantity, amount });
          inv.amount_due += amount;
        }
        return save(200, item);
      }
      const m = /^\/v1\/invoices\/([^/]+)\/(finalize|send)$/.exec(path);
      if (m) {
        const inv = invoices.get(decodeURIComponent(m[1]!));
        if (!inv) return json(404, err('invalid_request_error', `No such invoice: '${m[1]}'`, { code: 'resource_missing', param: 'invoice' }));
        if (m[2] === 'finalize') {
          if (inv.status !== 'draft') return json(400, err('invalid_request_error', 'This invoice is already finalized, you can\'t re-finalize a non-draft invoice.', { code: 'invoice_already_finalized' }));
          executedReqs.push(entry);
          inv.status = 'open';
          inv.number = `FAKE-${String(++invoiceNo).padStart(4, '0')}`;
          inv.hosted_invoice_url = `https://invoice.stripe.com/i/acct_fake/${inv.id}`;
          return save(200, inv);
        }
        if (inv.status !== 'open') return json(400, err('invalid_request_error', 'You can only send an invoice that is open.', { code: 'invoice_not_open' }));
        executedReqs.push(entry);
        sent.push(inv.id);
        return save(200, inv);
      }
      if (path === '/v1/payment_links') {
        const price = form['line_items[0][price]'];
        if (!price) return missing('line_items');
        if (!prices.has(price)) return noSuch('price', price, 'line_items[0][price]');
        executedReqs.push(entry);
        const link = { id: id('plink'), object: 'payment_link', active: true, url: `https://buy.stripe.com/test_${seq.toString(36)}`, metadata: metadataOf(), livemode: false };
        paymentLinks.set(link.id, link);
        return save(200, link);
      }
      return json(404, err('invalid_request_error', `Unrecognized request URL (${req.method}: ${path}).`));
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    requests,
    keys,
    customers,
    invoices,
    prices,
    paymentLinks,
    sent,
    script: (answers) => {
      queue = [...answers];
    },
    executed: (path) => executedReqs.filter((r) => r.path === path),
    close,
  };
}
