// Deployed flows: versions from the store, the active hook paths, and each version's compiled
// payload validator (compiled once per version).
import { callGraphErrors, compilePayloadSchema, validateFlow, type Flow, type FlowError, type StateMap } from '@flowdesk/schema';
import type { Store, StoredFlow } from '../store/types.ts';
import { EXECUTORS } from '../actions/index.ts';
import { createLocalExclusive } from '../store/exclusive.ts';

export interface DeployError {
  status: 409 | 422;
  error: string;
  errors: { path: string; message: string; nodeId?: string }[];
}

/**
 * The Store.exclusive name every change checked against the stored flows and state map runs under
 * (deploy, rollback, switching a flow on or off, a state-map change): checked one after the other,
 * across instances too, so two of them never both pass against what the other is about to write.
 */
export const CONFIG_CHANGES = 'config-changes';

type PayloadValidator = (payload: unknown) => { path: string; message: string }[];

const comparable = (doc: Flow): string => {
  const { version: _v, $schema: _s, active: _a, ...rest } = doc;
  return JSON.stringify(rest);
};

/** The stored flag is the truth (setFlowActive changes it, not the deployed document). */
const activeInDoc = (f: StoredFlow): StoredFlow => (f.doc.active === f.active ? f : { ...f, doc: { ...f.doc, active: f.active } });

export class FlowRegistry {
  private latest = new Map<string, StoredFlow>();
  private versions = new Map<string, Flow>(); // `${id}@${version}` → doc
  private hooks = new Map<string, string>(); // hook path → flow id
  private validators = new WeakMap<Flow, PayloadValidator>();

  constructor(
    private store: Store,
    private map: StateMap | undefined,
  ) {}

  /** The state map flows are checked against and records move by (state-map-source.ts keeps it current). */
  get stateMap(): StateMap | undefined {
    return this.map;
  }
  useStateMap(map: StateMap | undefined): void {
    this.map = map;
  }

  async load(): Promise<void> {
    for (const f of await this.store.listFlows()) this.index(f);
  }

  /**
   * Reads flow `id` from the store again (a change made through another instance of the cluster:
   * deploy, rollback, active flag, …). Mutations of one id in this process run one at a time, so a
   * slow refresh never puts back a state older than one indexed after it.
   */
  refresh(id: string): Promise<void> {
    return this.serial(id, async () => {
      const f = await this.store.getFlow(id);
      if (f) this.index(activeInDoc(f));
      else this.forget(id);
    });
  }

  /**
   * Reads every flow again from the store, each through its own refresh (so never over a newer read):
   * a deploy checks hook paths and flow calls against the flows as stored, not as this instance last
   * heard of them (another instance's change reaches it by the change feed's delay, or the reconcile's).
   */
  async syncFromStore(): Promise<void> {
    const ids = new Set([...(await this.store.listFlows()).map((f) => f.id), ...this.latest.keys()]);
    await Promise.all([...ids].map((id) => this.refresh(id)));
  }

  /** one mutation of a flow id at a time in this process */
  private readonly serial = createLocalExclusive();

  private forget(id: string): void {
    this.latest.delete(id);
    for (const [path, owner] of this.hooks) if (owner === id) this.hooks.delete(path);
  }

  private index(f: StoredFlow): void {
    this.latest.set(f.id, f);
    this.versions.set(`${f.id}@${f.version}`, f.doc);
    for (const [path, id] of this.hooks) if (id === f.id) this.hooks.delete(path);
    // a flow paused with hold keeps its path: its events are held, not refused
    if ((f.active || f.hold) && f.doc.trigger.type === 'webhook') this.hooks.set(f.doc.trigger.path, f.id);
  }

  list(): StoredFlow[] {
    return [...this.latest.values()];
  }
  get(id: string): StoredFlow | undefined {
    return this.latest.get(id);
  }
  byHook(path: string): StoredFlow | undefined {
    const id = this.hooks.get(path);
    return id ? this.latest.get(id) : undefined;
  }
  /** Active latest flows whose trigger matches. */
  withTrigger(pred: (f: Flow) => boolean): StoredFlow[] {
    return this.list().filter((f) => f.active && pred(f.doc));
  }

  /** The exact version a run started on (kept even after later deploys). */
  async version(id: string, version: number): Promise<Flow | undefined> {
    const key = `${id}@${version}`;
    const hit = this.versions.get(key);
    if (hit) return hit;
    const stored = await this.store.getFlow(id, version);
    if (stored) this.versions.set(key, stored.doc);
    return stored?.doc;
  }

  /**
   * Why flow `id` cannot be switched on (or paused with hold, which keeps its path): its webhook path
   * was taken by another flow while it was off. Undefined when nothing stands in the way.
   */
  activationConflict(id: string): DeployError | undefined {
    const f = this.latest.get(id);
    if (!f || f.doc.trigger.type !== 'webhook') return undefined;
    const owner = this.hooks.get(f.doc.trigger.path);
    return owner && owner !== id ? pathTaken(f.doc.trigger.path, owner) : undefined;
  }

  /** `stateMap`: check against this map rather than the one this instance holds (a deploy reads the stored one). */
  check(doc: unknown, stateMap: StateMap | undefined = this.map): { ok: true; flow: Flow; warnings: FlowError[] } | { ok: false; error: DeployError } {
    const res = validateFlow(doc, { implementedActions: Object.keys(EXECUTORS), stateMap });
    if (!res.ok || !res.flow) return { ok: false, error: { status: 422, error: 'invalid flow', errors: res.errors } };
    const flow = res.flow;
    const active = new Map([...this.latest.values()].filter((f) => f.active).map((f) => [f.doc.id, f.doc]));
    const calls = callGraphErrors(flow, active);
    if (calls.length) return { ok: false, error: { status: 422, error: 'invalid flow', errors: calls } };
    if (flow.trigger.type === 'webhook') {
      const owner = this.hooks.get(flow.trigger.path);
      if (owner && owner !== flow.id) return { ok: false, error: pathTaken(flow.trigger.path, owner) };
    }
    return { ok: true, flow, warnings: res.warnings };
  }

  /**
   * Validates and stores a new version. `onlyIfChanged` skips identical documents (start-up loading):
   * one that is the stored latest version as written is not validated again (`unchecked`), since a
   * start pays ~10 ms per flow for it; the caller checks those once it serves (`check`).
   */
  async deploy(
    doc: unknown,
    at: string,
    opts: { onlyIfChanged?: boolean; stateMap?: StateMap } = {},
  ): Promise<{ ok: true; flow: StoredFlow; changed: boolean; warnings: FlowError[]; unchecked?: true } | { ok: false; error: DeployError }> {
    if (opts.onlyIfChanged && doc !== null && typeof doc === 'object' && typeof (doc as { id?: unknown }).id === 'string') {
      const stored = this.latest.get((doc as { id: string }).id);
      if (stored && comparable(stored.doc) === comparable(doc as Flow)) return { ok: true, flow: stored, changed: false, warnings: [], unchecked: true };
    }
    const checked = this.check(doc, 'stateMap' in opts ? opts.stateMap : this.map);
    if (!checked.ok) return checked;
    const current = this.latest.get(checked.flow.id);
    if (opts.onlyIfChanged && current && comparable(current.doc) === comparable(checked.flow)) return { ok: true, flow: current, changed: false, warnings: checked.warnings };
    const { version: _v, ...rest } = checked.flow;
    const stored = await this.serial(checked.flow.id, async () => {
      let s = await this.store.putFlow({ ...rest, active: rest.active ?? true } as Flow, at);
      // a new version deployed while paused with hold stays paused with hold
      if (current?.hold && !s.active) {
        await this.store.setFlowActive(s.id, false, true);
        s = { ...s, hold: true };
      }
      this.index(s);
      return s;
    });
    return { ok: true, flow: stored, changed: true, warnings: checked.warnings };
  }

  /** Switches a flow on or off; `hold` (with active false) keeps its webhook answering and its events held. */
  async setActive(id: string, active: boolean, hold = false): Promise<StoredFlow | undefined> {
    return this.serial(id, async () => {
      const f = this.latest.get(id);
      if (!f) return undefined;
      const held = hold && !active;
      await this.store.setFlowActive(id, active, held);
      // read back: another instance may have deployed a newer version meanwhile
      const read = await this.store.getFlow(id);
      const { hold: _h, ...rest } = f;
      const updated: StoredFlow = read ? activeInDoc(read) : { ...rest, active, ...(held ? { hold: true } : {}), doc: { ...f.doc, active } };
      this.index(updated);
      return updated;
    });
  }

  payloadValidator(flow: Flow): PayloadValidator {
    const hit = this.validators.get(flow);
    if (hit) return hit;
    const schema = 'payloadSchema' in flow.trigger ? flow.trigger.payloadSchema : undefined;
    // 'skip': a flow stored before payload regexes ran on RE2 keeps taking events; a deploy refuses such patterns
    const v: PayloadValidator = schema === undefined ? () => [] : compilePayloadSchema(schema, { unsupportedPatterns: 'skip' }).validate;
    this.validators.set(flow, v);
    return v;
  }
}

const pathTaken = (path: string, owner: string): DeployError => ({
  status: 409,
  error: `hook path "${path}" belongs to flow "${owner}"`,
  errors: [{ path: '/trigger/path', message: `already used by flow "${owner}"` }],
});
