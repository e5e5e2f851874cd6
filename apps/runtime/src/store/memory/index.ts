// An in-memory Store: the reference semantics of the contract, for unit tests of other parts.
// Not durable: `createMemoryStore(state)` over the same `state` object simulates a reopen.
import type { EntityRecord, Flow, RejectedEvent, Run } from '@flowdesk/schema';
import { isTerminal } from '@flowdesk/schema';
import { createLocalExclusive } from '../exclusive.ts';
import {
  byEntityThenState,
  type RecordCount,
  StoreConflictError,
  type CreateRunResult,
  type DedupeClaim,
  type DocCollection,
  type DocCollections,
  type OpenRunsPage,
  type RunQuery,
  type Store,
  type StoredFlow,
  type Timer,
  type TransitionInput,
} from '../types.ts';

export interface MemoryState {
  flows: Map<string, StoredFlow[]>;
  runs: Map<string, Run>;
  claims: Map<string, { runId: string; expiresAt: string }>;
  rejected: RejectedEvent[];
  records: Map<string, EntityRecord>;
  timers: Map<string, Timer>;
  docs: Map<string, Map<string, unknown>>;
  seq: number;
}

export const newMemoryState = (): MemoryState => ({
  flows: new Map(),
  runs: new Map(),
  claims: new Map(),
  rejected: [],
  records: new Map(),
  timers: new Map(),
  docs: new Map(),
  seq: 0,
});

const copy = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
const newestFirst = (a: Run, b: Run) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export function createMemoryStore(s: MemoryState = newMemoryState()): Store {
  const docs = (c: DocCollection) => {
    let m = s.docs.get(c);
    if (!m) s.docs.set(c, (m = new Map()));
    return m;
  };
  const exclusive = createLocalExclusive();
  return {
    async open() {},
    async close() {},
    health: () => ({ ok: true }),
    onHealthChange() {},
    async putFlow(doc: Flow, at: string) {
      const versions = s.flows.get(doc.id) ?? [];
      const version = versions.length + 1;
      const sf: StoredFlow = { id: doc.id, version, active: doc.active !== false, doc: { ...copy(doc), version }, deployedAt: at };
      versions.push(sf);
      s.flows.set(doc.id, versions);
      return copy(sf);
    },
    async getFlow(id, version) {
      const v = s.flows.get(id);
      return copy(version === undefined ? v?.[v.length - 1] : v?.find((f) => f.version === version));
    },
    async listFlows() {
      return [...s.flows.values()].map((v) => copy(v[v.length - 1]));
    },
    async listFlowVersions(id) {
      return copy(s.flows.get(id) ?? []);
    },
    async setFlowActive(id, active, hold = false) {
      const v = s.flows.get(id);
      const f = v?.[v.length - 1];
      if (!f) return;
      f.active = active;
      if (hold && !active) f.hold = true;
      else delete f.hold;
    },
    async createRun(run: Run, dedupe?: DedupeClaim): Promise<CreateRunResult> {
      if (dedupe) {
        const k = `${dedupe.flowId}\u0000${dedupe.key}`;
        const c = s.claims.get(k);
        if (c && c.expiresAt > dedupe.now && s.runs.has(c.runId)) return { run: copy(s.runs.get(c.runId)!), duplicate: true };
        s.claims.set(k, { runId: run.id, expiresAt: dedupe.expiresAt });
      }
      s.runs.set(run.id, copy(run));
      return { run: copy(run), duplicate: false };
    },
    async saveRun(run) {
      s.runs.set(run.id, copy(run));
    },
    async saveRunFrom(run, from) {
      if (s.runs.get(run.id)?.status !== from) return false;
      s.runs.set(run.id, copy(run));
      return true;
    },
    async getRun(id) {
      return copy(s.runs.get(id));
    },
    async listRuns(q: RunQuery) {
      let list = [...s.runs.values()].sort(newestFirst);
      if (q.before) {
        const b = s.runs.get(q.before);
        list = b ? list.filter((r) => newestFirst(b, r) < 0) : [];
      }
      const rec = q.record;
      list = list.filter(
        (r) =>
          (!q.flowId || r.flowId === q.flowId) &&
          (!q.status || r.status === q.status) &&
          (q.key === undefined || r.idempotencyKey === q.key) &&
          (q.from === undefined || Date.parse(r.createdAt) >= Date.parse(q.from)) &&
          (q.to === undefined || Date.parse(r.createdAt) < Date.parse(q.to)) &&
          (q.endedFrom === undefined || (r.endedAt !== undefined && isTerminal(r.status) && Date.parse(r.endedAt) >= Date.parse(q.endedFrom))) &&
          (!rec || (r.record !== undefined && (`${r.record.entity}:${r.record.key}` === rec || r.record.key === rec))),
      );
      return copy(list.slice(0, q.limit ?? 50));
    },
    async claimResumableRuns(o = {}) {
      if (o.includeOwn === false) return []; // one process: every run is this instance's own
      let open = [...s.runs.values()].filter((r) => ['queued', 'running', 'waiting'].includes(r.status)).sort((a, b) => newestFirst(b, a));
      const a = o.after === undefined ? undefined : s.runs.get(o.after);
      if (a) open = open.filter((r) => newestFirst(r, a) < 0);
      return copy(open.slice(0, o.limit ?? Infinity));
    },
    async listOpenRuns(page?: OpenRunsPage) {
      let open = [...s.runs.values()].filter((r) => !isTerminal(r.status)).sort((a, b) => newestFirst(b, a));
      if (page) {
        const a = page.after === undefined ? undefined : s.runs.get(page.after);
        if (a) open = open.filter((r) => newestFirst(r, a) < 0);
        open = open.slice(0, page.limit);
      }
      return copy(open);
    },
    async listOpenRunsOfRecord(entity, key) {
      return copy(
        [...s.runs.values()].filter((r) => !isTerminal(r.status) && r.record?.entity === entity && r.record.key === key).sort((a, b) => newestFirst(b, a)),
      );
    },
    async pruneRuns(before) {
      let n = 0;
      for (const [id, r] of s.runs) if (isTerminal(r.status) && r.endedAt !== undefined && r.endedAt < before) (s.runs.delete(id), n++);
      return n;
    },
    async countRuns() {
      return s.runs.size;
    },
    async addRejected(e) {
      s.rejected.push(copy(e));
    },
    async listRejected(q) {
      return copy(
        s.rejected
          .filter((e) => (!q.flowId || e.flowId === q.flowId) && (!q.since || e.at >= q.since))
          .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
          .slice(0, q.limit ?? 100),
      );
    },
    async getRecord(entity, key) {
      return copy(s.records.get(`${entity}\u0000${key}`));
    },
    async listRecords(q) {
      return copy([...s.records.values()].filter((r) => (!q.entity || r.entity === q.entity) && (!q.state || r.state === q.state)));
    },
    async countRecords() {
      const by = new Map<string, RecordCount>();
      for (const r of s.records.values()) {
        const k = `${r.entity}\u0000${r.state}`;
        const c = by.get(k) ?? { entity: r.entity, state: r.state, count: 0 };
        c.count++;
        by.set(k, c);
      }
      return [...by.values()].sort(byEntityThenState);
    },
    async transitionRecord(t: TransitionInput) {
      const k = `${t.entity}\u0000${t.key}`;
      const cur = s.records.get(k);
      const curState = cur?.state ?? null;
      if (t.expectFrom !== undefined && t.expectFrom !== curState)
        throw new StoreConflictError(`record ${t.entity}:${t.key} is in state ${curState ?? '(none)'}, expected ${t.expectFrom ?? '(none)'}`, curState);
      const tr = { id: `tr-${++s.seq}`, from: curState, to: t.to, at: t.at, cause: copy(t.cause) };
      const next: EntityRecord = cur
        ? { ...cur, state: t.to, data: { ...cur.data, ...copy(t.data ?? {}) }, history: [...cur.history, tr], updatedAt: t.at }
        : { entity: t.entity, key: t.key, state: t.to, data: copy(t.data ?? {}), history: [tr], createdAt: t.at, updatedAt: t.at };
      s.records.set(k, next);
      return copy(next);
    },
    async putTimer(t) {
      s.timers.set(t.id, copy(t));
    },
    async deleteTimer(id) {
      s.timers.delete(id);
    },
    async getTimer(id) {
      return copy(s.timers.get(id));
    },
    async listTimers() {
      return copy([...s.timers.values()]);
    },
    async countTimers() {
      return s.timers.size;
    },
    async countDocs(c, status) {
      let n = 0;
      for (const d of docs(c).values()) if ((d as { status?: unknown }).status === status) n++;
      return n;
    },
    async claimDueTimers(now, limit) {
      const due = [...s.timers.values()].filter((t) => t.dueAt <= now).sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0)).slice(0, limit);
      for (const t of due) s.timers.delete(t.id);
      return due;
    },
    async putDoc(c, doc) {
      docs(c).set(doc.id, copy(doc));
    },
    async getDoc<C extends DocCollection>(c: C, id: string) {
      return copy(docs(c).get(id) as DocCollections[C] | undefined);
    },
    async listDocs<C extends DocCollection>(c: C) {
      return copy([...docs(c).values()] as DocCollections[C][]);
    },
    async deleteDoc(c, id) {
      docs(c).delete(id);
    },
    async updateDoc<C extends DocCollection>(c: C, id: string, update: (cur: DocCollections[C] | undefined) => DocCollections[C] | undefined) {
      const next = update(copy(docs(c).get(id) as DocCollections[C] | undefined));
      if (next === undefined) return undefined;
      docs(c).set(id, copy(next));
      return copy(next);
    },
    exclusive,
  };
}
