// The seeded month generator: deterministic, well-formed, and its own expected figures agree with the
// engine's KPI maths and ISO weeks (computed separately on both sides).
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { computeKpis } from '../../packages/engine/src/kpi.ts';
import { isoWeekOf } from '../../packages/engine/src/report.ts';
import { mulberry32, seedEvents, seedMonth } from './seed-month.ts';

const EMAIL = /^[^@\s]+@[^@\s]+\.[a-z]+$/;

describe('mulberry32', () => {
  it('is deterministic per seed and uniform-looking in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });
});

describe('seedMonth', () => {
  const s = seedMonth({ seed: 7 });

  it('is deterministic: same seed, same month; another seed, another month', () => {
    expect(JSON.stringify(seedMonth({ seed: 7 }))).toBe(JSON.stringify(s));
    expect(seedMonth({ seed: 8 }).leads[0]).not.toEqual(s.leads[0]);
  });

  it('500 well-formed lead payloads across the month, in time order, unique e-mails', () => {
    expect(s.from).toBe('2026-11-01T00:00:00.000Z');
    expect(s.to).toBe('2026-12-01T00:00:00.000Z');
    expect(s.leads).toHaveLength(500);
    const emails = new Set(s.leads.map((l) => l.payload.email));
    expect(emails.size).toBe(500);
    for (const l of s.leads) {
      expect(l.at >= s.from && l.at < s.to).toBe(true);
      expect(l.payload.email).toMatch(EMAIL);
      expect(Object.keys(l.payload).sort()).toEqual(['budget', 'company', 'email', 'message', 'name', 'source', 'timeline']);
      expect(Number.isInteger(l.payload.budget) && l.payload.budget >= 1500 && l.payload.budget <= 60000).toBe(true);
      expect(l.payload.message.length).toBeGreaterThan(20);
    }
    expect(s.leads.map((l) => l.at)).toEqual([...s.leads.map((l) => l.at)].sort());
    // realistic shape: weekdays busier than weekends, the form the biggest source
    const weekend = s.leads.filter((l) => [0, 6].includes(new Date(l.at).getUTCDay())).length;
    expect(weekend / 500).toBeLessThan(0.2);
    const src = s.expected.leadsBySource;
    expect(Object.values(src).reduce((a, b) => a + b, 0)).toBe(500);
    expect(Math.max(...Object.values(src))).toBe(src.form);
    expect(Object.keys(src).sort()).toEqual(['form', 'linkedin', 'other', 'referral']);
    expect(new Set(s.leads.map((l) => l.payload.timeline))).toEqual(new Set(['now', 'quarter', 'later']));
  });

  it('valid leads pass the lead-qualification payload contract; every malformed one fails it', () => {
    const flow = JSON.parse(readFileSync(new URL('../../flows/lead-qualification.json', import.meta.url), 'utf8')) as { trigger: { payloadSchema: object } };
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const validate = ajv.compile(flow.trigger.payloadSchema);
    for (const l of s.leads) expect(validate(l.payload), JSON.stringify(validate.errors)).toBe(true);
    for (const l of s.invalidLeads) expect(validate(l.payload), l.defect).toBe(false);
  });

  it('malformed submissions carry their defect', () => {
    expect(s.invalidLeads).toHaveLength(12);
    expect(s.expected.invalidByDefect).toEqual({ 'missing email': 4, 'malformed email': 4, 'budget as text': 4 });
    for (const l of s.invalidLeads) {
      if (l.defect === 'missing email') expect(l.payload.email).toBeUndefined();
      if (l.defect === 'malformed email') expect(String(l.payload.email)).not.toMatch(EMAIL);
      if (l.defect === 'budget as text') expect(typeof l.payload.budget).toBe('string');
    }
  });

  it('80 clients won from distinct leads after their capture; 120 invoices issued after the win, inside the month', () => {
    expect(s.clients).toHaveLength(80);
    expect(new Set(s.clients.map((c) => c.email)).size).toBe(80);
    const leadAt = new Map(s.leads.map((l) => [l.payload.email, l.at]));
    for (const c of s.clients) {
      expect(leadAt.get(c.email)).toBe(c.capturedAt);
      expect(c.wonAt > c.capturedAt && c.wonAt < s.to).toBe(true);
    }
    expect(s.invoices).toHaveLength(120);
    expect(new Set(s.invoices.map((v) => v.key)).size).toBe(120);
    const wonAt = new Map(s.clients.map((c) => [c.email, c.wonAt]));
    const perClient = new Map<string, number>();
    for (const v of s.invoices) {
      perClient.set(v.clientEmail, (perClient.get(v.clientEmail) ?? 0) + 1);
      expect(v.issuedAt > wonAt.get(v.clientEmail)!).toBe(true);
      expect(v.issuedAt < s.to).toBe(true);
      expect(v.dueAt > v.issuedAt).toBe(true);
      if (v.paidAt !== null) expect(v.paidAt > v.issuedAt).toBe(true);
      expect(Number.isInteger(v.amountCents) && v.amountCents > 0).toBe(true);
    }
    expect([...perClient.values()].filter((n) => n === 2)).toHaveLength(40);
    // the two invoices of a client add up to the lead's budget
    const budget = new Map(s.clients.map((c) => [c.email, c.budget]));
    for (const [email] of perClient) {
      const sum = s.invoices.filter((v) => v.clientEmail === email).reduce((a, v) => a + v.amountCents, 0);
      expect(sum).toBe(budget.get(email)! * 100);
    }
    expect(s.expected.invoicedCents).toBe(s.clients.reduce((a, c) => a + c.budget * 100, 0));
  });

  it('expected collection lag and weekly lead counts agree with the engine computed separately', () => {
    const transitions = s.invoices.flatMap((v) => [
      { entity: 'invoice', key: v.key, from: null, to: 'issued', at: v.issuedAt },
      ...(v.paidAt ? [{ entity: 'invoice', key: v.key, from: 'issued', to: 'paid', at: v.paidAt }] : []),
    ]);
    const k = computeKpis({ from: s.from, to: s.to, runs: [], transitions, reviews: [], rejected: [], deadLettersOpen: 0, reviewsOpen: 0 });
    expect(s.expected.invoicesPaidInMonth).toBeGreaterThan(20);
    expect(k.collectionLag.samples).toBe(s.expected.invoicesPaidInMonth);
    expect(k.collectionLag.medianDays).toBeCloseTo(s.expected.collectionLagMedianDays!, 9);
    const weeks = new Map<string, number>();
    for (const l of s.leads) weeks.set(isoWeekOf(l.at), (weeks.get(isoWeekOf(l.at)) ?? 0) + 1);
    expect(s.expected.leadsByWeek).toEqual([...weeks].map(([week, count]) => ({ week, count })).sort((a, b) => a.week.localeCompare(b.week)));
    expect(s.expected.leadsByWeek.map((w) => w.week)).toEqual(['2026-W44', '2026-W45', '2026-W46', '2026-W47', '2026-W48', '2026-W49']);
    expect(s.expected.openAtMonthEnd + s.expected.invoicesPaidInMonth).toBe(120);
    const all = computeKpis({ from: s.from, to: '2027-06-01T00:00:00.000Z', runs: [], transitions, reviews: [], rejected: [], deadLettersOpen: 0, reviewsOpen: 0 });
    expect(all.collectionLag.samples).toBe(s.expected.allPaid.invoices);
    expect(all.collectionLag.medianDays).toBeCloseTo(s.expected.allPaid.collectionLagMedianDays!, 9);
    expect(s.expected.allPaid.lastPaidAt! < '2027-06-01').toBe(true);
  });

  it('the event stream replays the month in time order', () => {
    const ev = seedEvents(s);
    const paid = s.invoices.filter((v) => v.paidAt !== null).length;
    expect(ev).toHaveLength(500 + 12 + 80 + 120 + paid);
    for (let i = 1; i < ev.length; i += 1) expect(ev[i - 1].at <= ev[i].at).toBe(true);
    // a client is won after its lead arrived, and an invoice paid after it was issued, in stream order
    const pos = new Map(ev.map((e, i) => [`${e.kind}:${e.kind === 'lead' ? e.lead.payload.email : e.kind === 'won' ? e.client.email : e.kind.startsWith('invoice') ? (e as { invoice: { key: string } }).invoice.key : i}`, i]));
    for (const c of s.clients) expect(pos.get(`lead:${c.email}`)!).toBeLessThan(pos.get(`won:${c.email}`)!);
    for (const v of s.invoices) if (v.paidAt) expect(pos.get(`invoice.issued:${v.key}`)!).toBeLessThan(pos.get(`invoice.paid:${v.key}`)!);
  });

  it('options: other sizes and months; impossible sizes refused', () => {
    const small = seedMonth({ seed: 1, month: '2027-02', leads: 60, clients: 10, invoices: 15, invalidLeads: 0 });
    expect(small.from).toBe('2027-02-01T00:00:00.000Z');
    expect(small.to).toBe('2027-03-01T00:00:00.000Z');
    expect([small.leads.length, small.clients.length, small.invoices.length, small.invalidLeads.length]).toEqual([60, 10, 15, 0]);
    expect(() => seedMonth({ clients: 10, invoices: 30 })).toThrow(RangeError);
    expect(() => seedMonth({ month: '2026-13x' })).toThrow(RangeError);
  });
});
