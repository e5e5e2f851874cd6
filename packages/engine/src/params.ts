// An action node's params, rendered under the security rules its spec's param roles set (issue 12):
// - `secrets`: only these params see secret values; anywhere else `{{secrets.X}}` renders "[redacted]"
//   (validateFlow refuses it at deploy; a stored flow keeps running and says where in the provenance);
// - `url`: event values (payload, headers, vars, steps, record, run, now) put into the path or the
//   query are percent-encoded, one segment or value each; config and secrets (set by the owner) may form
//   any part. An event value that lands in the scheme, host or port is kept as it is and the provenance
//   says so: the runtime's egress guard then refuses secrets, connections and internal addresses;
// - `email`, `connection`: the provenance says which values an event built and whether a connection is
//   named, for the executors' own checks.
import { fromEvent, isLogicValue, logicPaths, namesSecret, paramPathsByRole, paramsWithRole, PLACEHOLDER_PATTERN, pointerMatches, templatePaths } from '@flowdesk/schema';
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
  const secretParams = paramPathsByRole(action, 'secrets');
  const urlParams = paramPathsByRole(action, 'url');
  const secretValues = Object.values(withSecrets.secrets ?? {});
  const prov = emptyProvenance();

  const note = (pointer: string, paths: (string | null)[], inSecretRole: boolean, value: unknown) => {
    if (paths.some(fromEvent)) prov.fromEvent.push(pointer);
    if (paths.some(namesSecret)) {
      if (inSecretRole) prov.credential = true;
      else prov.misplacedSecrets.push(pointer);
    } else if (inSecretRole && paths.includes(null) && containsAny(value, secretValues)) {
      prov.credential = true; // a computed var that read a secret
    }
  };

  const walk = (value: unknown, pointer: string): unknown => {
    const inSecretRole = pointerMatches(pointer, secretParams);
    const ctx = inSecretRole ? withSecrets : redacted;
    const at = `${field}${pointer}`;
    if (typeof value === 'string') {
      const paths = templatePaths(value);
      if (paths.length === 0) return value;
      let out: unknown;
      if (pointerMatches(pointer, urlParams)) {
        const url = renderUrl(value, ctx, at);
        if (url.originFromEvent) prov.urlOriginFromEvent.push(pointer);
        out = url.value;
      } else out = renderString(value, ctx);
      note(pointer, paths, inSecretRole, out);
      return out;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${pointer}/${i}`));
    if (isLogicValue(value)) {
      const paths = logicPaths(value.$logic);
      const out = evaluateLogic(value.$logic, ctx, at);
      note(pointer, paths, inSecretRole, out);
      if (pointerMatches(pointer, urlParams) && paths.some(fromEvent)) prov.urlOriginFromEvent.push(pointer);
      return out;
    }
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      return out;
    }
    return value;
  };

  const rendered = (walk(params ?? {}, '') ?? {}) as Record<string, unknown>;
  if (paramsWithRole({ action, params: rendered }, 'connection').some((c) => c.value !== null && c.value !== '')) prov.credential = true;
  return { params: rendered, provenance: prov };
}
