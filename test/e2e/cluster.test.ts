// Browser end-to-end: the Cluster page shows the instances sharing one PostgreSQL database — this one
// and another (a lease holder in a process of its own) alive, the lease it holds — and, once that one
// is SIGKILLed, shows it stopped and its lease run out. On the embedded store it says there is one process.
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { startLeaseHolder } from '../support/lease-holders.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { TEST_MASTER_KEY } from '../support/runtime.ts';
import { poll, screenshot, startApp, type App } from './helpers/app.ts';

const LEASE_MS = 1_500;
let pgServer: PostgresInstance | undefined;
const apps: App[] = [];
const procs: ChildProcess[] = [];
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const a of apps) await a.close();
  await pgServer?.stop();
});

describe('the Cluster page', { timeout: 120_000 }, () => {
  it('on PostgreSQL: both instances alive and the lease holder; the other SIGKILLed: stopped, its lease run out', async () => {
    pgServer = await startPostgres();
    const db = await createDatabase(pgServer);
    const holder = await startLeaseHolder(db.url, 'trigger:jobs', LEASE_MS, procs);
    const app = await startApp({ FLOWDESK_MASTER_KEY: TEST_MASTER_KEY, FLOWDESK_LEASE_MS: String(LEASE_MS) }, { databaseUrl: db.url });
    apps.push(app);
    const { page, errors } = await app.newPage();
    await page.goto('/');
    await page.getByTestId('nav-cluster').click();
    await page.getByTestId('cluster-instances').waitFor();
    const rows = page.getByTestId('cluster-instance');
    await poll(() => rows.count()).toBe(2);
    const other = page.locator(`[data-testid="cluster-instance"][data-id^="pid${holder.pid}-"]`);
    expect(await other.getByTestId('instance-status').innerText()).toBe('alive');
    expect(await rows.filter({ hasText: 'this one' }).getByTestId('instance-status').innerText()).toBe('alive');
    // two alive: this one lets half of the default 10,000/s through
    await poll(() => page.getByTestId('cluster-hook-rate').innerText()).toContain('lets 5,000 webhooks per second through per path (bursts of 10,000)');
    // webhooks arrive here only: this instance takes 7/8 of that path's rate (a floor of 1/8 stays with the other)
    const json = { 'content-type': 'application/json' };
    const flow = { dsl: 1, id: 'lead', name: 'Lead', trigger: { type: 'webhook', path: 'lead', auth: { type: 'none' } }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
    expect((await fetch(`${app.url}/api/flows/lead`, { method: 'PUT', headers: json, body: JSON.stringify(flow) })).status).toBe(200);
    // a steady trickle: the shares follow recent requests (halved each third of the lease without new ones)
    let sending = true;
    const statuses = new Set<number>();
    const trickle = (async () => {
      for (let i = 0; sending; i++) {
        statuses.add((await fetch(`${app.url}/hooks/lead`, { method: 'POST', headers: json, body: JSON.stringify({ n: i }) })).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const leadRate = page.locator('[data-testid="cluster-path-rate"][data-path="lead"]');
      await poll(() => leadRate.innerText(), { timeout: 30_000 }).toBe('/hooks/lead: 8,750 per second (bursts of 17,500)');
      expect(await rows.filter({ hasText: 'this one' }).getByTestId('instance-hook-demand').innerText()).toMatch(/^lead \d/);
      expect(await other.getByTestId('instance-hook-demand').innerText()).toBe('—');
    } finally {
      sending = false;
      await trickle;
    }
    expect([...statuses]).toEqual([202]);
    const lease = page.locator('[data-testid="cluster-lease"][data-name="trigger:jobs"]');
    expect(await lease.getByTestId('lease-status').innerText()).toBe('held');
    await screenshot(page, 'cluster');

    holder.kill('SIGKILL');
    // the page asks again every 5 s: the killed instance turns "stopped" once its heartbeat is older than the lease
    await poll(() => other.getByTestId('instance-status').innerText(), { timeout: 30_000 }).toBe('stopped');
    await poll(() => lease.getByTestId('lease-status').innerText(), { timeout: 30_000 }).toBe('ran out');
    expect(await rows.filter({ hasText: 'this one' }).getByTestId('instance-status').innerText()).toBe('alive');
    expect(errors).toEqual([]);
  });

  it('on the embedded store: one process, nothing shared', async () => {
    const app = await startApp();
    apps.push(app);
    const { page, errors } = await app.newPage();
    await page.goto('/cluster');
    await page.getByTestId('cluster-embedded').waitFor();
    expect(await page.getByTestId('cluster-instances').count()).toBe(0);
    await page.getByTestId('cluster-no-leases').waitFor();
    expect(errors).toEqual([]);
  });
});
