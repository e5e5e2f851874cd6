// flow.call: starts another flow's manual trigger (once: the step's idempotency key dedupes it, and the
// child's run id is kept on the waiting step) and waits for its result. While the child runs, the step
// waits on a durable timer (it asks again every POLL_MS, and a finishing child wakes it at once).
import { specOf } from '@flowdesk/schema';
import { ActionFailure, defineExecutor } from './define.ts';
import { servicesOf } from './services.ts';

export const POLL_MS = 60_000;

export const flowCall = defineExecutor(specOf('flow.call'), async (p, { cmd, deps }) => {
  const previous = cmd.previousOutput as { runId?: unknown } | undefined;
  const childRunId = typeof previous?.runId === 'string' ? previous.runId : undefined;
  const child = await servicesOf(deps).callFlow(p.flowId, p.payload ?? {}, { runId: deps.run.id, nodeId: cmd.nodeId, flowId: deps.run.flowId, idempotencyKey: cmd.idempotencyKey }, childRunId);
  if (child.status === 'succeeded') return { output: { runId: child.runId, output: child.output ?? null } };
  if (child.status === 'failed' || child.status === 'dead' || child.status === 'cancelled') {
    throw new ActionFailure('error', `child run ${child.runId} of ${p.flowId} ${child.status}${child.error ? `: ${child.error}` : ''}`);
  }
  return { output: { runId: child.runId, status: child.status }, pending: { pollMs: POLL_MS } };
});

export default flowCall;
