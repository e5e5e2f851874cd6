// The published JSON Schema documents, generated from the TypeBox sources (dsl.ts, state-map.ts).
// scripts/build-schema.ts writes them to flow.schema.json and state-map.schema.json; a test checks that
// the committed files equal what this module generates.
import type { TSchema } from '@sinclair/typebox';
import { Flow, FLOW_SCHEMA_ID } from './dsl.ts';
import { StateMapSchema, STATE_MAP_SCHEMA_ID } from './state-map.ts';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** A TypeBox schema as plain JSON (no symbol keys), with `$schema`, `$id` and `title` first. */
function publish(schema: TSchema, id: string): Record<string, unknown> {
  const { $id: _id, title, ...rest } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return { $schema: JSON_SCHEMA_DIALECT, $id: id, title, ...rest };
}

/** The flow DSL v1 as a JSON Schema (draft 2020-12). */
export const flowJsonSchema: Readonly<Record<string, unknown>> = publish(Flow, FLOW_SCHEMA_ID);

/** The state map as a JSON Schema (draft 2020-12). */
export const stateMapJsonSchema: Readonly<Record<string, unknown>> = publish(StateMapSchema, STATE_MAP_SCHEMA_ID);

/** The generated files, by path relative to packages/schema, exactly as they are written. */
export function schemaFiles(): Record<string, string> {
  return {
    'flow.schema.json': `${JSON.stringify(flowJsonSchema, null, 2)}\n`,
    'state-map.schema.json': `${JSON.stringify(stateMapJsonSchema, null, 2)}\n`,
  };
}
