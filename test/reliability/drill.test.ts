// npm run drill: the lead blueprint passes; a critical flow whose action has neither retry nor
// error port fails, naming the node.
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from '../support/runtime.ts';

const dir = tempDir('flowdesk-drill-test-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// each drill starts one runtime per fault and waits out real 1 s action timeouts: ~30 s of mostly
// waiting on an idle machine, several times that when the 2 cores are shared
const DRILL_BUDGET_MS = 300_000;
const drill = (arg: string) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'apps/runtime/src/cli/drill.ts'), arg], { cwd: REPO, encoding: 'utf8', timeout: DRILL_BUDGET_MS });

describe('failure drill', { timeout: DRILL_BUDGET_MS + 20_000 }, () => {
  it('on the lead blueprint prints its report and exits 0', () => {
    const r = drill('lead-qualification');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('failure drill — lead-qualification (critical)');
    for (const fault of ['500', '429', 'timeout', 'reset']) expect(r.stdout).toMatch(new RegExp(`^${fault}\\s+high-fit`, 'm'));
    expect(r.stdout).toMatch(/fast-response×4/); // retried under 429/timeout/reset
    // the Slack step is an outside dependency, failed Slack's way: ratelimited retried, channel_not_found final
    expect(r.stdout).toContain('outside dependencies: fast-response (email.send), notify-slack (slack.postMessage)');
    expect(r.stdout).toMatch(/^slack:ratelimited\s+high-fit.*notify-slack×4/m);
    expect(r.stdout).toMatch(/^slack:channel_not_found\s+high-fit.*notify-slack×1.*notify-slack → error port → qualified/m);
    expect(r.stdout).not.toContain('WRONG');
    expect(r.stdout).toContain('OK: no event');
  });

  it('exits non-zero on a critical flow whose action has neither retry nor error port, naming the node', () => {
    const file = join(dir, 'fragile.json');
    writeFileSync(
      file,
      JSON.stringify({
        dsl: 1, id: 'fragile', name: 'Fragile', critical: true,
        trigger: { type: 'webhook', path: 'fragile', auth: { type: 'none' } },
        nodes: [
          { id: 'charge-card', type: 'action', action: 'http.request', retry: { delays: [] }, params: { method: 'POST', url: 'https://payments.example/charge' } },
          { id: 'end', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'charge-card' }, { from: 'charge-card', to: 'end' }],
        samples: [{ name: 'one', payload: { amount: 10 } }],
      }),
    );
    const r = drill(file);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('RISK fragile/charge-card');
    expect(r.stdout).toMatch(/FAIL: critical flow fragile can lose an event \(charge-card\)/);
  });

  it('fails a Stripe invoice step the way Stripe does: a 402 card_error is final (to the error port), the rate limiter retried', () => {
    const file = join(dir, 'billing.json');
    writeFileSync(
      file,
      JSON.stringify({
        dsl: 1, id: 'billing', name: 'Billing', critical: true,
        trigger: { type: 'webhook', path: 'billing', auth: { type: 'none' } },
        nodes: [
          { id: 'invoice', type: 'action', action: 'stripe.createInvoice', params: { connection: 'stripe', customer: 'cus_Drill', currency: 'eur', lines: [{ description: 'Audit', unitAmount: 1000 }] } },
          { id: 'billed', type: 'end' },
          { id: 'bill-by-hand', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'invoice' }, { from: 'invoice', port: 'ok', to: 'billed' }, { from: 'invoice', port: 'error', to: 'bill-by-hand' }],
        samples: [{ name: 'one', payload: {} }],
      }),
    );
    const r = drill(file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('outside dependencies: invoice (stripe.createInvoice)');
    expect(r.stdout).toMatch(/^stripe:card_declined\s+one.*invoice×1.*invoice → error port → bill-by-hand/m);
    expect(r.stdout).toMatch(/^stripe:idempotency_error\s+one.*invoice×1/m);
    expect(r.stdout).toMatch(/^stripe:rate_limited\s+one.*invoice×4/m);
    expect(r.stdout).not.toContain('WRONG');
  });

  it("fails a HubSpot step HubSpot's way: the burst limit's 429 (with its X-HubSpot-RateLimit-* headers) retried, a validation error final", () => {
    const file = join(dir, 'crm.json');
    writeFileSync(
      file,
      JSON.stringify({
        dsl: 1, id: 'crm', name: 'CRM', critical: true,
        trigger: { type: 'webhook', path: 'crm', auth: { type: 'none' } },
        nodes: [
          { id: 'contact', type: 'action', action: 'hubspot.upsertContact', params: { connection: 'hubspot', email: 'ada@example.com' } },
          { id: 'done', type: 'end' },
          { id: 'by-hand', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'contact' }, { from: 'contact', port: 'ok', to: 'done' }, { from: 'contact', port: 'error', to: 'by-hand' }],
        samples: [{ name: 'one', payload: {} }],
      }),
    );
    const r = drill(file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('outside dependencies: contact (hubspot.upsertContact)');
    expect(r.stdout).toMatch(/^hubspot:ten_secondly_rolling\s+one.*contact×4/m);
    expect(r.stdout).toMatch(/^hubspot:validation_error\s+one.*contact×1.*contact → error port → by-hand/m);
    expect(r.stdout).not.toContain('WRONG');
  });
});
