// Work owned once (issue 18): three processes want one lease (an IMAP mailbox, a polling trigger); one
// holds it. SIGKILLed, it renews no more, and exactly one of the others takes the work over — after its
// lease ran out (never two holders at once) and within the lease length plus a renewal period.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { REPO } from '../support/runtime.ts';
import { waitFor } from '../support/wait.ts';

const LEASE_MS = 2_000;

interface HolderEvent {
  event: 'ready' | 'acquired' | 'stopped';
  token?: number;
  pid: number;
  at: number;
}

let server: PostgresInstance | undefined;
const procs: ChildProcess[] = [];
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await server?.stop();
});

function startHolder(url: string, events: HolderEvent[]): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/support/lease-holder.ts')], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', FLOWDESK_DATABASE_URL: url, FLOWDESK_LEASE_MS: String(LEASE_MS), LEASE_NAME: 'imap:inbox' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let buf = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((ok, fail) => {
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const e = JSON.parse(buf.slice(0, i)) as HolderEvent;
        buf = buf.slice(i + 1);
        events.push(e);
        if (e.event === 'ready') ok(proc);
      }
    });
    proc.once('exit', (code) => fail(new Error(`lease holder exited with ${code}: ${err}`)));
  });
}

describe('a lease across processes', () => {
  it('its holder SIGKILLed, exactly one other process takes the work over after the lease ran out', async () => {
    server = await startPostgres();
    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query('CREATE DATABASE leases');
    await admin.end();
    const url = server.urlFor('leases');

    const events: HolderEvent[] = [];
    const holders = await Promise.all([0, 1, 2].map(() => startHolder(url, events)));
    const first = await waitFor('someone holds the lease', () => events.find((e) => e.event === 'acquired'));
    expect(first.token).toBe(1);
    // it stays with its holder while that one lives (three renewal periods and more)
    await new Promise((r) => setTimeout(r, LEASE_MS * 1.5));
    expect(events.filter((e) => e.event === 'acquired')).toHaveLength(1);

    const victim = holders.find((p) => p.pid === first.pid)!;
    await new Promise<void>((ok) => {
      victim.once('exit', () => ok());
      victim.kill('SIGKILL');
    });
    const killedAt = Date.now();
    const next = await waitFor('another process takes the lease over', () => events.find((e) => e.event === 'acquired' && e.pid !== first.pid));
    const takeoverMs = next.at - killedAt;
    console.log(`lease takeover after SIGKILL: ${takeoverMs} ms (lease ${LEASE_MS} ms)`);
    expect(next.token).toBe(2);
    // not before the killed holder's last renewal ran out (it renews every third of the lease)…
    expect(takeoverMs).toBeGreaterThanOrEqual(LEASE_MS / 2);
    // …and within the lease plus a retry period (generous: a busy machine delays timers)
    expect(takeoverMs).toBeLessThan(LEASE_MS * 3);
    // exactly one taker, and it keeps the lease
    await new Promise((r) => setTimeout(r, LEASE_MS));
    expect(events.filter((e) => e.event === 'acquired').map((e) => e.token)).toEqual([1, 2]);
    expect(events.some((e) => e.event === 'stopped')).toBe(false);
  }, 120_000);
});
