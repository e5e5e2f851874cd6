// An action node's params, rendered under the security rules its spec's param roles set (issue 12):
// - `secrets`: only these params see secret values; anywhere else `{{secrets.X}}` renders "[redacted]"
//   (validateFlow refuses it at deploy; a stored flow keeps running and says where in the provenance);
// - `url`: event values (payload, headers, vars, steps, record, run, now) put into the path or the
//   query are percent-encoded, one segment or value each; config and secrets (set by the owner) may form
//   any part. An event value that lands in the scheme, host or port is kept as it is and the provenance
//   says so: the runtime's egress guard then refuses secrets, connections and internal addresses;
// - `email`, `connection`: the provenance says which values an event built and whether a connection is
//   named, for the executors' own checks.
import { escapePointerToken, fromEvent, isLogicValue, logicPaths, namesSecret, paramPathsByRole, paramsWithRole, PLACEHOLDER_PATTERN, pointerMatches, templatePaths } from '@flowdesk/schema';
import { evaluateLogic, LogicError } from './logic.ts';
import { getPath, renderString, toText } from './template.ts';
import type { EvalContext, ParamProvenance } from './types.ts';

const WHOLE = new RegExp(`^${PLACEHOLDER_PATTERN.source}$`);
/** The scheme and authority are complete once a `/`, `?` or `#` follows `scheme://authority`. */
const PAST_ORIGIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\\]*[/?#\\]/;
const ORIGIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\\]*/;
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Renders a URL template. Event values after the origin are percent-encoded (encodeURIComponent: `/`,
 * `?`, `#`, `&`, `@` and `%` included); a segment made only of dots by an event value is refused, since
 * URL parsers resolve `..` (and `%2e%2e`) however it is encoded.
 */
export function renderUrl(template: string, data: unknown, field: string): { value: unknown; originFromEvent: boolean } {
  const whole = WHOLE.exec(template);
  if (whole) return { value: getPath(data, whole[1]!) ?? null, originFromEvent: fromEvent(whole[1]!) };
  let out = '';
  let last = 0;
  let originFromEvent = false;
  const encoded: [number, number][] = [];
  for (const m of template.matchAll(PLACEHOLDER_PATTERN)) {
    out += template.slice(last, m.index);
    last = m.index + m[0].length;
    const path = m[1]!;
    const text = toText(getPath(data, path));
    if (!fromEvent(path)) out += text;
    else if (PAST_ORIGIN.test(out)) {
      const enc = encodeURIComponent(text);
      encoded.push([out.length, out.length + enc.length]);
      out += enc;
    } else {
      out += text;
      originFromEvent = true;
    }
  }
  out += template.slice(last);
  if (encoded.length) {
    const start = ORIGIN.exec(out)?.[0].length ?? 0;
    const q = out.slice(start).search(/[?#]/);
    const end = q < 0 ? out.length : start + q;
    let at = start;
    for (const seg of out.slice(start, end).split(/[/\\]/)) {
      const segEnd = at + seg.length;
      if (DOT_SEGMENT.test(seg) && encoded.some(([a, b]) => a < segEnd && b > at)) {
        throw new LogicError(`${field}: a value from the event makes the URL path segment "${seg}", which would move up the path; refused`, field);
      }
      at = segEnd + 1;
    }
  }
  return { value: out, originFromEvent };
}

/** Params built from nothing but what the flow and the owner wrote (for callers outside the engine, and tests). */
export const emptyProvenance = (): ParamProvenance => ({ fromEvent: [], urlOriginFromEvent: [], credential: false, misplacedSecrets: [] });

const containsAny = (v: unknown, needles: readonly string[]): boolean => {
  if (needles.length === 0) return false;
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  return needles.some((n) => n.length >= 4 && text.includes(n));
};

/**
 * What rendering one params value needs that depends on the flow alone: each template or rule with its
 * pointer, role and the data paths it reads. Worked out once per node (a deployed flow version's params
 * never change) instead of per call; a value that is not the one planned (a params object changed in
 * place) is planned again, uncached.
 */
type ParamPlan =
  | { kind: 'literal'; pointer: string; source: unknown }
  | { kind: 'template' | 'logic'; pointer: string; source: unknown; at: string; inSecretRole: boolean; isUrl: boolean; paths: (string | null)[] }
  | { kind: 'array'; pointer: string; items: ParamPlan[] }
  | { kind: 'object'; pointer: string; keys: string[]; items: ParamPlan[] };

type Planner = (value: unknown, pointer: string) => ParamPlan;

function planner(action: string, field: string): Planner {
  const secretParams = paramPathsByRole(action, 'secrets');
  const urlParams = paramPathsByRole(action, 'url');
  const plan: Planner = (v, pointer) => {
    const leaf = (kind: 'template' | 'logic', paths: (string | null)[]): ParamPlan => ({
      kind,
      pointer,
      source: v,
      at: `${field}${pointer}`,
      inSecretRole: pointerMatches(pointer, secretParams),
      isUrl: pointerMatches(pointer, urlParams),
      paths,
    });
    if (typeof v === 'string') {
      const paths = templatePaths(v);
      return paths.length === 0 ? { kind: 'literal', pointer, source: v } : leaf('template', paths);
    }
    if (Array.isArray(v)) return { kind: 'array', pointer, items: v.map((x, i) => plan(x, `${pointer}/${i}`)) };
    if (isLogicValue(v)) return leaf('logic', logicPaths(v.$logic));
    if (v && typeof v === 'object') {
      const keys = Object.keys(v);
      return { kind: 'object', pointer, keys, items: keys.map((k) => plan((v as Record<string, unknown>)[k], `${pointer}/${escapePointerToken(k)}`)) };
    }
    return { kind: 'literal', pointer, source: v };
  };
  return plan;
}

const plansByParams = new WeakMap<object, Map<string, ParamPlan>>();

/** The plan of a node's params, from the cache when this params object was planned before. */
function planOf(action: string, params: object, field: string): ParamPlan {
  let byAction = plansByParams.get(params);
  if (!byAction) plansByParams.set(params, (byAction = new Map()));
  const key = `${action}\u0000${field}`;
  let p = byAction.get(key);
  if (!p) byAction.set(key, (p = planner(action, field)(params, '')));
  return p;
}

/** True when `value` still has the shape `plan` was made for. */
function fits(value: unknown, plan: ParamPlan): boolean {
  switch (plan.kind) {
    case 'literal':
    case 'template':
    case 'logic':
      return value === plan.source;
    case 'array':
      return Array.isArray(value) && value.length === plan.items.length;
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value) || isLogicValue(value)) return false;
      let n = 0;
      for (const k in value) if (Object.hasOwn(value, k)) n++;
      return n === plan.keys.length && plan.keys.every((k) => Object.hasOwn(value, k));
    }
  }
}

/**
 * Renders an action's params: the `secrets`-role params with `withSecrets`, every other one with
 * `redacted` (whose secrets read "[redacted]"), URLs as renderUrl says; and reports how they were built.
 */
export function renderActionParams(
  action: string,
  params: unknown,
  withSecrets: EvalContext,
  redacted: EvalContext,
  field: string,
): { params: Record<string, unknown>; provenance: ParamProvenance } {
  const prov = emptyProvenance();
  let secretValues: string[] | undefined;

  const note = (plan: { pointer: string; paths: (string | null)[]; inSecretRole: boolean }, value: unknown) => {
    const { pointer, paths, inSecretRole } = plan;
    if (paths.some(fromEvent)) prov.fromEvent.push(pointer);
    if (paths.some(namesSecret)) {
      if (inSecretRole) prov.credential = true;
      else prov.misplacedSecrets.push(pointer);
    } else if (inSecretRole && paths.includes(null) && containsAny(value, (secretValues ??= Object.values(withSecrets.secrets ?? {})))) {
      prov.credential = true; // a computed var that read a secret
    }
  };

  let replan: Planner | undefined;
  const render = (value: unknown, planned: ParamPlan): unknown => {
    const plan = fits(value, planned) ? planned : (replan ??= planner(action, field))(value, planned.pointer);
    switch (plan.kind) {
      case 'literal':
        return value;
      case 'array':
        return (value as unknown[]).map((v, i) => render(v, plan.items[i]!));
      case 'object': {
        const out: Record<string, unknown> = {};
        for (let i = 0; i < plan.keys.length; i++) out[plan.keys[i]!] = render((value as Record<string, unknown>)[plan.keys[i]!], plan.items[i]!);
        return out;
      }
      case 'template': {
        const ctx = plan.inSecretRole ? withSecrets : redacted;
        let out: unknown;
        if (plan.isUrl) {
          const url = renderUrl(value as string, ctx, plan.at);
          if (url.originFromEvent) prov.urlOriginFromEvent.push(plan.pointer);
          out = url.value;
        } else out = renderString(value as string, ctx);
        note(plan, out);
        return out;
      }
      case 'logic': {
        const ctx = plan.inSecretRole ? withSecrets : redacted;
        const out = evaluateLogic((value as { $logic: unknown }).$logic, ctx, plan.at);
        note(plan, out);
        if (plan.isUrl && plan.paths.some(fromEvent)) prov.urlOriginFromEvent.push(plan.pointer);
        return out;
      }
    }
  };

  const value = params ?? {};
  const plan = value && typeof value === 'object' ? planOf(action, value, field) : planner(action, field)(value, '');
  const rendered = (render(value, plan) ?? {}) as Record<string, unknown>;
  if (paramsWithRole({ action, params: rendered }, 'connection').some((c) => c.value !== null && c.value !== '')) prov.credential = true;
  return { params: rendered, provenance: prov };
}
