import type { StateMap } from '@flowdesk/schema';
import type { Clock } from './clock.ts';
import type { Logger } from './observability/logger.ts';
import type { AlertDispatcher } from './alerts/dispatcher.ts';
import type { FlowRegistry } from './flows/registry.ts';
import type { Runner } from './runner/runner.ts';
import type { Scheduler } from './runner/scheduler.ts';
import type { TriggerPollers } from './pollers/pollers.ts';
import type { RuntimeServices } from './runner/services.ts';
import type { Redactor } from './security/redact.ts';
import type { Secrets } from './security/secrets.ts';
import type { RateLimiter } from './security/rate-limit.ts';
import type { TrustProxy } from './security/client-address.ts';
import type { HostName } from './security/host-guard.ts';
import type { Store } from './store/types.ts';
import type { Metrics } from './observability/metrics.ts';
import type { LoadShedder } from './runner/load-shedding.ts';
import type { ConnectionVault } from './connections/vault.ts';
import type { ConnectDeps } from './connections/oauth-connect.ts';
import type { FileStore } from './files/file-store.ts';
import type { Leases } from './cluster/leases.ts';

import type { Sandbox } from './sandbox/sandbox.ts';

/** Everything the HTTP layer needs, built once by startRuntime. */
export interface RuntimeContext {
  store: Store;
  flows: FlowRegistry;
  runner: Runner;
  scheduler: Scheduler;
  /** the e-mail and poll triggers' readers */
  pollers: TriggerPollers;
  services: RuntimeServices;
  alerts: AlertDispatcher;
  clock: Clock;
  secrets: Secrets;
  redact: Redactor;
  env: Record<string, string | undefined>;
  log: Logger;
  stateMap: StateMap | undefined;
  rateLimiter: RateLimiter;
  /** failed webhook auth, per client address: junk never spends a path's bucket (issue 12, item 6) */
  authFailureLimiter: RateLimiter;
  adminToken: string | undefined;
  /** FLOWDESK_ALLOWED_HOSTS: names besides loopback the admin surface answers (with a token only) */
  allowedHosts: HostName[];
  /** FLOWDESK_TRUST_PROXY: undefined when no proxy is in front */
  trustProxy: TrustProxy | undefined;
  editorDir: string | undefined;
  metrics?: Metrics;
  /** webhooks answer 503 + Retry-After past the backlog bound (see runner/load-shedding.ts) */
  loadShedder?: LoadShedder;
  /** connections (credentials), sealed under the master key */
  connections: ConnectionVault;
  /** what the OAuth2 Connect and its callback need */
  connectDeps: ConnectDeps;
  /** files that came in with events (form uploads, e-mail attachments): files/file-store.ts says where */
  files: FileStore;
  /** FLOWDESK_PUBLIC_URL without a trailing slash: the address senders use (Twilio signs it) */
  publicUrl: string | undefined;
  /** long-lived inbound work (mailboxes, polling triggers) owned by one instance at a time: ctx.leases.own(name, work) */
  leases: Leases;
  /** runs code nodes and JSONata (QuickJS in a worker thread) */
  sandbox: Sandbox;
}
