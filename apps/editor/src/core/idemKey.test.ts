import { describe, expect, it } from 'vitest';
import { readKey, showKey } from './idemKey.ts';

describe('idempotency key field', () => {
  it('reads a path as the README writes it, braces and quotes included, and shows it back the same way', () => {
    expect(readKey('payload.orderId')).toEqual({ var: 'payload.orderId' });
    expect(readKey(' {{ payload.orderId }} ')).toEqual({ var: 'payload.orderId' });
    expect(readKey('"payload.items[0].sku"')).toEqual({ var: 'payload.items[0].sku' });
    expect(showKey({ var: 'payload.orderId' })).toBe('payload.orderId');
  });
  it('reads JSON-Logic rules and shows them as JSON', () => {
    const rule = { cat: [{ var: 'payload.shop' }, ':', { var: 'payload.orderId' }] };
    expect(readKey(JSON.stringify(rule))).toEqual(rule);
    expect(readKey(showKey(rule))).toEqual(rule);
  });
  it('keeps what it cannot read as text (the validator names it), and empty means no key', () => {
    expect(readKey('payload order id')).toBe('payload order id');
    expect(readKey('{"var": "payload.')).toBe('{"var": "payload.');
    expect(readKey('42')).toBe('42');
    expect(showKey('payload order id')).toBe('payload order id');
    expect(readKey('   ')).toBeUndefined();
  });
});
