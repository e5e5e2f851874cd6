// startRuntime: builds the store, registry, runner, scheduler and HTTP server for one data dir.
import { readFileSync, readdirSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { compilePayloadSchema } from '@flowdesk/schema';
import type { Clock } from './clock.ts';
import type { Logger } from './observability/logger.ts';
import { systemClock, ManualClock } from './clock.ts';
import { createStore } from './store/index.ts';
import type { Store } from './store/types.ts';
import type { FileLayer } from './store/lowdb/file-layer.ts';
import type { PostgresStore } from './store/postgres/index.ts';
import { FlowRegistry } from './flows/registry.ts';
import { Runner, type RunnerHooks } from './runner/runner.ts';
import { TriggerPollers } from './pollers/pollers.ts';
import type { RecordLanes } from './runner/record-lanes.ts';
import { Scheduler } from './runner/scheduler.ts';
import { createServices } from './runner/services.ts';
import { createAlertDispatcher } from './alerts/dispatcher.ts';
import { createReviewNotifier } from './reviews/notify.ts';
import { publicBase } from './reviews/links.ts';
import { loadSecrets } from './security/secrets.ts';
import { egressOnLoop, egressPolicy, egressThread, setEgressOnLoop } from './security/egress.ts';
import { alertMisplacedSecrets } from './security/stored-secrets.ts';
import { makeRedactor, type Redactor } from './security/redact.ts';
import { createRateLimiter, rateLimitOptionsFromEnv, type RateLimiterOptions } from './security/rate-limit.ts';
import { trustProxyFromEnv } from './security/client-address.ts';
import { parseAllowedHosts } from './security/host-guard.ts';
import { logUncheckedPatterns } from './security/stored-patterns.ts';
import { DEFAULT_HTTP_LIMITS, guardConnections, httpServerOptions, type ConnectionGuard, type HttpLimits } from './security/connection-limits.ts';
import { createApp } from './http/app.ts';
import { followClusterChanges } from './cluster/follow.ts';
import { clusterSettingsFromEnv } from './cluster/settings.ts';
import { leasesFor } from './cluster/leases.ts';
import { followRateShares } from './cluster/rate-shares.ts';
import { hooksHandler, HOOKS_PREFIX } from './http/hooks.ts';
import type { RuntimeContext } from './context.ts';
import { createLogger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { observabilityHooks } from './observability/hooks.ts';
import { queueDepths, retentionDaysFromEnv } from './observability/kpi-facts.ts';
import { scheduleRetention } from './observability/retention-schedule.ts';
import { alertStoredLogicProblems } from './flows/stored-logic.ts';
import { alertStateMapFileProblems, readStateMapFile, startStateMap, storedStateMap } from './flows/state-map-source.ts';
import { createLoadShedder, loadSheddingFromEnv } from './runner/load-shedding.ts';
import { watchStoreHealth } from './runner/store-health.ts';
import { closeEmailTransports, sendEmail } from './actions/email.ts';
import { loadMasterKey } from './connections/master-key.ts';
import { ConnectionVault } from './connections/vault.ts';
import { clearNotConfiguredMarks } from './connectors/not-configured.ts';
import { alsoReading, createFileStore, filesDirFromEnv } from './files/file-store.ts';
import { publicUrlFromEnv } from './http/public-url.ts';
import { Sandbox } from './sandbox/sandbox.ts';
import type { SandboxLimits } from './sandbox/limits.ts';

export { ManualClock, systemClock };
export type { Store };

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');

export interface RuntimeOptions {
  port?: number; // 0 = a free port
  host?: string;
  dataDir: string;
  flowsDir?: string;
  editorDir?: string;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  fsync?: boolean;
  databaseUrl?: string;
  log?: Logger;
  /** poll interval of the timer worker in ms (0 = no polling; call tick() yourself) */
  pollMs?: number;
  hooks?: RunnerHooks;
  /** socket limits (slow clients); tests shorten the timers */
  httpLimits?: Partial<HttpLimits>;
  /** limits of the code/JSONata sandbox (tests lower the hard timeout) */
  sandboxLimits?: Partial<SandboxLimits>;
  /** failed webhook authentications allowed per client address (default 1/s, burst 30) */
  authFailureLimit?: RateLimiterOptions;
  /** the embedded store's file operations (durability tests watch or replace them) */
  storeFiles?: FileLayer;
}

export interface Runtime {
  url: string;
  port: number;
  ctx: RuntimeContext;
  store: Store;
  clock: Clock;
  /** open sockets and what the connection limits refused */
  connections: ConnectionGuard;
  /** fires due timers and waits until every queued run has parked or ended */
  settle(): Promise<void>;
  close(): Promise<void>;
}


/** Deploys the flow files that differ from the stored flows; returns the unchanged ones, not validated again. */
async function deployFlowsDir(flows: FlowRegistry, dir: string, at: string, log: Logger): Promise<{ file: string; doc: unknown }[]> {
  const unchecked: { file: string; doc: unknown }[] = [];
  if (!existsSync(dir)) return unchecked;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'state-map.json').sort()) {
    const file = join(dir, name);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      log.error({ file, err: (e as Error).message }, `flow file ${name} is not valid JSON; not loaded`);
      continue;
    }
    const out = await flows.deploy(doc, at, { onlyIfChanged: true });
    if (!out.ok) log.error({ file, errors: out.error.errors }, `flow file ${name} is invalid; not loaded: ${out.error.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
    else if (out.changed) log.info({ file, flowId: out.flow.id, version: out.flow.version }, `deployed ${name}`);
    else if (out.unchecked) unchecked.push({ file, doc });
  }
  return unchecked;
}

/**
 * The flow files identical to their stored version, checked once the runtime serves (off a restart's
 * critical path): one this release's checks refuse keeps running as stored, and the owner reads why.
 */
function recheckFlowFiles(flows: FlowRegistry, files: { file: string; doc: unknown }[], log: Logger): void {
  for (const { file, doc } of files) {
    const res = flows.check(doc);
    if (!res.ok) log.error({ file, errors: res.error.errors }, `flow file ${basename(file)} no longer passes this release's checks; its stored version (the same document) keeps running: ${res.error.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  }
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const env = opts.env ?? process.env;
  const retentionDays = retentionDaysFromEnv(env);
  const shedding = loadSheddingFromEnv(env);
  const log: Logger = opts.log ?? createLogger({ env });
  const clock = opts.clock ?? systemClock;
  const stopWatchingEgress = egressThread().onGone((why, failed) => log.error({ failed }, `the egress worker stopped (${why}); ${failed} outbound calls it held failed as network errors and are retried on their steps' schedules`));
  const host = opts.host ?? '127.0.0.1';
  const adminToken = env.FLOWDESK_ADMIN_TOKEN || undefined;
  if (!['127.0.0.1', 'localhost', '::1'].includes(host) && !adminToken) {
    throw new Error(`HOST=${host} exposes the admin API beyond this machine: set FLOWDESK_ADMIN_TOKEN first`);
  }
  const allowedHosts = parseAllowedHosts(env.FLOWDESK_ALLOWED_HOSTS);
  if (allowedHosts.length && !adminToken) {
    throw new Error('FLOWDESK_ALLOWED_HOSTS opens the admin surface to other names: set FLOWDESK_ADMIN_TOKEN first');
  }
  const trustProxy = trustProxyFromEnv(env.FLOWDESK_TRUST_PROXY);
  egressPolicy(env); // a bad FLOWDESK_EGRESS_ALLOW stops the start, naming the entry
  setEgressOnLoop(egressOnLoop(env.FLOWDESK_EGRESS_ON_LOOP)); // a bad value stops the start, naming it
  const publicUrl = publicUrlFromEnv(env.FLOWDESK_PUBLIC_URL);
  const httpLimits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...opts.httpLimits };
  mkdirSync(opts.dataDir, { recursive: true });
  // before the store opens: on PostgreSQL a missing FLOWDESK_MASTER_KEY stops the start
  const masterKey = loadMasterKey({ env, dataDir: opts.dataDir, sharedStore: !!opts.databaseUrl });
  const fsync = opts.fsync ?? env.FLOWDESK_FSYNC !== '0';
  const cluster = clusterSettingsFromEnv(env);
  const store = await createStore({ dataDir: opts.dataDir, fsync, databaseUrl: opts.databaseUrl, log, files: opts.storeFiles, cluster });
  await store.open();
  try {
    const secrets = loadSecrets({ env, dataDir: opts.dataDir });
    const flows = new FlowRegistry(store, undefined);
    const metrics = createMetrics();
    // flows deployed, switched or rolled back, and the state map changed, through another instance
    // (PostgreSQL): followed from here on — subscribed before either is read, so no change falls between
    let flowChanged = async (_flowId: string): Promise<void> => {}; // the pollers re-arm once they exist
    const follower = followClusterChanges({
      store,
      flows,
      log,
      metrics,
      onFlowChanged: (id) => flowChanged(id),
      onStateMapChanged: async () => flows.useStateMap(await storedStateMap(store)),
    });
    await flows.load();
    const startMap = await startStateMap(store, readStateMapFile(opts.flowsDir, join(REPO_ROOT, 'flows'), log), new Date(clock.now()).toISOString(), log);
    flows.useStateMap(startMap.map);
    let raiseAlert: (a: Parameters<ReturnType<typeof createAlertDispatcher>['raise']>[0]) => Promise<unknown> = async () => undefined;
    const vault = new ConnectionVault({
      store,
      masterKey,
      clock,
      log,
      flows: () => flows.list().map((f) => f.doc),
      onBroken: async (c, cause) => {
        await raiseAlert({ flowId: cause.flowId ?? `connection:${c.id}`, nodeId: cause.nodeId, runId: cause.runId, kind: 'connection_broken', severity: 'P1', message: `connection ${c.id} (${c.app}) is broken: ${c.reason}` });
      },
      onChanged: () => clearNotConfiguredMarks(store),
      egress: egressPolicy(env),
    });
    await vault.warmUp();
    // secrets and every connection credential this process has seen, rebuilt when that set grows
    let redactVersion = -1;
    let redactNow = makeRedactor(secrets.values());
    const redact: Redactor = <T>(value: T): T => {
      if (redactVersion !== vault.version) {
        redactVersion = vault.version;
        redactNow = makeRedactor([...secrets.values(), ...vault.secretValues()]);
      }
      return redactNow(value);
    };
    await follower.start();
    logUncheckedPatterns(flows.list(), log);
    const validateSchema = (schema: unknown, value: unknown) => compilePayloadSchema(schema, { unsupportedPatterns: 'skip' }).validate(value);
    const alerts = createAlertDispatcher({ store, clock, env, log, secretValues: () => [...secrets.values(), ...vault.secretValues()], sendEmail: (m) => sendEmail(m, { store, clock, env }) });
    raiseAlert = (a) => alerts.raise(a);
    let listening = '';
    const notifyReview = createReviewNotifier({ store, clock, alerts, baseUrl: () => publicBase(env, listening) });
    // `runner` (read at scrape time, after the runner exists): lets a test see this process's work drain
    metrics.setQueueDepthSource(async () => ({ ...(await queueDepths(store)), runner: runner.queue.size }));
    // several processes on one database (PostgreSQL): what the cluster metrics and the rate shares read
    const shared = 'instances' in store ? (store as PostgresStore) : undefined;
    if (shared) metrics.setClusterSource(() => shared.instances());
    const obs = observabilityHooks({ store: () => store, metrics, log });
    const hooks: RunnerHooks = {
      async onRunFinished(run, flow) {
        await obs.onRunFinished(run, flow);
        await opts.hooks?.onRunFinished?.(run, flow);
      },
      onStep(flowId, nodeId, ms) {
        obs.onStep(flowId, nodeId, ms);
        opts.hooks?.onStep?.(flowId, nodeId, ms);
      },
      onReviewOpened: (item) => notifyReview(item),
    };
    const sandbox = new Sandbox(opts.sandboxLimits);
    const runner = new Runner({
      sandbox,
      store,
      flows,
      clock,
      secrets,
      redact,
      env,
      dataDir: opts.dataDir,
      log,
      validateSchema,
      hooks,
      lanes: 'recordLanes' in store ? (store as { recordLanes: RecordLanes }).recordLanes : undefined,
      services: (r) => createServices({ store, flows, runner: r, alerts, clock, log }),
      connections: vault,
    });
    const services = runner.services;
    const scheduler = new Scheduler(store, flows, runner, clock, log);
    scheduler.on('alert-summary', (t) => alerts.onTimer(t));
    scheduler.on('review-timeout', (t) => runner.onReviewTimeout(t));
    // the daily retention job: prunes finished runs past FLOWDESK_RETENTION_DAYS, keeps their KPI facts
    // files that come with events: on PostgreSQL in the database (every instance serves them), reading
    // too from the folder an earlier release kept them in; FLOWDESK_FILES_DIR names a shared folder instead
    const folder = createFileStore({ dir: filesDirFromEnv(env, opts.dataDir), fsync, now: () => clock.now() });
    const files = 'fileStore' in store && !env.FLOWDESK_FILES_DIR ? alsoReading((store as PostgresStore).fileStore(() => clock.now()), folder) : folder;
    // files go with their run: those of pruned runs, and of events that never became a run (an hour's grace)
    const alsoPrune = (nowMs: number) => files.prune(async (owner) => (await store.getRun(owner)) !== undefined, { nowMs, graceMs: 3_600_000 });
    await scheduleRetention({ store, scheduler, clock, log, days: retentionDays, alsoPrune });
    watchStoreHealth({ store, alerts, log, now: () => clock.now(), onWritable: () => runner.requeueStalled() });
    const { leases, shared: sharedLeases } = leasesFor(store, cluster.leaseMs);
    const pollers = new TriggerPollers({ store, flows, runner, clock, log, alerts, files, secrets, env, leases, kick: () => scheduler.wake() });
    scheduler.on('poll', (t) => pollers.onTimer(t));
    flowChanged = async (id) => {
      await pollers.arm();
      // switched on through any instance: the events held while it was paused start, each once
      // (Store.saveRunFrom) however many instances release them — also after a lost notification
      if (flows.get(id)?.active) await runner.releaseHeld(id);
    };
    const ctx: RuntimeContext = {
      leases,
      store,
      flows,
      runner,
      scheduler,
      pollers,
      services,
      alerts,
      clock,
      secrets,
      redact,
      env,
      log,
      get stateMap() {
        return flows.stateMap;
      },
      rateLimiter: createRateLimiter(rateLimitOptionsFromEnv(env)),
      authFailureLimiter: createRateLimiter({ ratePerSecond: 1, burst: 30, ...opts.authFailureLimit }),
      loadShedder: createLoadShedder({ ...shedding, backlog: () => runner.backlog }),
      metrics,
      adminToken,
      allowedHosts,
      trustProxy,
      editorDir: opts.editorDir ?? join(REPO_ROOT, 'apps/editor/dist'),
      connections: vault,
      connectDeps: { store, vault, masterKey, clock, env },
      files,
      publicUrl,
      sandbox,
    };
    const flowsDir = opts.flowsDir;
    const unchangedFiles = flowsDir ? await deployFlowsDir(flows, flowsDir, new Date(clock.now()).toISOString(), log) : [];
    await scheduler.armSchedules();
    await pollers.arm();
    await alerts.resume();
    // before the backlog starts draining (a validation pass beside the drain's peak overran a 64 MB heap
    // in test/durability/load-restart.test.ts): secrets written where they do not belong; stored flows a
    // deploy would now refuse for their JSON-Logic run on as before, and the owner hears once
    await alertMisplacedSecrets(flows.list(), { store, alerts, log, now: new Date(clock.now()).toISOString() });
    await alertStoredLogicProblems({ flows: flows.list(), stateMap: flows.stateMap, store, alerts, log, now: () => new Date(clock.now()).toISOString() });
    if (startMap.replaced && startMap.map) await alertStateMapFileProblems({ replaced: startMap.replaced, map: startMap.map, flows: flows.list(), store, log, raise: (a) => alerts.raise(a) });
    await runner.resumeAll();
    // held runs of a flow that is on (switched on by a process that died before starting them all)
    for (const f of flows.list()) if (f.active && f.doc.trigger.type === 'webhook') await runner.releaseHeld(f.id);
    await runner.resumeReviewTimeouts();

    const app = createApp(ctx);
    const hook = hooksHandler(ctx);
    const server: Server = createServer(httpServerOptions(httpLimits));
    const connections = guardConnections(server, httpLimits, { trustProxy, log, onRefused: (kind) => metrics.securityRefusal(kind) });
    server.on('request', (req, res) => {
      if (!connections.admit(req, res)) return;
      if ((req.method === 'POST' || req.method === 'OPTIONS') && req.url?.startsWith(HOOKS_PREFIX)) hook(req, res);
      else app(req, res);
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(opts.port ?? 3000, host, () => ok());
    });
    // flow files identical to their stored version are checked again once the runtime serves: only the
    // log hears of it, and a restart after a crash answers webhooks sooner
    recheckFlowFiles(flows, unchangedFiles, log);
    const pollMs = opts.pollMs ?? (clock instanceof ManualClock ? 0 : 100);
    if (pollMs > 0) scheduler.start(pollMs);
    // on a shared database, runs of a process that died and never came back are picked up by a sweep
    // (a store with one process per data dir answers it with nothing)
    const sweep = setInterval(() => void runner.resumeAll({ includeOwn: false }).catch((e: Error) => log.warn({ err: e.message }, 'resume sweep failed')), cluster.leaseMs ?? 15_000);
    sweep.unref();
    // several instances: each allows its share of the webhook and failed-auth rates, so that together
    // they allow what FLOWDESK_HOOK_RATE says (not N times it); followed as instances and traffic move
    const shares = shared && followRateShares(shared, { hooks: ctx.rateLimiter, even: [ctx.authFailureLimiter] }, cluster.leaseMs ?? 15_000, log);
    const port = (server.address() as AddressInfo).port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    listening = url;
    if (!adminToken) log.info({ host }, `admin API open without a token: listening on ${host} only`);
    return {
      url,
      port,
      ctx,
      store,
      clock,
      connections,
      async settle() {
        for (let i = 0; i < 100; i++) {
          await runner.queue.idle();
          await runner.driving;
          await runner.finishing();
          const fired = await scheduler.tick();
          if (fired === 0 && runner.queue.size === 0) return;
        }
      },
      async close() {
        follower.stop();
        scheduler.stop();
        clearInterval(sweep);
        shares?.stop();
        connections.stop();
        server.closeAllConnections();
        await new Promise<void>((ok) => server.close(() => ok()));
        await runner.queue.idle();
        await runner.driving;
        await runner.finishing();
        await pollers.close();
        await scheduler.drained(); // a pass an IDLE doorbell started during shutdown ends before the store closes
        if (!sharedLeases) await leases.close(); // the store releases its own
        await sandbox.close();
        await store.close();
        closeEmailTransports();
        stopWatchingEgress();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
