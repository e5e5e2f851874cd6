import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler.ts';
import type { Store } from '../store/types.ts';
import type { FlowRegistry } from '../flows/registry.ts';
import type { Runner } from './runner.ts';

/** A store whose timer claims fail as a closed store's do, counting the calls. */
function closingStore() {
  const calls = { claims: 0 };
  let release: () => void = () => {};
  const gate = new Promise<void>((ok) => (release = ok));
  const store = {
    async claimDueTimers() {
      calls.claims++;
      await gate;
      throw new Error('store is not open (closed)');
    },
  } as unknown as Store;
  return { store, calls, release };
}

function scheduler(store: Store, errors: string[]) {
  const log = { info() {}, warn() {}, error: (o: object | string) => errors.push(JSON.stringify(o)) };
  return new Scheduler(store, {} as FlowRegistry, {} as Runner, { now: () => 0 }, log);
}

describe('Scheduler shutdown', () => {
  it('a pass woken from outside that fails is logged, and drained waits for it', async () => {
    const { store, calls, release } = closingStore();
    const errors: string[] = [];
    const s = scheduler(store, errors);
    s.wake();
    s.stop();
    let drained = false;
    const d = s.drained().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false); // the pass under way is still waiting on the store
    release();
    await d;
    expect(calls.claims).toBe(1);
    expect(errors.join('\n')).toContain('store is not open');
  });

  it('once stopped, a doorbell wakes no pass: the store is not touched', async () => {
    const { store, calls } = closingStore();
    const s = scheduler(store, []);
    s.stop();
    s.wake();
    await s.drained();
    expect(calls.claims).toBe(0);
  });
});
