// Work owned once (issue 18): a schedule fires once per slot with three runtime processes on one
// PostgreSQL. Each process runs on its own ManualClock, moved by this test over IPC: the slots are the
// injected clock's, so the assertions are exact slot times, not wall-clock gaps.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startClockedChild, type ClockedChild } from '../support/child.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { flowsDirWithDocs, tempDir } from '../support/runtime.ts';

const T0 = Date.parse('2026-03-02T09:00:30.000Z');
const SLOTS = 6;
const FIVE_MIN = 5 * 60_000;

let server: PostgresInstance | undefined;
const nodes: ClockedChild[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const n of nodes) await n.kill('SIGKILL');
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a schedule across three instances', () => {
  it('fires once per slot: one run per slot time, whichever instance claims it', async () => {
    server = await startPostgres();
    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query('CREATE DATABASE schedule_once');
    await admin.end();
    const databaseUrl = server.urlFor('schedule_once');
    const flowsDir = flowsDirWithDocs([
      {
        dsl: 1,
        id: 'every-five',
        name: 'Every five minutes',
        trigger: { type: 'schedule', cron: '*/5 * * * *', timezone: 'UTC' },
        nodes: [
          { id: 'count', type: 'compute', set: { slot: { var: 'payload.scheduledFor' } } },
          { id: 'end', type: 'end' },
        ],
        edges: [
          { from: 'trigger', to: 'count' },
          { from: 'count', to: 'end' },
        ],
      },
    ]);
    dirs.push(flowsDir);
    const envFor = (name: string) => {
      const dataDir = tempDir(`flowdesk-${name}-`);
      dirs.push(dataDir);
      return { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_DATABASE_URL: databaseUrl };
    };
    nodes.push(await startClockedChild(envFor('a'), T0)); // deploys the flow and arms its first slot
    nodes.push(...(await Promise.all(['b', 'c'].map((n) => startClockedChild(envFor(n), T0)))));

    // move every clock to each slot at once; all three race to claim the due timer
    for (let slot = 1; slot <= SLOTS; slot++) await Promise.all(nodes.map((n) => n.advance(FIVE_MIN)));
    await Promise.all(nodes.map((n) => n.settle()));

    const db = new pg.Client(databaseUrl);
    await db.connect();
    try {
      const runs = (await db.query<{ doc: { status: string; trigger: { scheduledFor: string }; vars: { slot: string } }; owner: string }>("SELECT doc, owner FROM runs WHERE flow_id = 'every-five'")).rows;
      const slots = runs.map((r) => r.doc.trigger.scheduledFor).sort();
      const expected = Array.from({ length: SLOTS }, (_, i) => new Date(Date.parse('2026-03-02T09:05:00.000Z') + i * FIVE_MIN).toISOString());
      console.log(`schedule: ${runs.length} runs for ${SLOTS} slots, claimed by ${new Set(runs.map((r) => r.owner)).size} instance(s)`);
      expect(slots).toEqual(expected);
      expect(runs.every((r) => r.doc.status === 'succeeded')).toBe(true);
      expect(runs.map((r) => r.doc.vars.slot).sort()).toEqual(expected);
      // the next slot is armed once, on the clocks' time
      const timers = (await db.query<{ id: string; due_at: Date }>("SELECT id, due_at FROM timers WHERE id LIKE 'schedule:%'")).rows;
      expect(timers.map((t) => [t.id, t.due_at.toISOString()])).toEqual([['schedule:every-five', new Date(Date.parse(expected[SLOTS - 1]!) + FIVE_MIN).toISOString()]]);
    } finally {
      await db.end();
    }
  }, 240_000);
});
