import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory/index.ts';
import { stateFor } from './trigger-state.ts';

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
