// The contract against the test-only memory store, the reference semantics other units test with. It
// holds nothing across a process, so the durability cases are not run for it (`durable: false`): a
// "reopen" over the same objects would pass them by construction. Its harness never reopens.
import { runStoreContract } from '../store.contract.ts';
import { createMemoryStore } from './index.ts';

runStoreContract(
  'memory',
  async () => {
    const store = createMemoryStore();
    await store.open();
    return {
      store,
      reopen: () => Promise.reject(new Error('the memory store is not durable: the contract runs it with durable: false')),
      cleanup: () => store.close(),
    };
  },
  { durable: false },
);
