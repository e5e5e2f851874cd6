// The embedded store's leases (one process owns everything) and the owner loop every implementation shares.
import { describe, expect, it } from 'vitest';
import { createLocalLeases, type Lease } from './leases.ts';

describe('local leases', () => {
  it('acquire gives the lease held here; a release ends it and the next holder gets the next token', async () => {
    const leases = createLocalLeases({ leaseMs: 300 });
    const a = (await leases.acquire('poll:x'))!;
    expect(a.token).toBe(1);
    expect(await leases.acquire('poll:x')).toBe(a);
    const reasons: string[] = [];
    a.onLost((r) => reasons.push(r));
    await a.release();
    await a.release(); // twice is once
    expect(reasons).toEqual(['released']);
    // a listener added after the loss hears it at once
    a.onLost((r) => reasons.push(`late ${r}`));
    expect(reasons).toEqual(['released', 'late released']);
    expect((await leases.acquire('poll:x'))!.token).toBe(2);
  });

  it('list() shows the leases held here, by name, and not one given up', async () => {
    const leases = createLocalLeases({ holder: 'here' });
    expect(await leases.list()).toEqual([]);
    const b = (await leases.acquire('poll:b'))!;
    await leases.acquire('imap:a');
    expect((await leases.list()).map(({ name, holder, token, held }) => ({ name, holder, token, held }))).toEqual([
      { name: 'imap:a', holder: 'here', token: 1, held: true },
      { name: 'poll:b', holder: 'here', token: 1, held: true },
    ]);
    await b.release();
    expect((await leases.list()).map((l) => l.name)).toEqual(['imap:a']);
  });

  it('own() starts the work once, stops it on stop(), and a work that throws gives the lease back', async () => {
    const leases = createLocalLeases({ leaseMs: 60 });
    const log: string[] = [];
    const owner = leases.own('imap:inbox', (l: Lease) => {
      log.push(`start ${l.token}`);
      return () => void log.push(`stop ${l.token}`);
    });
    for (let i = 0; i < 100 && !owner.current; i++) await new Promise((r) => setTimeout(r, 5));
    expect(owner.current?.token).toBe(1);
    await new Promise((r) => setTimeout(r, 100)); // several retry periods: still one start
    expect(log).toEqual(['start 1']);
    await owner.stop();
    expect(log).toEqual(['start 1', 'stop 1']);
    expect(owner.current).toBeUndefined();

    let tries = 0;
    const broken = leases.own('poll:broken', () => {
      tries++;
      throw new Error('cannot connect');
    });
    await new Promise((r) => setTimeout(r, 120));
    await broken.stop();
    expect(tries).toBeGreaterThanOrEqual(2); // retried on the period
    expect((await leases.acquire('poll:broken'))!.lost).toBe(false); // given back each time
    await leases.close();
  });
});
