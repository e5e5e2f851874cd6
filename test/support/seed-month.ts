// A seeded, deterministic month of lead-to-cash events for the KPI integration test and the demo data:
// ~500 lead payloads for the lead-qualification webhook (arrival times weighted to weekdays and office
// hours), a few malformed ones (payload drift), 80 clients won, 120 invoices (issue, due, paid dates and
// amounts). Same seed → same month, byte for byte.
//
// `expected` holds figures computed here, straight from the generated data, with this file's own
// arithmetic (its own median, its own ISO weeks) — never by calling the engine's KPI code — so a test
// can hold the runtime's /api/kpis against them. Lead response times are not here: they depend on how
// the runtime answers, which only the run itself can tell.

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** mulberry32: a tiny 32-bit PRNG; uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface LeadPayload {
  email: string;
  name: string;
  company: string;
  source: 'form' | 'referral' | 'linkedin' | 'other';
  budget: number;
  timeline: 'now' | 'quarter' | 'later';
  message: string;
}

export interface SeededLead {
  /** arrival time, ISO */
  at: string;
  payload: LeadPayload;
}

/** A malformed submission the webhook's payload contract must refuse (payload drift). */
export interface SeededInvalidLead {
  at: string;
  payload: Record<string, unknown>;
  /** what is wrong with it ("budget as text" assumes the contract types budget as a number) */
  defect: 'missing email' | 'malformed email' | 'budget as text';
}

export interface SeededClient {
  email: string;
  company: string;
  /** the lead's arrival */
  capturedAt: string;
  wonAt: string;
  budget: number;
}

export interface SeededInvoice {
  /** the invoice record key */
  key: string;
  clientEmail: string;
  /** integer cents */
  amountCents: number;
  currency: 'EUR';
  issuedAt: string;
  dueAt: string;
  /** null: not paid (written off, or still open when the data ends) */
  paidAt: string | null;
}

export interface SeedMonthOptions {
  seed?: number;
  /** `YYYY-MM` (UTC); default 2026-11 */
  month?: string;
  leads?: number;
  clients?: number;
  invoices?: number;
  invalidLeads?: number;
}

export interface SeedMonthExpected {
  leads: number;
  invalidLeads: number;
  invalidByDefect: Record<string, number>;
  clients: number;
  invoices: number;
  /** leads by ISO week of arrival (UTC), weeks in order */
  leadsByWeek: { week: string; count: number }[];
  leadsBySource: Record<string, number>;
  /** invoices whose payment falls inside the month */
  invoicesPaidInMonth: number;
  /** median days issued → paid over the invoices paid inside the month (mean of the two middle values for an even count) */
  collectionLagMedianDays: number | null;
  /** over every paid invoice, whenever paid (payments run past the month): for a KPI period that reaches past it */
  allPaid: { invoices: number; collectionLagMedianDays: number | null; lastPaidAt: string | null };
  invoicedCents: number;
  paidInMonthCents: number;
  /** issued by the end of the month and not paid by then */
  openAtMonthEnd: number;
  /** of those, past their due date at the end of the month */
  overdueAtMonthEnd: number;
}

export interface SeedMonth {
  seed: number;
  month: string;
  /** [from, to): the month, UTC */
  from: string;
  to: string;
  leads: SeededLead[];
  invalidLeads: SeededInvalidLead[];
  clients: SeededClient[];
  invoices: SeededInvoice[];
  expected: SeedMonthExpected;
}

/** Every event of the month (and payments after it), time-ordered, for replaying through the runtime. */
export type SeedEvent =
  | { at: string; kind: 'lead'; lead: SeededLead }
  | { at: string; kind: 'invalid-lead'; lead: SeededInvalidLead }
  | { at: string; kind: 'won'; client: SeededClient }
  | { at: string; kind: 'invoice.issued'; invoice: SeededInvoice }
  | { at: string; kind: 'invoice.paid'; invoice: SeededInvoice };

const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia', 'Tim', 'Hedy', 'John', 'Katherine', 'Guido', 'Sophie', 'Yukihiro', 'Anita', 'Bjarne', 'Lena', 'Omar', 'Priya', 'Mateo', 'Chloé', 'Jonas', 'Amara', 'Kenji', 'Ines', 'Tariq'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Dijkstra', 'Perlman', 'Berners', 'Lamarr', 'Backus', 'Johnson', 'Rossum', 'Wilson', 'Matsumoto', 'Borg', 'Stroustrup', 'Meyer', 'Haddad', 'Sharma', 'García', 'Dubois', 'Berg', 'Okafor', 'Tanaka', 'Moreau', 'Rahman'];
const CO_A = ['North', 'Blue', 'Bright', 'Iron', 'Silver', 'Green', 'Swift', 'Clear', 'Red', 'Open', 'True', 'High', 'Little', 'Bold', 'Quiet'];
const CO_B = ['Harbor', 'Peak', 'Field', 'Forge', 'Leaf', 'Stone', 'Wave', 'Bridge', 'Lane', 'Works', 'Labs', 'Studio', 'Garden', 'Path', 'Mill'];
const CO_C = ['Ltd', 'GmbH', 'SAS', 'Inc', 'BV', 'Co'];
// the enums of flows/lead-qualification.json's payload contract
const SOURCES: [LeadPayload['source'], number][] = [
  ['form', 50],
  ['referral', 20],
  ['linkedin', 18],
  ['other', 12],
];
const TIMELINES: [LeadPayload['timeline'], number][] = [
  ['now', 30],
  ['quarter', 45],
  ['later', 25],
];
const NEEDS = ['a new website', 'a brand refresh', 'help with our onboarding emails', 'a pricing page rewrite', 'a product launch campaign', 'a customer portal', 'monthly content', 'an audit of our funnel'];
const OPENERS = ['Hi,', 'Hello there,', 'Good morning,', 'Hey team,', 'Hi —'];
const CLOSERS = ['Thanks!', 'Looking forward to hearing from you.', 'Can we talk this week?', 'Best,', 'Cheers'];

function pickWeighted<T>(rnd: () => number, items: readonly [T, number][]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [v, w] of items) {
    x -= w;
    if (x < 0) return v;
  }
  return items[items.length - 1][0];
}
const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const slug = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
const iso = (ms: number) => new Date(ms).toISOString();

/** Own median: sort, middle value, or the mean of the two middle values. */
function ownMedian(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Own ISO week: the Thursday of the instant's Monday-based week decides the year. */
function ownIsoWeek(ms: number): string {
  const d = new Date(ms);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const mondayOffset = (d.getUTCDay() + 6) % 7;
  const thursday = new Date(day + (3 - mondayOffset) * DAY);
  const year = thursday.getUTCFullYear();
  const dayOfYear = Math.round((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY); // 0-based
  return `${year}-W${String(Math.floor(dayOfYear / 7) + 1).padStart(2, '0')}`;
}

/** Arrival time: a day weighted to weekdays, then an hour weighted to office hours (UTC). */
function arrival(rnd: () => number, fromMs: number, days: number): number {
  const dayWeights: [number, number][] = [];
  for (let i = 0; i < days; i += 1) {
    const dow = new Date(fromMs + i * DAY).getUTCDay();
    dayWeights.push([i, dow === 0 || dow === 6 ? 0.3 : 1]);
  }
  const day = pickWeighted(rnd, dayWeights);
  const hourWeights: [number, number][] = Array.from({ length: 24 }, (_, h) => [h, h >= 8 && h < 18 ? 6 : h >= 6 && h < 22 ? 2 : 0.4]);
  const hour = pickWeighted(rnd, hourWeights);
  // whole seconds, so times survive any round trip unchanged
  return fromMs + day * DAY + hour * HOUR + Math.floor(rnd() * 3600) * 1000;
}

export function seedMonth(opts: SeedMonthOptions = {}): SeedMonth {
  const seed = opts.seed ?? 20261101;
  const month = opts.month ?? '2026-11';
  const nLeads = opts.leads ?? 500;
  const nClients = opts.clients ?? 80;
  const nInvoices = opts.invoices ?? 120;
  const nInvalid = opts.invalidLeads ?? 12;
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) throw new RangeError(`month must be YYYY-MM, got ${month}`);
  if (nInvoices < nClients || nInvoices > 2 * nClients) throw new RangeError('invoices must be between clients and 2 × clients (one or two per client)');
  const fromMs = Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
  const toMs = Date.UTC(Number(m[1]), Number(m[2]), 1);
  const days = Math.round((toMs - fromMs) / DAY);
  const rnd = mulberry32(seed);

  // ── leads ──
  const leads: SeededLead[] = [];
  for (let i = 0; i < nLeads; i += 1) {
    const first = pick(rnd, FIRST);
    const last = pick(rnd, LAST);
    const company = `${pick(rnd, CO_A)}${pick(rnd, CO_B)} ${pick(rnd, CO_C)}`;
    const domain = `${slug(company.split(' ')[0])}.example`;
    const budget = Math.round(Math.exp(Math.log(1500) + rnd() * (Math.log(60000) - Math.log(1500))) / 500) * 500;
    const timeline = pickWeighted(rnd, TIMELINES);
    const message = `${pick(rnd, OPENERS)} we are looking for ${pick(rnd, NEEDS)}${timeline === 'now' ? ' as soon as possible' : ''}. Budget around €${budget.toLocaleString('en-US')}. ${pick(rnd, CLOSERS)}`;
    leads.push({
      at: iso(arrival(rnd, fromMs, days)),
      payload: {
        email: `${slug(first)}.${slug(last)}.${i + 1}@${domain}`,
        name: `${first} ${last}`,
        company,
        source: pickWeighted(rnd, SOURCES),
        budget,
        timeline,
        message,
      },
    });
  }
  leads.sort((a, b) => a.at.localeCompare(b.at) || a.payload.email.localeCompare(b.payload.email));

  // ── payload drift ──
  const defects: SeededInvalidLead['defect'][] = ['missing email', 'malformed email', 'budget as text'];
  const invalidLeads: SeededInvalidLead[] = [];
  for (let i = 0; i < nInvalid; i += 1) {
    const defect = defects[i % defects.length];
    const base: Record<string, unknown> = { name: `Form Bot ${i + 1}`, company: 'Unknown', source: 'form', budget: 5000, timeline: 'later', message: 'hello' };
    if (defect === 'malformed email') base.email = `not-an-email-${i + 1}`;
    if (defect === 'budget as text') {
      base.email = `drift.${i + 1}@forms.example`;
      base.budget = 'about 5k';
    }
    invalidLeads.push({ at: iso(arrival(rnd, fromMs, days)), payload: base, defect });
  }
  invalidLeads.sort((a, b) => a.at.localeCompare(b.at));

  // ── clients won: leads early enough to be won and invoiced inside the month, higher budgets likelier ──
  const candidates = leads.filter((l) => Date.parse(l.at) < toMs - 10 * DAY);
  if (candidates.length < nClients) throw new RangeError(`only ${candidates.length} leads arrive early enough to win ${nClients} clients`);
  const pool = candidates.map((l) => ({ l, w: Math.sqrt(l.payload.budget) * (l.payload.timeline === 'later' ? 0.4 : 1) }));
  const clients: SeededClient[] = [];
  while (clients.length < nClients) {
    const total = pool.reduce((s, p) => s + p.w, 0);
    let x = rnd() * total;
    let idx = pool.findIndex((p) => (x -= p.w) < 0);
    if (idx < 0) idx = pool.length - 1;
    const { l } = pool.splice(idx, 1)[0];
    const capturedMs = Date.parse(l.at);
    const wonMs = capturedMs + Math.floor((1 + rnd() * 6) * 24 * 3600) * 1000; // 1–7 days later
    clients.push({ email: l.payload.email, company: l.payload.company, capturedAt: l.at, wonAt: iso(wonMs), budget: l.payload.budget });
  }
  clients.sort((a, b) => a.wonAt.localeCompare(b.wonAt) || a.email.localeCompare(b.email));

  // ── invoices: one per client, a second for (invoices - clients) of them ──
  const invoices: SeededInvoice[] = [];
  const twoInvoices = new Set<number>();
  while (twoInvoices.size < nInvoices - nClients) twoInvoices.add(Math.floor(rnd() * nClients));
  let seq = 0;
  const payment = (issuedMs: number, termsDays: number): { dueAt: string; paidAt: string | null } => {
    const dueMs = issuedMs + termsDays * DAY;
    const r = rnd();
    if (r < 0.05) return { dueAt: iso(dueMs), paidAt: null }; // never paid
    // most pay around the due date; some early, a tail late
    const factor = r < 0.25 ? 0.2 + rnd() * 0.5 : r < 0.8 ? 0.7 + rnd() * 0.5 : 1.2 + rnd() * 1.3;
    return { dueAt: iso(dueMs), paidAt: iso(issuedMs + Math.max(3600, Math.floor(termsDays * factor * 24 * 3600)) * 1000) };
  };
  clients.forEach((c, i) => {
    const wonMs = Date.parse(c.wonAt);
    const split = twoInvoices.has(i);
    const total = c.budget * 100;
    const firstCents = split ? Math.round(total * 0.5) : total;
    const issued1 = wonMs + Math.floor((0.5 + rnd() * 2.5) * 24 * 3600) * 1000; // 0.5–3 days after winning
    const terms1 = rnd() < 0.6 ? 14 : 30;
    invoices.push({ key: `INV-${month.replace('-', '')}-${String(++seq).padStart(3, '0')}`, clientEmail: c.email, amountCents: firstCents, currency: 'EUR', issuedAt: iso(issued1), ...payment(issued1, terms1) });
    if (split) {
      const room = Math.max(0, (toMs - 3600_000 - issued1) / DAY);
      const issued2 = issued1 + Math.floor(Math.min(room, 2 + rnd() * 8) * 24 * 3600) * 1000;
      invoices.push({ key: `INV-${month.replace('-', '')}-${String(++seq).padStart(3, '0')}`, clientEmail: c.email, amountCents: total - firstCents, currency: 'EUR', issuedAt: iso(issued2), ...payment(issued2, 14) });
    }
  });
  invoices.sort((a, b) => a.issuedAt.localeCompare(b.issuedAt) || a.key.localeCompare(b.key));

  // ── expected figures, from the data alone ──
  const inMonth = (s: string | null) => s !== null && Date.parse(s) >= fromMs && Date.parse(s) < toMs;
  const paidIn = invoices.filter((v) => inMonth(v.paidAt));
  const weekCounts = new Map<string, number>();
  for (const l of leads) {
    const w = ownIsoWeek(Date.parse(l.at));
    weekCounts.set(w, (weekCounts.get(w) ?? 0) + 1);
  }
  const bySource: Record<string, number> = {};
  for (const l of leads) bySource[l.payload.source] = (bySource[l.payload.source] ?? 0) + 1;
  const byDefect: Record<string, number> = {};
  for (const l of invalidLeads) byDefect[l.defect] = (byDefect[l.defect] ?? 0) + 1;
  const issuedByEnd = invoices.filter((v) => Date.parse(v.issuedAt) < toMs);
  const openAtEnd = issuedByEnd.filter((v) => v.paidAt === null || Date.parse(v.paidAt) >= toMs);

  return {
    seed,
    month,
    from: iso(fromMs),
    to: iso(toMs),
    leads,
    invalidLeads,
    clients,
    invoices,
    expected: {
      leads: leads.length,
      invalidLeads: invalidLeads.length,
      invalidByDefect: byDefect,
      clients: clients.length,
      invoices: invoices.length,
      leadsByWeek: [...weekCounts].map(([week, count]) => ({ week, count })).sort((a, b) => a.week.localeCompare(b.week)),
      leadsBySource: bySource,
      invoicesPaidInMonth: paidIn.length,
      collectionLagMedianDays: ownMedian(paidIn.map((v) => (Date.parse(v.paidAt!) - Date.parse(v.issuedAt)) / DAY)),
      allPaid: {
        invoices: invoices.filter((v) => v.paidAt !== null).length,
        collectionLagMedianDays: ownMedian(invoices.filter((v) => v.paidAt !== null).map((v) => (Date.parse(v.paidAt!) - Date.parse(v.issuedAt)) / DAY)),
        lastPaidAt: invoices.reduce<string | null>((m, v) => (v.paidAt !== null && (m === null || v.paidAt > m) ? v.paidAt : m), null),
      },
      invoicedCents: invoices.reduce((s, v) => s + v.amountCents, 0),
      paidInMonthCents: paidIn.reduce((s, v) => s + v.amountCents, 0),
      openAtMonthEnd: openAtEnd.length,
      overdueAtMonthEnd: openAtEnd.filter((v) => Date.parse(v.dueAt) < toMs).length,
    },
  };
}

/** All events in time order (payments after the month included); ties keep a stable kind order. */
export function seedEvents(s: SeedMonth): SeedEvent[] {
  const order: Record<SeedEvent['kind'], number> = { lead: 0, 'invalid-lead': 1, won: 2, 'invoice.issued': 3, 'invoice.paid': 4 };
  const ev: SeedEvent[] = [
    ...s.leads.map((lead) => ({ at: lead.at, kind: 'lead' as const, lead })),
    ...s.invalidLeads.map((lead) => ({ at: lead.at, kind: 'invalid-lead' as const, lead })),
    ...s.clients.map((client) => ({ at: client.wonAt, kind: 'won' as const, client })),
    ...s.invoices.map((invoice) => ({ at: invoice.issuedAt, kind: 'invoice.issued' as const, invoice })),
    ...s.invoices.filter((v) => v.paidAt !== null).map((invoice) => ({ at: invoice.paidAt!, kind: 'invoice.paid' as const, invoice })),
  ];
  return ev.sort((a, b) => a.at.localeCompare(b.at) || order[a.kind] - order[b.kind]);
}
