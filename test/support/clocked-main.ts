// A test-only entry: the runtime on a ManualClock (FLOWDESK_TEST_CLOCK_MS) that the parent test moves
// over IPC — `{id, advanceMs}` → the clock moves, due timers fire, runs park or end → `{id, now}`.
// Crash tests SIGKILL it and restart it at a later clock time: due times are then exact, not wall-clock gaps.
import { resolve } from 'node:path';
import { ManualClock, startRuntime } from '../../apps/runtime/src/index.ts';

const env = process.env;
const clock = new ManualClock(Number(env.FLOWDESK_TEST_CLOCK_MS));
const rt = await startRuntime({
  port: Number(env.PORT ?? 0),
  dataDir: resolve(env.FLOWDESK_DATA_DIR!),
  flowsDir: env.FLOWDESK_FLOWS_DIR ? resolve(env.FLOWDESK_FLOWS_DIR) : undefined,
  databaseUrl: env.FLOWDESK_DATABASE_URL || undefined,
  env,
  clock,
  pollMs: 0,
});
process.on('message', (m: { id: number; advanceMs: number }) => {
  clock.advance(m.advanceMs);
  void rt.settle().then(() => process.send!({ id: m.id, now: clock.now() }));
});
console.log(`Flowdesk is running at ${rt.url} (clock ${new Date(clock.now()).toISOString()})`);
