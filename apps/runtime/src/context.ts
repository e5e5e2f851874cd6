import type { StateMap } from '@flowdesk/schema';
import type { Clock, Logger } from './actions/types.ts';
import type { AlertDispatcher } from './alerts/dispatcher.ts';
import type { FlowRegistry } from './flows/registry.ts';
import type { Runner } from './runner/runner.ts';
import type { Scheduler } from './runner/scheduler.ts';
import type { createServices } from './runner/services.ts';
import type { Redactor } from './security/redact.ts';
import type { Secrets } from './security/secrets.ts';
import type { RateLimiter } from './security/rate-limit.ts';
import type { Store } from './store/types.ts';
import type { Metrics } from './observability/metrics.ts';

/** Everything the HTTP layer needs, built once by startRuntime. */
export interface RuntimeContext {
  store: Store;
  flows: FlowRegistry;
  runner: Runner;
  scheduler: Scheduler;
  services: ReturnType<typeof createServices>;
  alerts: AlertDispatcher;
  clock: Clock;
  secrets: Secrets;
  redact: Redactor;
  env: Record<string, string | undefined>;
  log: Logger;
  stateMap: StateMap | undefined;
  rateLimiter: RateLimiter;
  adminToken: string | undefined;
  editorDir: string | undefined;
  metrics?: Metrics;
}
