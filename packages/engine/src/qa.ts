// The QA guard for generated text (the guide's Step 5): schema, policy, context and length checks.
// Pure: no I/O, no AJV (a JSON Schema validator is injected by the runtime; a small built-in one
// covering type/required/properties/items/enum is used when none is given, e.g. in a dry run).
import type { QaChecks } from '@flowdesk/schema';

export type QaCheckName = 'schema' | 'policy' | 'context' | 'length';

export interface QaFailure {
  check: QaCheckName;
  message: string;
}

export interface QaResult {
  pass: boolean;
  failures: QaFailure[];
}

export interface QaInput {
  /** the generated output: text, a JSON string, or an object (e.g. `{subject, body}` or text.generate's `{text, json?}`) */
  output: unknown;
  checks: QaChecks;
  /** the record's account name and current stage, and the names of other accounts that must not appear */
  context: { account?: string; stage?: string; otherAccounts?: string[] };
  /** validates a value against checks.schema; returns one entry per problem */
  validateSchema?: (value: unknown) => { path: string; message: string }[];
}

/** Default per-destination limits (characters); `checks.maxLength` overrides or adds to them. */
export const DEFAULT_MAX_LENGTH: Readonly<Record<string, number>> = Object.freeze({ 'email.subject': 78, sms: 160 });

const TEXT_FIELDS = ['subject', 'body', 'text', 'html'] as const;

export function runQaChecks(input: QaInput): QaResult {
  const { checks } = input;
  const failures: QaFailure[] = [];
  const value = normalise(input.output);

  // schema
  if (checks.schema !== undefined) {
    const json = jsonValueOf(input.output);
    if (!json.ok) failures.push({ check: 'schema', message: json.message });
    else {
      const problems = input.validateSchema ? input.validateSchema(json.value) : miniValidate(checks.schema, json.value, '');
      for (const p of problems) failures.push({ check: 'schema', message: `${p.path || '/'} ${p.message}` });
    }
  }

  const text = allText(value);

  // policy
  for (const term of checks.bannedTerms ?? []) {
    const found = findPhrase(text, term);
    if (found) failures.push({ check: 'policy', message: `banned term "${term}" found: "${excerpt(text, found.index, found.length)}"` });
  }

  // context
  const ctx = input.context ?? {};
  const wanted = checks.context ?? {};
  const checkAccount = ctx.account !== undefined || wanted.account !== undefined;
  const checkStage = ctx.stage !== undefined || wanted.stage !== undefined;
  if (checkAccount) {
    if (!ctx.account || !ctx.account.trim()) failures.push({ check: 'context', message: 'no account name to check the output against (the record has none)' });
    else if (!findPhrase(text, ctx.account)) failures.push({ check: 'context', message: `output does not name the account "${ctx.account}"` });
  }
  if (checkStage) {
    if (!ctx.stage || !ctx.stage.trim()) failures.push({ check: 'context', message: 'no stage to check the output against (the record has none)' });
    else if (!stageMentioned(text, ctx.stage)) failures.push({ check: 'context', message: `output does not name the current stage "${ctx.stage}"` });
  }
  const own = ctx.account?.trim().toLowerCase();
  for (const other of ctx.otherAccounts ?? []) {
    if (!other || !other.trim() || other.trim().toLowerCase() === own) continue;
    const found = findPhrase(text, other);
    if (found) failures.push({ check: 'context', message: `output names another account "${other}": "${excerpt(text, found.index, found.length)}"` });
  }

  // length
  const limits: Record<string, number> = { ...DEFAULT_MAX_LENGTH, ...(checks.maxLength ?? {}) };
  for (const part of lengthParts(value, checks.destination)) {
    const key = part.keys.find((k) => k !== undefined && limits[k] !== undefined);
    if (!key) continue;
    const len = [...part.text].length;
    if (len > limits[key]!) failures.push({ check: 'length', message: `${part.label} is ${len} characters, over the ${key} limit of ${limits[key]}` });
  }

  return { pass: failures.length === 0, failures };
}

// ── helpers ──

/**
 * A JSON string that holds an object is read as that object (fenced ```json blocks unwrapped);
 * text.generate's output `{text, json?, model?, usage?, subject?, source?}` is read as its `{subject?, text}`.
 */
function normalise(output: unknown): unknown {
  if (isGenerated(output)) return output.subject !== undefined ? { subject: output.subject, text: output.text } : { text: output.text };
  if (typeof output === 'string') {
    const parsed = tryJson(output);
    if (parsed.ok && parsed.value !== null && typeof parsed.value === 'object') return parsed.value;
  }
  return output;
}

function stripFence(s: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(s);
  return m ? m[1]! : s;
}

function tryJson(s: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const t = stripFence(s).trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return { ok: false, message: 'output is not JSON (it does not start with { or [)' };
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch (e) {
    return { ok: false, message: `output is not valid JSON: ${(e as Error).message}` };
  }
}

/** The JSON value the schema check looks at: a parsed string, text.generate's `json` (or its `text` parsed), or the object itself. */
function jsonValueOf(output: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  if (typeof output === 'string') return tryJson(output);
  if (output === undefined || output === null) return { ok: false, message: 'output is empty: no JSON to check' };
  if (isGenerated(output)) {
    if (output.json !== undefined) return { ok: true, value: output.json };
    return tryJson(output.text);
  }
  return { ok: true, value: output };
}

const GENERATED_KEYS = ['text', 'json', 'jsonError', 'model', 'usage', 'subject', 'source'];
function isGenerated(v: unknown): v is { text: string; json?: unknown; subject?: unknown } {
  return isPlainObject(v) && typeof v.text === 'string' && Object.keys(v).every((k) => GENERATED_KEYS.includes(k));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every string in the value, joined by new lines (object keys are not content). */
function allText(v: unknown): string {
  const out: string[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (depth > 20) return;
    if (typeof x === 'string') out.push(x);
    else if (typeof x === 'number' || typeof x === 'boolean') out.push(String(x));
    else if (Array.isArray(x)) for (const y of x) walk(y, depth + 1);
    else if (x && typeof x === 'object') for (const y of Object.values(x)) walk(y, depth + 1);
  };
  walk(v, 0);
  return out.join('\n');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Case-insensitive whole-word/phrase search: "guarantee" does not match "guaranteed"; inner spaces match any whitespace. */
export function findPhrase(text: string, phrase: string): { index: number; length: number } | undefined {
  const words = phrase.trim().split(/\s+/).filter(Boolean).map(escapeRe);
  if (words.length === 0) return undefined;
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])${words.join('\\s+')}(?![\\p{L}\\p{N}_])`, 'iu');
  const m = re.exec(text);
  return m ? { index: m.index, length: m[0].length } : undefined;
}

/** A stage id like `in_delivery` is mentioned as "in_delivery", "in-delivery" or "in delivery". */
function stageMentioned(text: string, stage: string): boolean {
  if (findPhrase(text, stage)) return true;
  const spaced = stage.replace(/[_-]+/g, ' ');
  return spaced !== stage && findPhrase(text.replace(/[_-]+/g, ' '), spaced) !== undefined;
}

function excerpt(text: string, index: number, length: number): string {
  const from = Math.max(0, index - 30);
  const to = Math.min(text.length, index + length + 30);
  return `${from > 0 ? '…' : ''}${text.slice(from, to).replace(/\s+/g, ' ')}${to < text.length ? '…' : ''}`;
}

interface LengthPart {
  label: string;
  text: string;
  /** limit keys to try, most specific first */
  keys: (string | undefined)[];
}

/**
 * What to measure: a string output is measured against its destination (`sms`, `email.subject`,
 * `email.body`, …; `email` means the body); an object's subject/body/text/html fields against
 * `<destination>.<field>` (destination `email` by default; `text` counts as the e-mail body, and for
 * `sms` every field is the SMS), then `<destination>`, then the bare field name. Any other string field
 * is measured when maxLength names it.
 */
function lengthParts(value: unknown, destination: string | undefined): LengthPart[] {
  if (typeof value === 'string') {
    const d = destination;
    return [{ label: d ?? 'output', text: value, keys: d ? [d, d === 'email' ? 'email.body' : undefined] : ['text'] }];
  }
  if (!isPlainObject(value)) return [];
  const d = destination ?? 'email';
  const parts: LengthPart[] = [];
  for (const [field, v] of Object.entries(value)) {
    if (typeof v !== 'string') continue;
    const isText = (TEXT_FIELDS as readonly string[]).includes(field);
    parts.push({
      label: `${d}.${field}`,
      text: v,
      keys: [
        `${d}.${field}`,
        isText && d === 'email' && field === 'text' ? 'email.body' : undefined,
        isText && (d === 'sms' || field === 'body' || field === 'text') ? d : undefined,
        field,
      ],
    });
  }
  return parts;
}

/** A small JSON Schema subset (type, required, properties, items, enum, minLength, maxLength, minimum, maximum). */
export function miniValidate(schema: unknown, value: unknown, path: string): { path: string; message: string }[] {
  if (!isPlainObject(schema)) return [];
  const errs: { path: string; message: string }[] = [];
  const type = schema.type;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (!types.some((t) => typeMatches(String(t), value))) {
      errs.push({ path, message: `must be ${types.join(' or ')} (got ${jsonType(value)})` });
      return errs;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errs.push({ path, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errs.push({ path, message: `must have at least ${schema.minLength} characters` });
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errs.push({ path, message: `must have at most ${schema.maxLength} characters` });
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errs.push({ path, message: `must be >= ${schema.minimum}` });
    if (typeof schema.maximum === 'number' && value > schema.maximum) errs.push({ path, message: `must be <= ${schema.maximum}` });
  }
  if (isPlainObject(value)) {
    if (Array.isArray(schema.required)) {
      for (const k of schema.required) if (typeof k === 'string' && !(k in value)) errs.push({ path, message: `must have required property '${k}'` });
    }
    if (isPlainObject(schema.properties)) {
      for (const [k, sub] of Object.entries(schema.properties)) if (k in value) errs.push(...miniValidate(sub, value[k], `${path}/${k}`));
    }
  }
  if (Array.isArray(value) && isPlainObject(schema.items)) value.forEach((v, i) => errs.push(...miniValidate(schema.items, v, `${path}/${i}`)));
  return errs;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(t: string, v: unknown): boolean {
  switch (t) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'object':
      return isPlainObject(v);
    case 'array':
      return Array.isArray(v);
    case 'null':
      return v === null;
    default:
      return typeof v === t;
  }
}
