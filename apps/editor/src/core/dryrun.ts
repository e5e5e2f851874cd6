// The engine's dry run, in the browser (the same code the runtime runs).
import type { DryRunResult } from '@flowdesk/engine';
import { loadEngine } from './shared.ts';
import type { Flow } from '@flowdesk/schema';

export interface DryRunChoices {
  /** review node → decision taken */
  decisions?: Record<string, string>;
  /** action node → pretend it failed for good */
  actionResults?: Record<string, 'ok' | 'error'>;
}

export async function runDry(flow: Flow, payload: unknown, headers?: Record<string, string>, choices: DryRunChoices = {}): Promise<DryRunResult> {
  try {
    const { dryRun } = await loadEngine();
    return dryRun(flow, { payload, headers, now: new Date().toISOString(), ...choices });
  } catch (e) {
    return { ok: false, errors: [{ path: '', message: (e as Error).message }], path: [], edges: [], vars: {}, actions: [], status: 'failed' };
  }
}
