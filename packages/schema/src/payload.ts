// Payload validation: a flow's trigger.payloadSchema (and a qa node's checks.schema) is a JSON Schema
// draft 2020-12, validated with AJV (ajv/dist/2020) plus ajv-formats on one shared instance.
// Strictness is AJV's default: unknown keywords refuse to compile; strictTypes/strictRequired are not
// turned on, so a schema without `type` (as most real ones are) compiles.
// Every payload regex — `pattern`, `patternProperties` and the formats that are regexes — runs on RE2
// (linear-regexp.ts): no contract pattern can make validation backtrack for minutes.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { AnySchema, ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import { toFieldErrors, type FieldError } from './ajv-errors.ts';
import { compileLinearRegExp, UnsupportedPatternError, type LinearRegExp } from './linear-regexp.ts';
import { linearFormats } from './linear-formats.ts';

export type { FieldError };

/** Thrown by compilePayloadSchema when AJV refuses a schema; the message says why. */
export class PayloadSchemaError extends Error {
  constructor(
    /** AJV's own words, e.g. `strict mode: unknown keyword: "requierd"` */
    readonly reason: string,
  ) {
    super(`payload schema does not compile: ${reason}`);
    this.name = 'PayloadSchemaError';
  }
}

export interface PayloadValidator {
  /** Every failing field of `payload` (empty when valid). Never throws. */
  validate(payload: unknown): FieldError[];
  /**
   * Patterns that cannot run in linear time (lookarounds, backreferences) and are therefore not
   * checked. Only with `unsupportedPatterns: 'skip'`, i.e. for flows stored before RE2; a deploy refuses them.
   */
  readonly skippedPatterns: readonly SkippedPattern[];
}

export interface SkippedPattern {
  /** JSON pointer into the schema, e.g. `/properties/code/pattern` */
  path: string;
  pattern: string;
  reason: string;
}

export interface CompileOptions {
  /**
   * `refuse` (default): a pattern RE2 cannot run is a PayloadSchemaError naming its path — what a
   * deploy does. `skip`: the pattern is not checked and listed in `skippedPatterns` — what a stored
   * flow gets, so an event is never refused for a contract written before this check existed.
   */
  unsupportedPatterns?: 'refuse' | 'skip';
}

// AJV's default strictTypes/strictTuples are "log": they only print warnings (e.g. `properties` without
// `type: "object"`), which is the shape of most real schemas. Those warnings are dropped, errors are not.
const quiet = { log() {}, warn() {}, error: (...args: unknown[]) => console.error(...args) };

// ownProperties: a payload parsed from JSON inherits `toString`, `constructor`, …; those must not count as
// present for `required` or be validated by `properties` (the JSON Schema Test Suite checks this).
// While one schema compiles (synchronously), the patterns RE2 could not take land here.
let unsupportedSink: UnsupportedPatternError[] = [];
const linearEngine: RegExpEngine = Object.assign(
  (pattern: string, u: string): LinearRegExp => {
    try {
      return compileLinearRegExp(pattern, u);
    } catch (e) {
      if (!(e instanceof UnsupportedPatternError)) throw e; // an invalid pattern: AJV refuses the schema
      unsupportedSink.push(e);
      // AJV keeps one compiled pattern per toString() for the instance's life: "skip" is this pattern's only form
      return { test: () => true, toString: () => `/${pattern}/${u}` };
    }
  },
  { code: 'flowdeskLinearRegExp' },
);

const ajv = new Ajv2020({ allErrors: true, ownProperties: true, logger: quiet, code: { regExp: linearEngine } });
addFormats(ajv);
for (const [name, format] of Object.entries(linearFormats())) ajv.addFormat(name, format);
// `$anchor` is a core 2020-12 keyword that AJV resolves (compile/resolve.ts) but never declares, so
// strict mode refuses it as "unknown keyword". Declared here as the annotation it is.
ajv.addKeyword({ keyword: '$anchor', schemaType: 'string' });

const byObject = new WeakMap<object, PayloadValidator>();
// The editor parses the document on every change, so the same schema arrives as new objects: a
// small content cache keeps it from recompiling. Bounded; the oldest entry goes first.
const byContent = new Map<string, PayloadValidator>();
const BY_CONTENT_MAX = 200;
const booleanValidators = new Map<boolean, PayloadValidator>();

const TRAILING_SLASH_HASH = /#\/?$/;

function wrap(fn: ValidateFunction, skippedPatterns: SkippedPattern[]): PayloadValidator {
  // `validate` does not use `this`: callers may pass it around unbound.
  const validate = (payload: unknown): FieldError[] => {
    try {
      return fn(payload) ? [] : toFieldErrors(fn.errors);
    } catch (e) {
      // AJV can overflow its stack on some $dynamicRef schemas: an answer, never a crash.
      return [{ path: '', message: `payload validation failed: ${(e as Error)?.message ?? String(e)}` }];
    }
  };
  return { validate, skippedPatterns };
}

/** Where each unsupported pattern sits in the schema (`pattern` values and `patternProperties` keys). */
function locate(schema: unknown, unsupported: UnsupportedPatternError[]): SkippedPattern[] {
  const reasons = new Map(unsupported.map((e) => [e.pattern, e.message]));
  const out: SkippedPattern[] = [];
  const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  const walk = (node: unknown, at: string) => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((v, i) => walk(v, `${at}/${i}`));
    for (const [k, v] of Object.entries(node)) {
      if (k === 'pattern' && typeof v === 'string' && reasons.has(v)) out.push({ path: `${at}/pattern`, pattern: v, reason: reasons.get(v)! });
      if (k === 'patternProperties' && v && typeof v === 'object') {
        for (const p of Object.keys(v)) if (reasons.has(p)) out.push({ path: `${at}/patternProperties/${esc(p)}`, pattern: p, reason: reasons.get(p)! });
      }
      walk(v, `${at}/${esc(k)}`);
    }
  };
  walk(schema, '');
  // a pattern AJV compiled but the walk did not find (e.g. behind an unusual keyword) is still reported
  for (const e of unsupported) if (!out.some((o) => o.pattern === e.pattern)) out.push({ path: '', pattern: e.pattern, reason: e.message });
  return out;
}

/**
 * Compiles the schema once. The shared instance keeps no trace of it afterwards (its `$id`s are
 * unregistered), so a new version of a flow may reuse the same `$id` with different content.
 */
function compileFresh(schema: AnySchema): PayloadValidator {
  const refsBefore = new Set(Object.keys(ajv.refs));
  const schemasBefore = new Set(Object.keys(ajv.schemas));
  unsupportedSink = [];
  try {
    const fn = ajv.compile(schema);
    return wrap(fn, unsupportedSink.length ? locate(schema, unsupportedSink) : []);
  } catch (e) {
    throw new PayloadSchemaError((e as Error)?.message ?? String(e));
  } finally {
    unsupportedSink = [];
    if (typeof schema === 'object') {
      const id = (schema as { $id?: unknown }).$id;
      const key = typeof id === 'string' ? id.replace(TRAILING_SLASH_HASH, '') : undefined;
      if (key === undefined || !refsBefore.has(key)) ajv.removeSchema(schema);
    }
    for (const k of Object.keys(ajv.refs)) if (!refsBefore.has(k)) delete ajv.refs[k];
    for (const k of Object.keys(ajv.schemas)) if (!schemasBefore.has(k)) delete ajv.schemas[k];
  }
}

/**
 * Compiles a JSON Schema (draft 2020-12) for payload validation. Throws PayloadSchemaError when AJV
 * refuses it (unknown keyword, invalid schema, unresolvable $ref, …) and, unless `unsupportedPatterns`
 * is `skip`, when a pattern cannot run in linear time. Compiled validators are cached on the schema
 * object, so each flow version compiles once.
 */
export function compilePayloadSchema(schema: unknown, opts: CompileOptions = {}): PayloadValidator {
  const v = compileCached(schema);
  if (v.skippedPatterns.length && opts.unsupportedPatterns !== 'skip') {
    throw new PayloadSchemaError(v.skippedPatterns.map((p) => (p.path ? `${p.path}: ${p.reason}` : p.reason)).join('; '));
  }
  return v;
}

function compileCached(schema: unknown): PayloadValidator {
  if (typeof schema === 'boolean') {
    let v = booleanValidators.get(schema);
    if (!v) booleanValidators.set(schema, (v = compileFresh(schema)));
    return v;
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new PayloadSchemaError('a JSON Schema must be an object or a boolean');
  }
  const hit = byObject.get(schema);
  if (hit) return hit;
  let content: string | undefined;
  try {
    content = JSON.stringify(schema);
  } catch {
    content = undefined; // not JSON (a cycle): AJV will say what is wrong with it
  }
  let v = content === undefined ? undefined : byContent.get(content);
  if (!v) {
    v = compileFresh(schema as AnySchema);
    if (content !== undefined) {
      if (byContent.size >= BY_CONTENT_MAX) byContent.delete(byContent.keys().next().value as string);
      byContent.set(content, v);
    }
  }
  byObject.set(schema, v);
  return v;
}

/** Whether AJV accepts the schema: null, or why not (PayloadSchemaError's `reason`). */
export function payloadSchemaProblem(schema: unknown): string | null {
  try {
    compilePayloadSchema(schema);
    return null;
  } catch (e) {
    return e instanceof PayloadSchemaError ? e.reason : String(e);
  }
}
