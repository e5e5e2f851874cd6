// The shared validator and engine, loaded after the first render: compiling the DSL's JSON Schema
// (AJV) costs a few hundred ms on a slow machine, and the canvas should not wait for it.
type SchemaModule = typeof import('@flowdesk/schema');
type EngineModule = typeof import('@flowdesk/engine');

let schemaP: Promise<SchemaModule> | null = null;
let engineP: Promise<EngineModule> | null = null;
export const loadSchema = (): Promise<SchemaModule> => (schemaP ??= import('@flowdesk/schema'));
export const loadEngine = (): Promise<EngineModule> => (engineP ??= import('@flowdesk/engine'));
