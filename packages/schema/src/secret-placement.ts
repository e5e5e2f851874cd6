// Where a flow may name a secret (issue 12, item 8): only in an action's params whose spec gives them
// the `secrets` role (what an outbound call sends: http.request's url, headers, query and body). Anywhere
// else — a flow.emit payload, record data, a task title, an e-mail text, a compute rule — the value would
// be stored or shown in clear, so validateFlow refuses it at deploy; the runtime renders a stored flow's
// misplaced secret as "[redacted]" and raises one alert naming the node. Pure, browser-safe.
import { ACTION_SPECS, paramPathsByRole } from './action-specs.ts';
import { joinPointer } from './pointer.ts';
import { namesSecret, templatePaths } from './references.ts';
import { pointerMatches } from './spec/params.ts';

export interface MisplacedSecret {
  /** JSON pointer into the flow document */
  path: string;
  nodeId?: string;
  /** the secret's path as written: `secrets.CRM_KEY` */
  secret: string;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Node fields that are only text for people, never rendered. */
const PROSE = new Set(['name', 'description', 'sop']);
/** JSON Schemas (contracts, qa schemas): data, never rendered. */
const SCHEMAS = new Set(['payloadSchema', 'schema']);

let secretParamsList: string | undefined;
/** `http.request url, headers, query, body`: the params where a secret may go, from the specs. */
export function secretParamsText(): string {
  return (secretParamsList ??= ACTION_SPECS.map((s) => ({ type: s.type, params: paramPathsByRole(s.type, 'secrets') }))
    .filter((s) => s.params.length > 0)
    .map((s) => `${s.type} ${s.params.map((p) => p.slice(1) || '(all)').join(', ')}`)
    .join('; '));
}

/** Every literal secret reference (`{{secrets.X}}`, `{"var": "secrets.X"}`) at or below `value`, with its pointer. */
function secretRefs(value: unknown, pointer: string, out: { pointer: string; secret: string }[], skip?: (key: string) => boolean): void {
  if (typeof value === 'string') {
    for (const p of templatePaths(value)) if (namesSecret(p)) out.push({ pointer, secret: p });
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => secretRefs(v, joinPointer(pointer, i), out));
  if (!isObj(value)) return;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'var') {
    const args = value.var;
    const first = Array.isArray(args) ? args[0] : args;
    if (typeof first === 'string' && namesSecret(first)) out.push({ pointer, secret: first });
  }
  for (const k of keys) if (!skip?.(k)) secretRefs(value[k], joinPointer(pointer, k), out);
}

/** Every place the flow names a secret where it would be written or shown in clear. */
export function misplacedSecrets(doc: unknown): MisplacedSecret[] {
  if (!isObj(doc)) return [];
  const out: MisplacedSecret[] = [];
  const allowed = secretParamsText();
  const elsewhere = (r: { pointer: string; secret: string }, nodeId: string | undefined, where: string) =>
    out.push({
      path: r.pointer,
      ...(nodeId !== undefined ? { nodeId } : {}),
      secret: r.secret,
      message: `"${r.secret}" is a secret: ${where} it would be stored or shown in clear. A secret may appear only in params sent to an outside service (${allowed})`,
    });

  const top: { pointer: string; secret: string }[] = [];
  secretRefs(doc.trigger, '/trigger', top, (k) => SCHEMAS.has(k));
  secretRefs(doc.record, '/record', top);
  for (const r of top) elsewhere(r, undefined, 'here');

  const nodes = Array.isArray(doc.nodes) ? doc.nodes : [];
  nodes.forEach((node, i) => {
    if (!isObj(node)) return;
    const nodeId = typeof node.id === 'string' ? node.id : undefined;
    const base = joinPointer('/nodes', i);
    for (const k of Object.keys(node)) {
      if (PROSE.has(k) || SCHEMAS.has(k)) continue;
      const refs: { pointer: string; secret: string }[] = [];
      if (node.type === 'action' && k === 'params') {
        const action = typeof node.action === 'string' ? node.action : '';
        const patterns = paramPathsByRole(action, 'secrets');
        const paramsBase = joinPointer(base, 'params');
        secretRefs(node.params, paramsBase, refs);
        for (const r of refs) {
          if (pointerMatches(r.pointer.slice(paramsBase.length), patterns)) continue;
          const param = r.pointer.slice(paramsBase.length).slice(1).replace(/\//g, '.');
          elsewhere(r, nodeId, `in ${action}'s params${param ? `.${param}` : ''}`);
        }
        continue;
      }
      secretRefs(node[k], joinPointer(base, k), refs, (key) => SCHEMAS.has(key));
      for (const r of refs) elsewhere(r, nodeId, `in the ${String(node.type)} node's ${k}`);
    }
  });
  return out;
}
