// The engine's dry run, in the browser (the same code the runtime runs). Code and JSONata steps run in
// the runtime's sandbox (POST /api/steps/sandbox: QuickJS, no I/O); pinned outputs stand in for steps.
import type { DryRunResult, SandboxCommand, SandboxResult } from '@flowdesk/engine';
import { post } from '../api.ts';
import { loadEngine } from './shared.ts';
import type { Flow } from '@flowdesk/schema';
import type { Pinned } from './pinned.ts';

export interface DryRunChoices {
  /** review node → decision taken */
  decisions?: Record<string, string>;
  /** action node → pretend it failed for good */
  actionResults?: Record<string, 'ok' | 'error'>;
  /** node → output standing in for it */
  pinned?: Pinned;
}

async function runtimeSandbox(cmd: SandboxCommand): Promise<SandboxResult> {
  try {
    return await post<SandboxResult>('/api/steps/sandbox', { nodeId: cmd.nodeId, language: cmd.language, source: cmd.source, input: cmd.input, now: cmd.now, seed: cmd.seed });
  } catch (e) {
    return { ok: false, reason: 'error', error: `the runtime could not run this step: ${(e as Error).message}` };
  }
}

export async function runDry(flow: Flow, payload: unknown, headers?: Record<string, string>, choices: DryRunChoices = {}): Promise<DryRunResult> {
  try {
    const { dryRunAsync } = await loadEngine();
    return await dryRunAsync(flow, { payload, headers, now: new Date().toISOString(), ...choices }, runtimeSandbox);
  } catch (e) {
    return { ok: false, errors: [{ path: '', message: (e as Error).message }], path: [], edges: [], vars: {}, actions: [], status: 'failed' };
  }
}
