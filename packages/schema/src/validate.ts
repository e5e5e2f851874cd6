// validateFlow: the one check a flow document goes through before it may run, shared by the runtime
// (deploy → 422 with every error) and the editor (live errors). Browser-safe: no Node imports.
//
// It reports EVERY error, each with a JSON pointer and, where one applies, the node id:
// - schema errors (AJV draft 2020-12 over the TypeBox `Flow` schema; a node's errors come from the
//   schema of its own `type`, not from every branch of the node union);
//   an action's params are checked against its spec's params schema, literal values only: a
//   `{{placeholder}}` or `{"$logic"}` value is checked once resolved, at run time;
// - graph errors (ports, default ports and the cycle rule come from the node specs): duplicate or
//   reserved node ids, edges from/to missing nodes, unknown ports, two edges on one port, required ports
//   not wired, no edge from the trigger, unreachable nodes, cycles through no node that parks the run;
// - content errors (each node, action and trigger spec's own checks, plus the fields any of them may
//   have): unknown JSON-Logic operators, schemas AJV refuses to compile, durations that do not parse,
//   entities/states not in the state map, and the like;
// - secrets named anywhere but the params an outbound call sends (secret-placement.ts).
import type { ErrorObject } from 'ajv';
import type { Flow, FlowNode } from './dsl.ts';
import { NODE_SPEC_LIST, nodeSpec } from './nodes/index.ts';
import { defaultPortOf, outputPorts, requiredPorts, TRIGGER_NODE_ID } from './ports.ts';
import type { CheckContext, PathToken, StateNames as StateNameChecks } from './spec/check.ts';
import { LOGIC_VALUE_TITLE, PLACEHOLDER_TITLE } from './spec/placeholders.ts';
import { triggerSpec } from './triggers/index.ts';
import { ajvErrorMessage, ajvErrorPath, type FieldError } from './ajv-errors.ts';
import { parseDuration } from './duration.ts';
import { flowJsonSchema } from './json-schema.ts';
import { checkLogic, checkParamsLogic } from './logic-operators.ts';
import { payloadSchemaProblem } from './payload.ts';
import { schemaCheck } from './schema-checks.ts';
import { misplacedSecrets } from './secret-placement.ts';
import { payloadRefProblems } from './payload-refs.ts';
import { getByPointer, isWithinPointer, joinPointer, parsePointer, toPointer } from './pointer.ts';
import type { StateMap } from './state-map.ts';

export interface FlowError {
  /** JSON pointer into the flow document, e.g. `/nodes/2/rules/0/when` */
  path: string;
  message: string;
  /** the node the error is about, where one applies */
  nodeId?: string;
}

export interface ValidateFlowOptions {
  /** action types the runtime can perform; any other action is refused as "not implemented yet" */
  implementedActions?: readonly string[];
  /** when given, entities and states named by the flow must exist in it */
  stateMap?: StateMap;
  /**
   * false: JSON-Logic is checked for unknown operators only, as before the shape and arity checks —
   * the runtime compares both to find stored flows that a deploy would now refuse (it alerts, they run).
   */
  logicShapes?: boolean;
}

export interface FlowValidation {
  ok: boolean;
  errors: FlowError[];
  /** what may go wrong but does not stop a deploy (a placeholder naming a field an open contract lacks) */
  warnings: FlowError[];
  /** the document, typed, when ok */
  flow?: Flow;
}

export { TRIGGER_NODE_ID };


type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (xs: readonly string[]): string => xs.map((x) => `"${x}"`).join(', ');

// ---------------------------------------------------------------------------------------------------
// Schema errors

/** The sub-schema an AJV schemaPath (`#/properties/nodes/items/anyOf`) names inside the flow schema. */
function schemaAt(schemaPath: string): unknown {
  let cur: unknown = flowJsonSchema;
  for (const raw of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (raw === '') continue;
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isObj(cur)) cur = cur[token];
    else return undefined;
  }
  return cur;
}

/** The `type` constant of a union branch (`{properties: {type: {const: 'route'}}}`), if it has one. */
function discriminant(branch: unknown): string | undefined {
  if (!isObj(branch) || !isObj(branch.properties)) return undefined;
  const t = branch.properties.type;
  return isObj(t) ? str(t.const) : undefined;
}

/** `anyOf: [value, placeholder string, $logic value]`, as placeholderTolerant writes it. */
function isPlaceholderUnion(branches: unknown[]): boolean {
  return branches.length === 3 && isObj(branches[1]) && branches[1].title === PLACEHOLDER_TITLE && isObj(branches[2]) && branches[2].title === LOGIC_VALUE_TITLE;
}

/**
 * Maps AJV's errors to pointers and messages, making union (anyOf) errors readable: a union of
 * constants says "must be one of …"; a union of objects told apart by `type` (nodes, triggers, auth)
 * keeps only the errors of the branch the value's `type` selects, or says which types there are.
 */
function schemaErrors(doc: unknown, errors: readonly ErrorObject[]): FieldError[] {
  const dropped = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, FieldError[]>();
  const unions = errors
    .filter((e) => e.keyword === 'anyOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length || a.instancePath.length - b.instancePath.length);

  for (const u of unions) {
    if (dropped.has(u)) continue;
    const inBranch = (e: ErrorObject, k?: number): boolean =>
      e !== u &&
      isWithinPointer(u.instancePath, e.instancePath) &&
      e.schemaPath.startsWith(k === undefined ? `${u.schemaPath}/` : `${u.schemaPath}/${k}/`);
    const branchErrors = errors.filter((e) => !dropped.has(e) && inBranch(e));
    const branches = schemaAt(u.schemaPath);
    if (!Array.isArray(branches)) continue;
    const value = getByPointer(doc, u.instancePath);
    const consts = branches.map((b) => (isObj(b) && 'const' in b ? b.const : undefined));
    const tags = branches.map(discriminant);

    if (isPlaceholderUnion(branches)) {
      // a param value that may also be a placeholder: it is literal here, so only its own schema speaks
      branchErrors.filter((e) => !inBranch(e, 0)).forEach((e) => dropped.add(e));
      dropped.add(u);
    } else if (consts.every((c) => c !== undefined)) {
      branchErrors.forEach((e) => dropped.add(e));
      replaced.set(u, [{ path: u.instancePath, message: `must be one of ${consts.map((c) => JSON.stringify(c)).join(', ')}` }]);
    } else if (tags.every((t) => t !== undefined)) {
      const names = tags as string[];
      const k = isObj(value) ? names.indexOf(value.type as string) : -1;
      if (k >= 0) {
        // the value says which branch it means: keep that branch's errors only
        branchErrors.filter((e) => !inBranch(e, k)).forEach((e) => dropped.add(e));
        dropped.add(u);
      } else {
        branchErrors.forEach((e) => dropped.add(e));
        let pending: FieldError;
        if (!isObj(value)) pending = { path: u.instancePath, message: 'must be object' };
        else if (!('type' in value)) pending = { path: joinPointer(u.instancePath, 'type'), message: `must have required property 'type' (one of ${list(names)})` };
        else pending = { path: joinPointer(u.instancePath, 'type'), message: `must be one of ${list(names)}` };
        replaced.set(u, [pending]);
      }
    } else {
      branchErrors.forEach((e) => dropped.add(e));
      replaced.set(u, [{ path: u.instancePath, message: 'must match one of the allowed shapes' }]);
    }
  }

  // an action's params schema is selected by if/then: its "must match then" adds nothing to the errors inside
  for (const e of errors) if (e.keyword === 'if') dropped.add(e);

  const out: FieldError[] = [];
  const seen = new Set<string>();
  const push = (p: FieldError): void => {
    const key = `${p.path}\u0000${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  };
  for (const e of errors) {
    const r = replaced.get(e);
    if (r) r.forEach(push);
    else if (!dropped.has(e)) push({ path: ajvErrorPath(e), message: ajvErrorMessage(e) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Semantic checks

class Report {
  readonly errors: (FlowError & { supersedes?: boolean })[] = [];
  add(path: string, message: string, nodeId?: string, supersedes = false): void {
    const e: FlowError & { supersedes?: boolean } = { path, message };
    if (nodeId !== undefined) e.nodeId = nodeId;
    if (supersedes) e.supersedes = true;
    this.errors.push(e);
  }
}

class StateNames {
  constructor(private map: StateMap) {}
  has(entity: string): boolean {
    return Object.hasOwn(this.map.entities, entity);
  }
  entity(r: Report, entity: unknown, path: string, nodeId?: string): boolean {
    if (typeof entity !== 'string') return false;
    if (Object.hasOwn(this.map.entities, entity)) return true;
    r.add(path, `unknown entity "${entity}" (the state map has ${list(Object.keys(this.map.entities))})`, nodeId);
    return false;
  }
  state(r: Report, entity: string, state: unknown, path: string, nodeId?: string): void {
    if (typeof state !== 'string') return;
    const states = this.map.entities[entity]!.states;
    if (!Object.hasOwn(states, state)) r.add(path, `unknown state "${state}" for ${entity} (its states: ${list(Object.keys(states))})`, nodeId);
  }
  both(r: Report, holder: unknown, path: string, nodeId?: string): void {
    if (!isObj(holder)) return;
    if (this.entity(r, holder.entity, joinPointer(path, 'entity'), nodeId)) {
      this.state(r, holder.entity as string, holder.state, joinPointer(path, 'state'), nodeId);
    }
  }
}

/** The CheckContext the specs' own checks report through, its paths under `base`. */
function checkContext(r: Report, flow: Obj, opts: ValidateFlowOptions, states: StateNames | undefined, base: PathToken[], nodeId?: string): CheckContext {
  const at = (path: PathToken[]): string => toPointer([...base, ...path]);
  const stateChecks: StateNameChecks | undefined = states && {
    has: (entity) => states.has(entity),
    entity: (entity, ...path) => states.entity(r, entity, at(path), nodeId),
    state: (entity, state, ...path) => states.state(r, entity, state, at(path), nodeId),
    both: (holder, ...path) => states.both(r, holder, at(path), nodeId),
  };
  return {
    error: (message, ...path) => r.add(at(path), message, nodeId),
    errorInsteadOfSchema: (message, ...path) => r.add(at(path), message, nodeId, true),
    logic: (rule, ...path) => {
      if (rule !== undefined) checkLogic(rule, at(path), (p, m) => r.add(p, m, nodeId), opts.logicShapes !== false);
    },
    paramsLogic: (value, ...path) => checkParamsLogic(value, at(path), (p, m) => r.add(p, m, nodeId), opts.logicShapes !== false),
    duration: (value, ...path) => {
      if (typeof value !== 'string') return;
      try {
        parseDuration(value);
      } catch (e) {
        r.add(at(path), (e as Error).message, nodeId, true); // replaces the schema's pattern error
      }
    },
    jsonSchema: (value, what, ...path) => {
      const problem = payloadSchemaProblem(value);
      if (problem) r.add(at(path), `${what} does not compile: ${problem}`, nodeId);
    },
    at: (...path) => checkContext(r, flow, opts, states, [...base, ...path], nodeId),
    states: stateChecks,
    implementedActions: opts.implementedActions,
    flow,
  };
}

function checkTrigger(c: CheckContext, flow: Obj): void {
  const t = flow.trigger;
  if (!isObj(t)) return;
  // fields several trigger types share
  c.duration(t.dedupeWindow, 'dedupeWindow');
  c.logic(t.idempotencyKey, 'idempotencyKey');
  const key = t.idempotencyKey;
  if (key !== undefined && key !== null && typeof key !== 'object') {
    // a literal key makes every event a duplicate of the first; a path written as text is the usual slip
    c.error(`idempotency key ${JSON.stringify(key)} is not a rule (every event would get the same key): write a path such as payload.orderId, i.e. {"var": "payload.orderId"}, or a JSON-Logic rule`, 'idempotencyKey');
  }
  c.logic(t.filter, 'filter');
  if (t.payloadSchema !== undefined) c.jsonSchema(t.payloadSchema, 'payload schema', 'payloadSchema');
  triggerSpec(t.type)?.check?.(t, c);
}

function checkNode(c: CheckContext, node: Obj): void {
  if (isObj(node.sla)) c.duration(node.sla.within, 'sla', 'within');
  nodeSpec(node.type)?.check?.(node, c);
}

/** The node types a cycle may pass through (they park the run): "wait", "review". */
const PARKING_TYPES = NODE_SPEC_LIST.filter((s) => s.cycleMayPass).map((s) => s.type);

/** A node's ports, when its port-defining fields are well-formed (otherwise the schema errors say why). */
function portsOf(node: Obj): { out: string[]; required: string[] } | undefined {
  const spec = nodeSpec(node.type);
  if (!spec || (spec.portsKnown && !spec.portsKnown(node))) return undefined;
  const n = node as unknown as FlowNode;
  return { out: outputPorts(n), required: requiredPorts(n) };
}

/** Where a missing required port is best pointed at, and how to say it. */
function missingPortError(node: Obj, i: number, port: string): { path: string; message: string } {
  const custom = nodeSpec(node.type)?.missingPort?.(node as unknown as FlowNode, port);
  if (custom) return { path: toPointer(['nodes', i, ...custom.path]), message: custom.message };
  return { path: toPointer(['nodes', i]), message: `port "${port}" is not wired` };
}

function checkGraph(r: Report, nodes: unknown[], edges: unknown[]): void {
  // node ids: the first node with an id is the one edges reach
  const byId = new Map<string, { node: Obj; index: number }>();
  nodes.forEach((node, i) => {
    if (!isObj(node) || typeof node.id !== 'string') return;
    const id = node.id;
    if (id === TRIGGER_NODE_ID) {
      r.add(toPointer(['nodes', i, 'id']), `"${TRIGGER_NODE_ID}" is reserved: edges use it for the flow's trigger`, id);
      return;
    }
    const first = byId.get(id);
    if (first) r.add(toPointer(['nodes', i, 'id']), `duplicate node id "${id}" (also /nodes/${first.index})`, id);
    else byId.set(id, { node, index: i });
  });
  const ports = new Map<string, ReturnType<typeof portsOf>>();
  for (const [id, { node }] of byId) ports.set(id, portsOf(node));

  const wired = new Map<string, number>(); // `${from}\0${port}` → edge index
  const next = new Map<string, string[]>([[TRIGGER_NODE_ID, []], ...[...byId.keys()].map((id): [string, string[]] => [id, []])]);
  edges.forEach((edge, j) => {
    if (!isObj(edge) || typeof edge.from !== 'string' || typeof edge.to !== 'string') return;
    const { from, to } = edge;
    const source = from === TRIGGER_NODE_ID ? undefined : byId.get(from);
    const sourceId = source ? from : undefined;
    const fromKnown = from === TRIGGER_NODE_ID || source !== undefined;
    if (!fromKnown) r.add(toPointer(['edges', j, 'from']), `edge from unknown node "${from}"`);
    if (to === TRIGGER_NODE_ID) r.add(toPointer(['edges', j, 'to']), 'the trigger cannot be the target of an edge', sourceId);
    else if (!byId.has(to)) r.add(toPointer(['edges', j, 'to']), `edge to unknown node "${to}"`, sourceId);
    else if (fromKnown) next.get(from)!.push(to);
    if (!fromKnown) return;

    // which port the edge leaves by
    const port = str(edge.port);
    let effective: string | undefined;
    if (from === TRIGGER_NODE_ID) {
      if (port !== undefined && port !== 'out') {
        r.add(toPointer(['edges', j, 'port']), `the trigger has no port "${port}" (its only port is "out")`);
        return;
      }
      effective = 'out';
    } else {
      const p = ports.get(from);
      if (!p) return; // the node's own errors say why its ports are unknown
      const type = String(source!.node.type);
      if (p.out.length === 0) {
        r.add(toPointer(['edges', j, 'from']), `${type} node "${from}" has no outputs`, from);
        return;
      }
      if (port !== undefined) {
        if (!p.out.includes(port)) {
          r.add(toPointer(['edges', j, 'port']), `${type} node "${from}" has no port "${port}" (its ports: ${list(p.out)})`, from);
          return;
        }
        effective = port;
      } else {
        effective = defaultPortOf(source!.node as unknown as FlowNode);
        if (effective === undefined) {
          r.add(toPointer(['edges', j]), `an edge from ${type} node "${from}" must name its port (one of ${list(p.out)})`, from);
          return;
        }
      }
    }
    const key = `${from}\u0000${effective}`;
    const first = wired.get(key);
    if (first === undefined) wired.set(key, j);
    else if (from === TRIGGER_NODE_ID) r.add(toPointer(['edges', j]), `the trigger already has an edge (/edges/${first}): branches are sequential in v1`);
    else r.add(toPointer(['edges', j]), `port "${effective}" of node "${from}" is already wired (/edges/${first}): one edge per port, branches are sequential in v1`, from);
  });

  // required ports
  for (const [id, { node, index }] of byId) {
    const p = ports.get(id);
    if (!p) continue;
    for (const port of p.required) {
      if (wired.has(`${id}\u0000${port}`)) continue;
      const { path, message } = missingPortError(node, index, port);
      r.add(path, message, id);
    }
  }
  if (!wired.has(`${TRIGGER_NODE_ID}\u0000out`)) r.add('/trigger', 'no edge from the trigger: the flow never starts');

  // reachability from the trigger
  const reached = new Set<string>([TRIGGER_NODE_ID]);
  const queue = [TRIGGER_NODE_ID];
  while (queue.length) {
    for (const to of next.get(queue.shift()!) ?? []) {
      if (!reached.has(to)) {
        reached.add(to);
        queue.push(to);
      }
    }
  }
  for (const [id, { index }] of byId) {
    if (!reached.has(id)) r.add(toPointer(['nodes', index]), `node "${id}" is unreachable from the trigger`, id);
  }

  // cycles: a loop must pass through a node that parks the run (a wait, a review), or it would spin without end
  const pauses = (id: string): boolean => nodeSpec(byId.get(id)?.node.type)?.cycleMayPass ?? false;
  const state = new Map<string, 1 | 2>(); // 1: on the DFS path, 2: done
  const reported = new Set<string>();
  for (const start of byId.keys()) {
    if (pauses(start) || state.has(start)) continue;
    const path: string[] = [];
    const stack: { id: string; k: number }[] = [{ id: start, k: 0 }];
    state.set(start, 1);
    path.push(start);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const succ = next.get(top.id)!;
      if (top.k >= succ.length) {
        state.set(top.id, 2);
        stack.pop();
        path.pop();
        continue;
      }
      const to = succ[top.k++]!;
      if (pauses(to)) continue;
      const s = state.get(to);
      if (s === 1) {
        const cycle = path.slice(path.indexOf(to));
        const key = [...cycle].sort().join('\u0000');
        if (!reported.has(key)) {
          reported.add(key);
          r.add(
            toPointer(['nodes', byId.get(to)!.index]),
            `cycle ${[...cycle, to].map((c) => `"${c}"`).join(' → ')} does not pass through a ${PARKING_TYPES.join(' or ')} node`,
            to,
          );
        }
      } else if (s === undefined) {
        state.set(to, 1);
        path.push(to);
        stack.push({ id: to, k: 0 });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------

/** Validates a flow document; `ok` with the typed `flow` when there are no errors, else every error. */
export function validateFlow(doc: unknown, opts: ValidateFlowOptions = {}): FlowValidation {
  const checkFlowSchema = schemaCheck('flow', flowJsonSchema);
  const schemaOk = checkFlowSchema(doc);
  const fromSchema = schemaOk ? [] : schemaErrors(doc, checkFlowSchema.errors ?? []);
  const r = new Report();
  if (isObj(doc)) {
    const states = opts.stateMap ? new StateNames(opts.stateMap) : undefined;
    const c = checkContext(r, doc, opts, states, []);
    checkTrigger(c.at('trigger'), doc);
    if (isObj(doc.sla)) c.duration(doc.sla.within, 'sla', 'within');
    if (isObj(doc.record)) {
      c.logic(doc.record.key, 'record', 'key');
      if (states) states.entity(r, doc.record.entity, '/record/entity');
    }
    if (states && Array.isArray(doc.cancelOn)) doc.cancelOn.forEach((c, k) => states.both(r, c, toPointer(['cancelOn', k])));
    if (states && isObj(doc.sla) && isObj(doc.record) && typeof doc.record.entity === 'string' && states.has(doc.record.entity)) {
      states.state(r, doc.record.entity, doc.sla.state, '/sla/state');
    }
    const nodes = Array.isArray(doc.nodes) ? doc.nodes : [];
    nodes.forEach((node, i) => {
      if (isObj(node)) checkNode(checkContext(r, doc, opts, states, ['nodes', i], str(node.id)), node);
    });
    checkGraph(r, nodes, Array.isArray(doc.edges) ? doc.edges : []);
    for (const m of misplacedSecrets(doc)) r.add(m.path, m.message, m.nodeId);
  }

  const superseded = new Set(r.errors.filter((e) => e.supersedes).map((e) => e.path));
  const errors: FlowError[] = [];
  for (const e of fromSchema) {
    if (!superseded.has(e.path)) errors.push(withNodeId(doc, { path: e.path, message: e.message }));
  }
  for (const { supersedes: _s, ...e } of r.errors) errors.push(withNodeId(doc, e));
  const warnings: FlowError[] = [];
  for (const { severity, ...e } of payloadRefProblems(doc)) (severity === 'error' ? errors : warnings).push(e);
  return errors.length === 0 ? { ok: true, errors, warnings, flow: doc as Flow } : { ok: false, errors, warnings };
}

/** Adds the node id to an error about a node (`/nodes/3/…`) or its layout (`/layout/<id>`). */
function withNodeId(doc: unknown, e: FlowError): FlowError {
  if (e.nodeId !== undefined || !isObj(doc)) return e;
  const [first, second] = parsePointer(e.path);
  if (first === 'nodes' && second !== undefined && Array.isArray(doc.nodes)) {
    const node = doc.nodes[Number(second)];
    if (isObj(node) && typeof node.id === 'string') return { ...e, nodeId: node.id };
  }
  if (first === 'layout' && second !== undefined && Array.isArray(doc.nodes) && doc.nodes.some((n) => isObj(n) && n.id === second)) {
    return { ...e, nodeId: second };
  }
  return e;
}

/** The flow as it is exported or shared: without the runtime-assigned `version` (a flow holds no secrets). */
export function flowForExport(flow: Flow): Omit<Flow, 'version'> {
  const { version: _version, ...rest } = flow;
  return rest;
}
