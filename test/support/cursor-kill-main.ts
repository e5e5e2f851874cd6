// A test-only entry for the e-mail cursor crash test: the clocked runtime (clocked-main.ts) whose
// store SIGKILLs the process at the moment the e-mail trigger would write a cursor at or past
// FLOWDESK_TEST_KILL_AT_UID — after the run of that message is durably created, before its cursor is.
// It prints the cursor it refused to write and the one on disk, so the test sees the window was hit.
import { resolve } from 'node:path';
import { ManualClock, startRuntime } from '../../apps/runtime/src/index.ts';

const env = process.env;
const killAt = Number(env.FLOWDESK_TEST_KILL_AT_UID);
const clock = new ManualClock(Number(env.FLOWDESK_TEST_CLOCK_MS));
const rt = await startRuntime({
  port: Number(env.PORT ?? 0),
  dataDir: resolve(env.FLOWDESK_DATA_DIR!),
  flowsDir: env.FLOWDESK_FLOWS_DIR ? resolve(env.FLOWDESK_FLOWS_DIR) : undefined,
  env,
  clock,
  pollMs: 0,
});
const store = rt.store;
const putDoc = store.putDoc.bind(store) as (c: string, doc: { id: string }) => Promise<void>;
(store as unknown as { putDoc: typeof putDoc }).putDoc = async (collection, doc) => {
  const cursor = (doc as { lastUid?: unknown }).lastUid;
  if (collection === 'settings' && doc.id.startsWith('trigger-state:') && typeof cursor === 'number' && cursor >= killAt) {
    const onDisk = (await store.getDoc('settings', doc.id)) as { lastUid?: number } | undefined;
    process.stdout.write(`KILL before cursor write: lastUid ${cursor} (on disk: ${onDisk?.lastUid})\n`, () => process.kill(process.pid, 'SIGKILL'));
    return new Promise<never>(() => {}); // never written
  }
  return putDoc(collection, doc);
};
process.on('message', (m: { id: number; advanceMs: number }) => {
  clock.advance(m.advanceMs);
  void rt.settle().then(() => process.send!({ id: m.id, now: clock.now() }));
});
console.log(`Flowdesk is running at ${rt.url} (clock ${new Date(clock.now()).toISOString()})`);
