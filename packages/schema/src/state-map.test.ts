import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canTransition, hasState, validateStateMap, type StateMap } from './state-map.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const shipped = JSON.parse(readFileSync(path.join(repoRoot, 'flows/state-map.json'), 'utf8')) as StateMap;

const tiny = (): any => ({
  version: 1,
  entities: {
    ticket: {
      initial: 'open',
      states: {
        open: { owner: 'automation', next: ['closed'] },
        closed: { owner: 'founder', next: [], terminal: true },
      },
    },
  },
});

describe('validateStateMap', () => {
  it('accepts the shipped flows/state-map.json', () => {
    const res = validateStateMap(shipped);
    expect(res.errors).toEqual([]);
    expect(res.ok).toBe(true);
    expect(res.map).toBe(shipped);
  });

  it('reports shape errors with pointers', () => {
    const doc = tiny();
    doc.version = 2;
    delete doc.entities.ticket.states.open.owner;
    doc.entities.ticket.states.open.colour = 'red';
    doc.entities.Ticket = doc.entities.ticket;
    const errors = validateStateMap(doc).errors;
    expect(errors).toContainEqual({ path: '/version', message: 'must be 1' });
    expect(errors).toContainEqual({ path: '/entities/ticket/states/open/owner', message: "must have required property 'owner'" });
    expect(errors).toContainEqual({ path: '/entities/ticket/states/open/colour', message: 'unknown property "colour" (must NOT have additional properties)' });
    expect(errors.some((e) => e.path === '/entities/Ticket')).toBe(true);
  });

  it('reports an initial state that does not exist', () => {
    const doc = tiny();
    doc.entities.ticket.initial = 'new';
    expect(validateStateMap(doc).errors).toEqual([{ path: '/entities/ticket/initial', message: 'initial state "new" is not a state of ticket' }]);
  });

  it('reports a next naming an unknown state', () => {
    const doc = tiny();
    doc.entities.ticket.states.open.next = ['closed', 'solved'];
    expect(validateStateMap(doc).errors).toEqual([{ path: '/entities/ticket/states/open/next/1', message: '"solved" is not a state of ticket' }]);
  });

  it('reports a terminal state with next states', () => {
    const doc = tiny();
    doc.entities.ticket.states.closed.next = ['open'];
    expect(validateStateMap(doc).errors).toEqual([{ path: '/entities/ticket/states/closed/next', message: 'terminal state "closed" cannot have next states' }]);
  });

  it('does not throw on garbage', () => {
    for (const doc of [null, 1, 'x', [], {}, { entities: { a: null } }, { entities: { a: { states: { s: null } } } }]) {
      expect(validateStateMap(doc).ok).toBe(false);
    }
  });
});

describe('canTransition', () => {
  it('allows the transitions the map lists and names both states otherwise', () => {
    expect(canTransition(shipped, 'account', 'captured', 'qualified')).toEqual({ ok: true });
    expect(canTransition(shipped, 'account', 'qualified', 'captured')).toEqual({ ok: false, reason: 'illegal transition for account: "qualified" → "captured"' });
    expect(canTransition(shipped, 'account', 'captured', 'paid')).toEqual({
      ok: false,
      reason: 'illegal transition for account: "captured" → "paid" ("paid" is not a state of account)',
    });
  });

  it('creates a record only in the initial state or an entryAllowed one', () => {
    expect(canTransition(shipped, 'account', null, 'captured')).toEqual({ ok: true });
    expect(canTransition(shipped, 'account', null, 'qualified')).toEqual({ ok: true }); // the lead flow's end state
    expect(canTransition(shipped, 'account', null, 'won')).toEqual({ ok: true }); // a payment may come first
    expect(canTransition(shipped, 'account', null, 'in_delivery')).toEqual({
      ok: false,
      reason: 'illegal transition for account: (new record) → "in_delivery" (a new record starts in "captured" or "qualified" or "won" or "disqualified")',
    });
    expect(canTransition(shipped, 'invoice', null, 'issued')).toEqual({ ok: true });
    expect(canTransition(shipped, 'invoice', null, 'paid').ok).toBe(false);
  });

  it('lets a record stay in its state (a repeated event is a no-op, not an error)', () => {
    expect(canTransition(shipped, 'invoice', 'paid', 'paid')).toEqual({ ok: true });
  });

  it('refuses unknown entities and unknown source states', () => {
    expect(canTransition(shipped, 'deal', 'open', 'won')).toEqual({ ok: false, reason: 'unknown entity "deal"' });
    expect(canTransition(shipped, 'account', 'hot', 'won')).toEqual({
      ok: false,
      reason: 'illegal transition for account: "hot" → "won" ("hot" is not a state of account)',
    });
    expect(canTransition(shipped, 'account', 'toString', 'won').ok).toBe(false);
    expect(canTransition(shipped, 'constructor', null, 'won').ok).toBe(false);
  });

  it('hasState', () => {
    expect(hasState(shipped, 'account')).toBe(true);
    expect(hasState(shipped, 'account', 'won')).toBe(true);
    expect(hasState(shipped, 'account', 'paid')).toBe(false);
    expect(hasState(shipped, 'toString')).toBe(false);
  });
});

describe('flows/state-map.json: the shipped lifecycle', () => {
  const path = (entity: string, ...states: string[]): boolean =>
    states.slice(1).every((to, i) => canTransition(shipped, entity, states[i]!, to).ok);

  it('points at the published state-map schema', () => {
    expect((shipped as { $schema?: string }).$schema).toBe('../packages/schema/state-map.schema.json');
  });

  it('account: captured → qualified → won → in_delivery → invoice_issued → retained | churned', () => {
    expect(shipped.entities.account!.initial).toBe('captured');
    expect(path('account', 'captured', 'qualified', 'won', 'in_delivery', 'invoice_issued', 'retained')).toBe(true);
    expect(path('account', 'invoice_issued', 'churned')).toBe(true);
  });

  it('account: exits lost and disqualified, won straight from captured or qualified, retainers, win-back', () => {
    expect(path('account', 'captured', 'disqualified')).toBe(true);
    expect(path('account', 'qualified', 'lost')).toBe(true);
    expect(path('account', 'qualified', 'disqualified')).toBe(true);
    expect(path('account', 'captured', 'won')).toBe(true);
    expect(path('account', 'in_delivery', 'invoice_issued', 'in_delivery', 'invoice_issued')).toBe(true);
    expect(path('account', 'churned', 'won')).toBe(true);
    expect(path('account', 'won', 'invoice_issued')).toBe(true); // a deposit invoiced before delivery starts
    expect(shipped.entities.account!.states.lost!.terminal).toBe(true);
    expect(shipped.entities.account!.states.disqualified!.terminal).toBe(true);
    expect(path('account', 'lost', 'qualified')).toBe(false);
  });

  it('invoice: issued → overdue → paid | written_off, issued → paid directly', () => {
    expect(shipped.entities.invoice!.initial).toBe('issued');
    expect(path('invoice', 'issued', 'overdue', 'paid')).toBe(true);
    expect(path('invoice', 'overdue', 'written_off')).toBe(true);
    expect(path('invoice', 'issued', 'paid')).toBe(true);
    expect(path('invoice', 'paid', 'overdue')).toBe(false);
    expect(path('invoice', 'issued', 'written_off')).toBe(false);
  });

  it('gives every state an owner', () => {
    for (const entity of Object.values(shipped.entities)) {
      for (const s of Object.values(entity.states)) expect(['founder', 'automation']).toContain(s.owner);
    }
  });
});
