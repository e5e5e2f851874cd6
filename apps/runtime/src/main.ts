// `npm start`: the runtime on the environment's settings, serving the editor and the flows dir.
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { heapGrowingPercent } from './heap-growth.ts';
import { helperNice, keepHelpersLowered } from './helper-threads.ts';
import { idleCollectSeconds, startIdleCollection } from './idle-collection.ts';
import { startRuntime, REPO_ROOT } from './index.ts';

const env = process.env;
try {
  const growing = heapGrowingPercent(env.FLOWDESK_HEAP_GROWING_PERCENT);
  if (growing > 0) setFlagsFromString(`--heap-growing-percent=${growing}`);
  const nice = helperNice(env.FLOWDESK_HELPER_NICE);
  const idleCollectS = idleCollectSeconds(env.FLOWDESK_IDLE_COLLECT_S);
  const rt = await startRuntime({
    port: env.PORT ? Number(env.PORT) : 3000,
    host: env.HOST ?? '127.0.0.1',
    dataDir: resolve(env.FLOWDESK_DATA_DIR ?? resolve(REPO_ROOT, 'data')),
    flowsDir: resolve(env.FLOWDESK_FLOWS_DIR ?? resolve(REPO_ROOT, 'flows')),
    databaseUrl: env.FLOWDESK_DATABASE_URL || undefined,
    env,
  });
  keepHelpersLowered(nice);
  startIdleCollection(idleCollectS);
  console.log(`Flowdesk is running at ${rt.url}  (editor: ${rt.url}/, API: ${rt.url}/api, webhooks: ${rt.url}/hooks/<path>)`);
  const stop = async () => {
    await rt.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
} catch (e) {
  console.error(`Flowdesk could not start: ${(e as Error).message}`);
  process.exit(1);
}
