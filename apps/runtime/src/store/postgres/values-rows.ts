// A batch's rows as the typed parameters of one VALUES list — ($1::text, $2::json, …), (…) — for the hot
// path's multi-row statements. PostgreSQL reads each value once with its type's input function, so a run
// document is parsed once; a batch sent as one json parameter through json_to_recordset was parsed whole
// and then each json field again (bench/pg-values-rows.ts: about a quarter less database CPU per run).
// Text parameters carry any escape a document holds (\u0000, a lone surrogate) exactly, as `$n::json`.
// The list is padded with NULL rows up to a power of two, which the statement skips (its first column
// IS NOT NULL): a connection prepares one plan per size class, not one per batch size.

export interface RowShape {
  /** column names, the first one never NULL in a real row */
  names: readonly string[];
  /** their PostgreSQL types, for the parameters' casts */
  types: readonly string[];
}

export interface RowsStatement {
  name: string;
  text: string;
  values: unknown[];
}

/** A shape from `[name, type]` pairs. */
export const rowShape = (cols: readonly (readonly [name: string, type: string])[]): RowShape => ({ names: cols.map(([n]) => n), types: cols.map(([, t]) => t) });

/** Rows per statement at most: eight size classes (1 … 128) keep a connection's prepared plans few and small. */
export const MAX_ROWS = 128;

/** The smallest power of two ≥ n (1 for 0 or 1). */
export const sizeClass = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

/** `SELECT * FROM (VALUES ($1::t1, …), …) AS v(c1, …) WHERE v.c1 IS NOT NULL` for `rows` rows. */
export function rowsSource(shape: RowShape, rows: number): string {
  const width = shape.names.length;
  const tuples = Array.from({ length: rows }, (_, r) => `(${shape.types.map((t, c) => `$${r * width + c + 1}::${t}`).join(', ')})`);
  return `SELECT * FROM (VALUES ${tuples.join(', ')}) AS v(${shape.names.join(', ')}) WHERE v.${shape.names[0]} IS NOT NULL`;
}

/**
 * A statement over a batch's rows: `sql(source)` is given the rows' SELECT (see rowsSource) and returns
 * the statement. Each size class's text is built once and prepared under `<name>_<size>`.
 */
export function rowsStatement(name: string, shape: RowShape, sql: (source: string) => string): (rows: readonly (readonly unknown[])[]) => RowsStatement {
  const texts = new Map<number, string>();
  const width = shape.names.length;
  return (rows) => {
    if (rows.length > MAX_ROWS) throw new Error(`${name}: ${rows.length} rows, more than ${MAX_ROWS} a statement`);
    const size = sizeClass(rows.length);
    let text = texts.get(size);
    if (text === undefined) texts.set(size, (text = sql(rowsSource(shape, size))));
    const values: unknown[] = new Array(size * width).fill(null);
    rows.forEach((row, r) => {
      if (row.length !== width) throw new Error(`${name}: a row of ${row.length} values for ${width} columns`);
      for (let c = 0; c < width; c++) values[r * width + c] = row[c];
    });
    return { name: `${name}_${size}`, text, values };
  };
}
