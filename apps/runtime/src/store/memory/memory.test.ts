import { runStoreContract } from '../store.contract.ts';
import { createMemoryStore, newMemoryState } from './index.ts';

runStoreContract('memory', async () => {
  const state = newMemoryState();
  let current = createMemoryStore(state);
  await current.open();
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = createMemoryStore(state);
      await current.open();
      return current;
    },
    cleanup: async () => {
      await current.close();
    },
  };
});
