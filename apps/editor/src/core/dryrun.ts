// The engine's dry run, in the browser (the same code the runtime runs).
import * as engine from '@flowdesk/engine';
import type { DryRunResult } from '@flowdesk/engine';
import type { Flow } from '@flowdesk/schema';

type DryRun = (flow: Flow, input: { payload: unknown; headers?: Record<string, string>; now: string }) => DryRunResult;
const shared = engine as unknown as { dryRun?: DryRun };

export function runDry(flow: Flow, payload: unknown, headers?: Record<string, string>): DryRunResult {
  if (!shared.dryRun) {
    return { ok: false, errors: [{ path: '', message: 'the engine has no dryRun yet' }], path: [], edges: [], vars: {}, actions: [], status: 'failed' };
  }
  try {
    return shared.dryRun(flow, { payload, headers, now: new Date().toISOString() });
  } catch (e) {
    return { ok: false, errors: [{ path: '', message: (e as Error).message }], path: [], edges: [], vars: {}, actions: [], status: 'failed' };
  }
}
