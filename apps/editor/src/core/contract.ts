// The trigger's payload contract as a field table (name, type, required, format, min/max) ⇄ JSON Schema.
export interface Row {
  name: string;
  type: string;
  required: boolean;
  format?: string;
  min?: number;
  max?: number;
}
export type Schema = { type?: string; required?: string[]; properties?: Record<string, Record<string, unknown>>; [k: string]: unknown };

/** The field table of a flat object schema; null when the schema has more than the table can show. */
export function schemaToRows(s: unknown): Row[] | null {
  if (s === undefined) return [];
  const sc = s as Schema;
  if (!sc || typeof sc !== 'object' || sc.type !== 'object') return null;
  if ((sc.required ?? []).some((r) => !(r in (sc.properties ?? {})))) return null;
  const rows: Row[] = [];
  for (const [name, p] of Object.entries(sc.properties ?? {})) {
    const known = new Set(['type', 'format', 'minimum', 'maximum', 'minLength', 'maxLength']);
    if (Object.keys(p).some((k) => !known.has(k)) || typeof p.type !== 'string') return null;
    const isNum = p.type === 'number' || p.type === 'integer';
    if (isNum ? p.minLength !== undefined || p.maxLength !== undefined : p.minimum !== undefined || p.maximum !== undefined) return null;
    rows.push({
      name,
      type: p.type,
      required: (sc.required ?? []).includes(name),
      format: p.format as string | undefined,
      min: (isNum ? p.minimum : p.minLength) as number | undefined,
      max: (isNum ? p.maximum : p.maxLength) as number | undefined,
    });
  }
  return rows;
}

export function rowsToSchema(rows: Row[], base: unknown): Schema {
  const b = (base && typeof base === 'object' ? base : {}) as Schema;
  const properties: Record<string, Record<string, unknown>> = {};
  for (const r of rows) {
    if (!r.name) continue;
    const isNum = r.type === 'number' || r.type === 'integer';
    const p: Record<string, unknown> = { type: r.type };
    if (r.format) p.format = r.format;
    if (r.min !== undefined) p[isNum ? 'minimum' : 'minLength'] = r.min;
    if (r.max !== undefined) p[isNum ? 'maximum' : 'maxLength'] = r.max;
    properties[r.name] = p;
  }
  const required = rows.filter((r) => r.required && r.name).map((r) => r.name);
  const out: Schema = { ...b, type: 'object' };
  if (required.length) out.required = required;
  else delete out.required;
  out.properties = properties;
  return out;
}

