// `{{payload.x}}` placeholders checked against the trigger's payload contract: a field the contract
// does not declare is an error when the contract is closed (`additionalProperties: false`: such a
// field can never arrive) and a warning when it is open (it may arrive, but nothing promises it).
// Triggers without a contract (record, schedule, a webhook with none) promise nothing: no check.
import { toPointer } from './pointer.ts';

type PathToken = string | number;

export interface PayloadRefProblem {
  path: string;
  message: string;
  nodeId?: string;
  severity: 'error' | 'warning';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const PLACEHOLDER = /\{\{\s*payload\.([A-Za-z0-9_$.\-[\]]+)\s*\}\}/g;

/** Where a payload path leaves what the contract declares: the field, and whether the contract is closed there. */
export function undeclaredPayloadField(schema: unknown, path: string): { field: string; closed: boolean } | undefined {
  let s: unknown = schema;
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const o = s;
    if (!isObj(o)) return undefined;
    // composed or referenced schemas, arrays, pattern properties: what they declare is not read here
    if (['allOf', 'anyOf', 'oneOf', '$ref', 'if', 'patternProperties', 'items', 'prefixItems'].some((k) => k in o)) return undefined;
    const props = o.properties;
    const part = parts[i]!;
    if (isObj(props) && Object.hasOwn(props, part)) {
      s = props[part];
      continue;
    }
    const field = parts.slice(0, i + 1).join('.');
    if (o.additionalProperties === false || o.unevaluatedProperties === false) return { field, closed: true };
    if (isObj(props) && o.additionalProperties === undefined) return { field, closed: false };
    return undefined;
  }
  return undefined;
}

function walkStrings(value: unknown, at: PathToken[], visit: (s: string, at: PathToken[]) => void): void {
  if (typeof value === 'string') visit(value, at);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...at, i], visit));
  else if (isObj(value)) for (const [k, v] of Object.entries(value)) walkStrings(v, [...at, k], visit);
}

/** Every `{{payload.…}}` in the flow's nodes that its trigger's contract does not declare. */
export function payloadRefProblems(flow: unknown): PayloadRefProblem[] {
  if (!isObj(flow) || !isObj(flow.trigger) || !Array.isArray(flow.nodes)) return [];
  const contract = flow.trigger.payloadSchema;
  if (!isObj(contract)) return [];
  const out: PayloadRefProblem[] = [];
  flow.nodes.forEach((node, i) => {
    if (!isObj(node)) return;
    const nodeId = typeof node.id === 'string' ? node.id : undefined;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'id' || key === 'type' || key === 'name' || key === 'sop') continue;
      walkStrings(value, ['nodes', i, key], (s, at) => {
        for (const m of s.matchAll(PLACEHOLDER)) {
          const miss = undeclaredPayloadField(contract, m[1]!);
          if (!miss) continue;
          const message = miss.closed
            ? `{{payload.${m[1]}}}: the payload contract does not declare "${miss.field}" and allows no other fields, so it is always empty — add "${miss.field}" to the contract`
            : `{{payload.${m[1]}}}: the payload contract does not declare "${miss.field}" — add it to the contract (required if this step needs it), or the value is empty when a sender leaves it out`;
          out.push({ path: toPointer(at), message, ...(nodeId !== undefined ? { nodeId } : {}), severity: miss.closed ? 'error' : 'warning' });
        }
      });
    }
  });
  return out;
}
