// The runner hooks that feed observability: a finished run → its KPI fact + flowdesk_runs_total + a log
// line; a finished step → flowdesk_step_duration_seconds. Pass to startRuntime({ hooks }).
import type { Flow, Run } from '@flowdesk/schema';
import type { Logger } from '../observability/logger.ts';
import type { RunnerHooks } from '../runner/runner.ts';
import type { Store } from '../store/types.ts';
import { recordRunFact } from './kpi-facts.ts';
import type { Metrics } from './metrics.ts';

export interface ObservabilityHooksOptions {
  /** the store (a function: the hooks are built before startRuntime returns the store) */
  store: () => Store | undefined;
  metrics?: Pick<Metrics, 'runFinished' | 'stepFinished'>;
  log?: Logger;
}

export function observabilityHooks(opts: ObservabilityHooksOptions): Required<Pick<RunnerHooks, 'onRunFinished' | 'onStep'>> {
  return {
    async onRunFinished(run: Run, flow: Flow) {
      opts.metrics?.runFinished(run.flowId, run.status);
      const store = opts.store();
      if (!store) return;
      try {
        await recordRunFact(store, run, flow);
      } catch (e) {
        // a KPI fact must never fail the run; backfillRunFacts repairs a gap later
        opts.log?.error({ runId: run.id, flowId: run.flowId, err: (e as Error).message }, 'could not record the KPI fact of a finished run');
      }
    },
    onStep(flowId: string, nodeId: string, ms: number) {
      opts.metrics?.stepFinished(flowId, nodeId, ms);
    },
  };
}
