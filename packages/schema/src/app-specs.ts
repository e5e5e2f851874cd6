// The app specs as one typed table (the apps connections are for), beside the action specs' table.
import { APP_SPECS } from './apps/index.ts';
import type { AppSpec } from './spec/app.ts';

export { APP_SPECS };
export type AnyAppSpec = (typeof APP_SPECS)[number];
export type AppId = AnyAppSpec['id'];

const byId = new Map<string, AppSpec>(APP_SPECS.map((a) => [a.id, a]));

/** The spec of an app; undefined for an id no spec defines. */
export function appSpec(id: string): AppSpec | undefined {
  return byId.get(id);
}
