// Prometheus metrics for GET /metrics, on a registry of their own (never prom-client's global one, so
// two runtimes in one process — the tests — don't collide).
//
// Hot path: runFinished / stepFinished / webhookResponse resolve their labelled child once and cache it
// in nested Maps keyed by the label values (no string building, no label objects per call).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface QueueDepths {
  timers: number;
  deadLetters: number;
  reviews: number;
  /** runs this process has queued or is driving (its runner's backlog) */
  runner?: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  runFinished(flowId: string, status: string): void;
  stepFinished(flowId: string, nodeId: string, ms: number): void;
  /** A webhook answered; `ms` from its request's headers to the answer (undefined: not timed). */
  webhookResponse(path: string, status: number | string, ms?: number): void;
  /** A request or connection refused by a security check (host, cross_site, slow_body, …). */
  securityRefusal(kind: string): void;
  /** Read at each scrape to set flowdesk_queue_depth{queue="timers"|"dead_letters"|"reviews"|"runner"}. */
  setQueueDepthSource(fn: () => Promise<QueueDepths>): void;
  /** A change made through another instance of the cluster applied here, by topic and path (notify | reconcile). */
  clusterChange(topic: string, via: string): void;
  /** PostgreSQL: read at each scrape for flowdesk_cluster_instances{alive} and the dead instances' open runs. */
  setClusterSource(fn: () => Promise<{ alive: boolean; openRuns: number }[]>): void;
  text(): Promise<string>;
}

/** Step durations are mostly milliseconds (compute, route) to tens of seconds (slow HTTP dependencies). */
export const STEP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Webhook answers: a 202 waits for its event's fdatasync (about a millisecond on an SSD); the buckets
 * are fine up to 25 ms (a p99 read from them is interpolated within one) and catch a stalled loop or a
 * slow disk above.
 */
export const WEBHOOK_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Distinct webhook paths kept as labels; beyond this (404 probes for random paths) they count as "other". */
export const MAX_WEBHOOK_PATHS = 200;

export interface MetricsOptions {
  /** default process metrics (CPU, memory, event loop, GC); default true */
  defaultMetrics?: boolean;
}

function cached2<C>(make: (a: string, b: string) => C): (a: string, b: string) => C {
  const outer = new Map<string, Map<string, C>>();
  return (a, b) => {
    let inner = outer.get(a);
    if (inner === undefined) outer.set(a, (inner = new Map()));
    let c = inner.get(b);
    if (c === undefined) inner.set(b, (c = make(a, b)));
    return c;
  };
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const runs = new Counter({ name: 'flowdesk_runs_total', help: 'Finished runs by flow and final status', labelNames: ['flow', 'status'] as const, registers: [registry] });
  const steps = new Histogram({
    name: 'flowdesk_step_duration_seconds',
    help: 'Duration of finished steps by flow and node',
    labelNames: ['flow', 'node'] as const,
    buckets: STEP_BUCKETS,
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'flowdesk_webhook_responses_total',
    help: 'Responses to POST /hooks/:path by path and HTTP status',
    labelNames: ['path', 'status'] as const,
    registers: [registry],
  });

  const webhookTimes = new Histogram({
    name: 'flowdesk_webhook_duration_seconds',
    help: 'Time from a webhook request\'s headers to its answer, by path (a 202 includes making the event durable)',
    labelNames: ['path'] as const,
    buckets: WEBHOOK_BUCKETS,
    registers: [registry],
  });

  const refusals = new Counter({
    name: 'flowdesk_security_refusals_total',
    help: 'Requests and connections refused by a security check, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  const clusterChanges = new Counter({
    name: 'flowdesk_cluster_changes_total',
    help: 'Changes to shared configuration (flows, watched collections) applied from the database, by topic and path (notify, or the reconcile that heals a lost notification)',
    labelNames: ['topic', 'via'] as const,
    registers: [registry],
  });

  let source: (() => Promise<QueueDepths>) | undefined;
  new Gauge({
    name: 'flowdesk_queue_depth',
    help: 'Items waiting: timers (retries, waits, schedules), open dead letters, open reviews, runs in this process\'s runner',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      if (!source) return;
      try {
        const d = await source();
        this.set({ queue: 'timers' }, d.timers);
        this.set({ queue: 'dead_letters' }, d.deadLetters);
        this.set({ queue: 'reviews' }, d.reviews);
        if (d.runner !== undefined) this.set({ queue: 'runner' }, d.runner);
      } catch {
        // a failing source leaves the last values; the scrape itself must not fail
      }
    },
  });

  // what an operator alerts on with several instances: one stopped heartbeating, and what it left open
  // (one read per scrape sets both, in text())
  let cluster: (() => Promise<{ alive: boolean; openRuns: number }[]>) | undefined;
  const instances = new Gauge({
    name: 'flowdesk_cluster_instances',
    help: 'Instances sharing the database, by whether they heartbeat within the lease (PostgreSQL)',
    labelNames: ['alive'] as const,
    registers: [],
  });
  const orphaned = new Gauge({
    name: 'flowdesk_cluster_orphaned_runs',
    help: 'Runs not ended whose instance no longer heartbeats: the live instances take them over (PostgreSQL)',
    registers: [],
  });
  const readCluster = async () => {
    if (!cluster) return;
    try {
      const list = await cluster();
      instances.set({ alive: 'true' }, list.filter((i) => i.alive).length);
      instances.set({ alive: 'false' }, list.filter((i) => !i.alive).length);
      orphaned.set(list.filter((i) => !i.alive).reduce((n, i) => n + i.openRuns, 0));
    } catch {
      // the database did not answer: the last values stay, the scrape itself must not fail
    }
  };

  const runChild = cached2((flow, status) => runs.labels(flow, status));
  const stepChild = cached2((flow, node) => steps.labels(flow, node));
  const hookChild = cached2((path, status) => webhooks.labels(path, status));
  const hookTimes = new Map<string, { observe(v: number): void }>();
  const statusText = new Map<number, string>();
  const paths = new Set<string>();

  return {
    registry,
    contentType: registry.contentType,
    runFinished(flowId, status) {
      runChild(flowId, status).inc();
    },
    stepFinished(flowId, nodeId, ms) {
      stepChild(flowId, nodeId).observe(ms / 1000);
    },
    webhookResponse(path, status, ms) {
      let s: string;
      if (typeof status === 'number') {
        let t = statusText.get(status);
        if (t === undefined) statusText.set(status, (t = String(status)));
        s = t;
      } else s = status;
      if (!paths.has(path)) {
        if (paths.size >= MAX_WEBHOOK_PATHS) path = 'other';
        else paths.add(path);
      }
      hookChild(path, s).inc();
      if (ms === undefined) return;
      let t = hookTimes.get(path);
      if (t === undefined) hookTimes.set(path, (t = webhookTimes.labels(path)));
      t.observe(ms / 1000);
    },
    securityRefusal(kind) {
      refusals.labels(kind).inc();
    },
    setQueueDepthSource(fn) {
      source = fn;
    },
    clusterChange(topic, via) {
      clusterChanges.labels(topic, via).inc();
    },
    setClusterSource(fn) {
      if (!cluster) {
        registry.registerMetric(instances);
        registry.registerMetric(orphaned);
      }
      cluster = fn;
    },
    async text() {
      await readCluster();
      return registry.metrics();
    },
  };
}
