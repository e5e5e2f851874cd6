// The drill knows every connector as an outside dependency and fails each the vendor's way: every
// vendor app has failure modes of both kinds, and each mode, read by the app's own verdict, is what the
// drill expects of it (retried: 429/5xx; final: another class) — so a drill run checks real behaviour.
import { APP_SPECS } from '@flowdesk/schema';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_APPS } from './index.ts';
import type { VendorAnswer } from './define.ts';

const NOW = Date.parse('2026-03-02T09:00:00.000Z');

describe('connector failure modes', () => {
  const vendors = Object.values(CONNECTOR_APPS).filter((a) => a.app.id !== 'http');

  it('every app spec has a runtime half, and every vendor app fails both ways', () => {
    expect(Object.keys(CONNECTOR_APPS).sort()).toEqual(APP_SPECS.map((a) => a.id).sort());
    for (const app of vendors) {
      const kinds = new Set(app.failureModes.map((m) => m.expect));
      expect([...kinds].sort(), app.app.id).toEqual(['final', 'retried']);
    }
  });

  it("each mode's answer, read by the app's verdict, is retried or final as the drill expects", () => {
    for (const app of vendors) {
      for (const m of app.failureModes) {
        const text = typeof m.body === 'string' ? m.body : JSON.stringify(m.body);
        const answer: VendorAnswer = { status: m.status, headers: { 'content-type': typeof m.body === 'string' ? 'text/plain' : 'application/json', ...(m.headers ?? {}) }, text, json: typeof m.body === 'string' ? undefined : m.body };
        const v = app.verdict(answer, NOW);
        const where = `${app.app.id}:${m.name}`;
        expect(v.ok, where).toBe(false);
        if (v.ok) continue;
        if (m.expect === 'retried') expect(['429', '5xx', 'timeout', 'network'], where).toContain(v.errorClass);
        else expect(['429', '5xx', 'timeout', 'network'], where).not.toContain(v.errorClass);
        expect(v.message.length, where).toBeGreaterThan(0);
      }
    }
  });
});
