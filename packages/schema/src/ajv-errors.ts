// AJV error objects → `{path, message}` with a JSON pointer to the failing field.
import type { ErrorObject } from 'ajv';
import { joinPointer } from './pointer.ts';

export interface FieldError {
  /** JSON pointer of the failing value, e.g. `/email` or `/items/0/sku`; `""` for the document itself */
  path: string;
  message: string;
}

/**
 * The pointer of the field an AJV error is about. Errors that AJV reports on the containing object
 * (a missing required property, an unknown property, a bad property name) point at the property.
 */
export function ajvErrorPath(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
    case 'dependentRequired':
    case 'dependencies':
      return typeof p.missingProperty === 'string' ? joinPointer(e.instancePath, p.missingProperty) : e.instancePath;
    case 'additionalProperties':
      return typeof p.additionalProperty === 'string' ? joinPointer(e.instancePath, p.additionalProperty) : e.instancePath;
    case 'unevaluatedProperties':
      return typeof p.unevaluatedProperty === 'string' ? joinPointer(e.instancePath, p.unevaluatedProperty) : e.instancePath;
    default:
      if (typeof p.propertyName === 'string') return joinPointer(e.instancePath, p.propertyName);
      return e.instancePath;
  }
}

/** The message of an AJV error, made to read well next to the pointer of `ajvErrorPath`. */
export function ajvErrorMessage(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown property "${String(p.additionalProperty)}" (must NOT have additional properties)`;
    case 'unevaluatedProperties':
      return `unknown property "${String(p.unevaluatedProperty)}" (must NOT have unevaluated properties)`;
    case 'enum':
      return Array.isArray(p.allowedValues) ? `must be one of ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : (e.message ?? 'invalid');
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    default:
      return e.message ?? `fails "${e.keyword}"`;
  }
}

/** Maps AJV errors to field errors, dropping exact repeats (allErrors can report one failure twice). */
export function toFieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    // propertyNames: the inner error already names the property; the summary adds nothing
    if (e.keyword === 'propertyNames') continue;
    const fe = { path: ajvErrorPath(e), message: ajvErrorMessage(e) };
    const key = `${fe.path}\u0000${fe.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(fe);
  }
  return out;
}
