import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory/index.ts';
import { releaseLease, stateFor, takeLease } from './trigger-state.ts';

describe('the read lease', () => {
  it('is held by one instance until it ends or is released', async () => {
    const store = createMemoryStore();
    await store.open();
    expect(await takeLease(store, 'inbox', 'a', 1_000, 60_000)).toBe(true);
    expect(await takeLease(store, 'inbox', 'b', 2_000, 60_000)).toBe(false);
    expect(await takeLease(store, 'inbox', 'a', 3_000, 60_000)).toBe(true); // renewed by its holder
    expect(await takeLease(store, 'other', 'b', 3_000, 60_000)).toBe(true); // per flow
    expect(await takeLease(store, 'inbox', 'b', 62_999, 60_000)).toBe(false);
    expect(await takeLease(store, 'inbox', 'b', 63_001, 60_000)).toBe(true); // a holder that died: taken after the lease
    await releaseLease(store, 'inbox', 'a'); // not the holder any more: no effect
    expect(await takeLease(store, 'inbox', 'a', 63_002, 60_000)).toBe(false);
    await releaseLease(store, 'inbox', 'b');
    expect(await takeLease(store, 'inbox', 'a', 63_003, 60_000)).toBe(true);
  });
});

describe('the trigger state', () => {
  it('is kept for the same source and started afresh for another (a changed mailbox or URL)', async () => {
    const store = createMemoryStore();
    await store.open();
    const first = await stateFor(store, 'f', 'json https://a.example/x', 1_000);
    expect(first).toEqual({ id: 'trigger-state:f', flowId: 'f', source: 'json https://a.example/x', since: 1_000, failures: 0 });
    await store.putDoc('settings', { ...first, seen: { k: 1 } } as never);
    expect((await stateFor(store, 'f', 'json https://a.example/x', 5_000)).seen).toEqual({ k: 1 });
    expect(await stateFor(store, 'f', 'json https://b.example/x', 9_000)).toEqual({ id: 'trigger-state:f', flowId: 'f', source: 'json https://b.example/x', since: 9_000, failures: 0 });
  });
});
