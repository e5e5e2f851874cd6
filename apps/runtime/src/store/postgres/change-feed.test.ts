// The change feed on a real PostgreSQL: what one store instance changes, another hears — by NOTIFY, or by
// the reconcile when the notification never reached it (listener connection killed, notification lost).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Flow } from '@flowdesk/schema';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import type { ChangeSource, ClusterChange } from '../types.ts';
import { createSchema } from './harness.ts';
import { createPostgresStore, type PostgresStore } from './index.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const flow = (id: string): Flow =>
  ({
    dsl: 1,
    id,
    name: id,
    trigger: { type: 'manual' },
    nodes: [{ id: 'end', type: 'end' }],
    edges: [{ from: 'trigger', to: 'end' }],
  }) as unknown as Flow;

/** Collects what a store's feed delivers; `next(pred)` waits (≤ 10 s) for a matching delivery. */
function collect(store: PostgresStore) {
  const got: { change: ClusterChange; via: ChangeSource }[] = [];
  store.changes.subscribe((change, via) => void got.push({ change, via }));
  return {
    got,
    async next(pred: (e: { change: ClusterChange; via: ChangeSource }) => boolean, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const hit = got.find(pred);
        if (hit) return hit;
        if (Date.now() > until) throw new Error(`no matching change within ${timeoutMs} ms; got ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe('postgres change feed', () => {
  const open: PostgresStore[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await drop?.();
  });
  const stores = async (n: number, reconcileMs?: number, listenRetryMs?: number) => {
    const schema = await createSchema(server);
    drop = schema.drop;
    const out: PostgresStore[] = [];
    for (let i = 0; i < n; i++) {
      const s = createPostgresStore({ url: schema.url, reconcileMs, listenRetryMs });
      await s.open();
      open.push(s);
      out.push(s);
    }
    return { url: schema.url, list: out };
  };

  it('deploys, active flags and watched documents reach the other instance by notification; unwatched collections stay quiet', async () => {
    const { list: [a, b] } = await stores(2, 60_000);
    const seen = collect(b);
    await a.putFlow(flow('f1'), '2026-01-01T00:00:00.000Z');
    await seen.next((e) => e.change.topic === 'flows' && e.change.id === 'f1' && e.via === 'notify');
    await a.setFlowActive('f1', false);
    await seen.next((e) => seen.got.filter((x) => x.change.id === 'f1').length === 2 && e.change.id === 'f1');
    await a.putDoc('settings', { id: 'kpi-baseline', weeklyManualHours: 9 });
    await seen.next((e) => e.change.topic === 'docs:settings' && e.change.id === 'kpi-baseline');
    await a.updateDoc('settings', 'x', () => ({ id: 'x' }));
    await seen.next((e) => e.change.topic === 'docs:settings' && e.change.id === 'x');
    await a.deleteDoc('settings', 'x');
    await a.putDoc('tasks', { id: 't1' });
    await a.putFlow(flow('marker'), '2026-01-01T00:00:00.000Z');
    await seen.next((e) => e.change.id === 'marker');
    // tasks are not watched; x was announced twice (written, deleted)
    expect(seen.got.some((e) => e.change.topic === 'docs:tasks')).toBe(false);
    expect(seen.got.filter((e) => e.change.id === 'x')).toHaveLength(2);
    // a change the instance made itself is delivered to it as well (its caches read back the same state)
    expect(a.changes.stats().notify).toBeGreaterThan(0);
    // setting an unknown flow's flag changes nothing and announces nothing
    const n = seen.got.length;
    await a.setFlowActive('nope', true);
    await a.putFlow(flow('marker2'), '2026-01-01T00:00:00.000Z');
    await seen.next((e) => e.change.id === 'marker2');
    expect(seen.got.slice(n).map((e) => e.change.id)).toEqual(['marker2']);
  });

  it('a notification lost while the listener was disconnected arrives by the reconcile after it reconnects', async () => {
    // the listener comes back after 1.5 s: the deploy below surely happens while it is away
    const { url, list: [a, b] } = await stores(2, 60_000, 1_500);
    const seen = collect(b);
    const admin = new pg.Client(url);
    await admin.connect();
    try {
      // B's listening connection dies; the deploy happens while it is gone
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [`flowdesk-listen ${b.instanceId}`.slice(0, 63)]);
      expect(killed.rowCount).toBe(1);
      await a.putFlow(flow('while-away'), '2026-01-01T00:00:00.000Z');
      const e = await seen.next((x) => x.change.id === 'while-away');
      expect(e.via).toBe('reconcile');
    } finally {
      await admin.end();
    }
  });

  it('a change whose notification never went out is delivered by the periodic reconcile', async () => {
    const { url, list: [, b] } = await stores(2, 300);
    const seen = collect(b);
    const admin = new pg.Client(url);
    await admin.connect();
    try {
      // the change as flowdesk_changed() records it, without the NOTIFY: a notification lost for good
      await admin.query("INSERT INTO cluster_changes (topic, id, seq) VALUES ('flows', 'silent', nextval('cluster_change_seq'))");
      const e = await seen.next((x) => x.change.id === 'silent');
      expect(e.via).toBe('reconcile');
      expect(b.changes.stats().reconcile).toBe(1);
      // delivered once: later reconciles find nothing new
      await new Promise((r) => setTimeout(r, 900));
      expect(seen.got.filter((x) => x.change.id === 'silent')).toHaveLength(1);
    } finally {
      await admin.end();
    }
  });

  it('a subscriber that fails gets the change again from the next reconcile', async () => {
    const { list: [a, b] } = await stores(2, 300);
    let failures = 1;
    const applied: ChangeSource[] = [];
    b.changes.subscribe((c, via) => {
      if (c.id !== 'flaky') return;
      if (failures-- > 0) throw new Error('database hiccup');
      applied.push(via);
    });
    await a.putFlow(flow('flaky'), '2026-01-01T00:00:00.000Z');
    const until = Date.now() + 10_000;
    while (applied.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(applied).toEqual(['reconcile']);
  });

  it('stores in other schemas of the same database never hear each other', async () => {
    const one = await stores(1, 60_000);
    const other = createPostgresStore({ url: (await createSchema(server)).url, reconcileMs: 60_000 });
    await other.open();
    open.push(other);
    const seen = collect(other);
    await one.list[0]!.putFlow(flow('elsewhere'), '2026-01-01T00:00:00.000Z');
    await other.putFlow(flow('here'), '2026-01-01T00:00:00.000Z');
    await seen.next((e) => e.change.id === 'here');
    expect(seen.got.map((e) => e.change.id)).toEqual(['here']);
  });
});
