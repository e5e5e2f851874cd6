// The PostgreSQL change feed: every instance hears about changes to shared configuration (flows,
// watched document collections) made through any instance, within milliseconds, and heals a missed one.
//
// Writers call flowdesk_changed(topic, id) in the transaction of their change (migration 004): it bumps
// that (topic, id)'s seq in `cluster_changes` and NOTIFYs this schema's channel. Here, one dedicated
// connection LISTENs (the fast path); a reconcile every `reconcileMs` — and right after every (re)connect
// of the listener — reads `cluster_changes` and delivers each (topic, id) whose seq moved past the one
// applied (the slow path that makes a lost notification harmless). Each seq is delivered once, by
// whichever path sees it first; subscribers re-read the current state, so a late delivery is harmless.
import pg from 'pg';
import type { ChangeSource, ClusterChange, ClusterChanges } from '../types.ts';

export interface ChangeFeedOptions {
  url: string;
  /** the pool for reconcile reads */
  pool: () => pg.Pool;
  log?: { warn(msg: string): void; info?(msg: string): void };
  /** how often the table is compared with what was applied (default 5 s) */
  reconcileMs?: number;
  /** shown in pg_stat_activity.application_name of the listening connection */
  applicationName?: string;
  /** first wait before reconnecting a lost listener, doubled up to 5 s (default 100 ms) */
  retryMs?: number;
}

type Subscriber = (change: ClusterChange, via: ChangeSource) => void | Promise<void>;

export interface PostgresChangeFeed extends ClusterChanges {
  /** LISTENs, then takes the current seqs as applied (call before loading what the feed keeps fresh) */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** this schema's channel name */
  readonly channel: string;
}

/** The channel flowdesk_changed() notifies: one per schema, so stores in other schemas never cross. */
export const channelFor = (schema: string): string => `flowdesk:${schema}`.slice(0, 63);

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

export function createChangeFeed(opts: ChangeFeedOptions): PostgresChangeFeed {
  const reconcileMs = opts.reconcileMs ?? 5_000;
  const applied = new Map<string, number>(); // `${topic}\u0000${id}` → seq
  const subscribers = new Set<Subscriber>();
  const stats: Record<ChangeSource, number> = { notify: 0, reconcile: 0 };
  let channel = '';
  let listener: pg.Client | undefined;
  let stopped = false;
  let reconcileTimer: NodeJS.Timeout | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const retryMs = opts.retryMs ?? 100;
  let backoffMs = retryMs;
  let reconciling: Promise<number> | undefined;

  const keyOf = (topic: string, id: string) => `${topic}\u0000${id}`;

  async function deliver(change: ClusterChange, via: ChangeSource): Promise<void> {
    stats[via]++;
    let failed = false;
    for (const fn of subscribers) {
      try {
        await fn(change, via);
      } catch (e) {
        failed = true;
        opts.log?.warn(`cluster change ${change.topic}/${change.id}: a subscriber failed: ${(e as Error).message}`);
      }
    }
    // not applied after all: the next reconcile delivers it again
    if (failed) applied.delete(keyOf(change.topic, change.id));
  }

  /** Applies (topic, id, seq) once: true when it was new. */
  const advance = (topic: string, id: string, seq: number): boolean => {
    const k = keyOf(topic, id);
    if ((applied.get(k) ?? -1) >= seq) return false;
    applied.set(k, seq);
    return true;
  };

  function reconcileNow(): Promise<number> {
    reconciling ??= (async () => {
      const { rows } = await opts.pool().query<{ topic: string; id: string; seq: string }>('SELECT topic, id, seq FROM cluster_changes');
      let n = 0;
      for (const r of rows) {
        if (!advance(r.topic, r.id, Number(r.seq))) continue;
        n++;
        await deliver({ topic: r.topic, id: r.id }, 'reconcile');
      }
      return n;
    })().finally(() => (reconciling = undefined));
    return reconciling;
  }

  function onNotification(msg: pg.Notification): void {
    let p: { t?: unknown; i?: unknown; s?: unknown };
    try {
      p = JSON.parse(msg.payload ?? '') as typeof p;
    } catch {
      p = {};
    }
    if (typeof p.t !== 'string' || typeof p.i !== 'string' || typeof p.s !== 'number') {
      // an id too long for the payload, or a payload from something else: the table says what changed
      void reconcileNow().catch((e: Error) => opts.log?.warn(`cluster reconcile failed: ${e.message}`));
      return;
    }
    if (advance(p.t, p.i, p.s)) void deliver({ topic: p.t, id: p.i }, 'notify');
  }

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: opts.url, application_name: opts.applicationName ?? 'flowdesk-listen' });
    c.on('error', (e) => {
      opts.log?.warn(`cluster listener: ${e.message}; reconnecting`);
      lost(c);
    });
    c.on('end', () => lost(c));
    c.on('notification', onNotification);
    await c.connect();
    if (!channel) channel = channelFor((await c.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s);
    await c.query(`LISTEN ${quoteIdent(channel)}`);
    listener = c;
    backoffMs = retryMs;
  }

  function lost(c: pg.Client): void {
    if (listener !== c) return;
    listener = undefined;
    void c.end().catch(() => {});
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect()
        // whatever was notified while the listener was away is in the table
        .then(() => reconcileNow())
        .catch((e: Error) => {
          opts.log?.warn(`cluster listener: reconnect failed: ${e.message}`);
          backoffMs = Math.min(backoffMs * 2, 5_000);
          scheduleReconnect();
        });
    }, backoffMs);
    reconnectTimer.unref();
  }

  return {
    get channel() {
      return channel;
    },
    async start() {
      stopped = false;
      await connect();
      // listening first, then the baseline: a change committed after this read is notified or reconciled
      const { rows } = await opts.pool().query<{ topic: string; id: string; seq: string }>('SELECT topic, id, seq FROM cluster_changes');
      for (const r of rows) advance(r.topic, r.id, Number(r.seq));
      reconcileTimer = setInterval(() => void reconcileNow().catch((e: Error) => opts.log?.warn(`cluster reconcile failed: ${e.message}`)), reconcileMs);
      reconcileTimer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(reconcileTimer);
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const c = listener;
      listener = undefined;
      await reconciling?.catch(() => {});
      await c?.end().catch(() => {});
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    reconcile: () => reconcileNow(),
    stats: () => ({ ...stats }),
  };
}
