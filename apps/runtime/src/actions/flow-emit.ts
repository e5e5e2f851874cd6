// flow.emit: starts another flow's manual trigger with a payload (or hands a webhook flow an event); the
// target's key rule, else the step's idempotency key, makes a repeated attempt start that run once.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { servicesOf } from './services.ts';

export const flowEmit = defineExecutor(specOf('flow.emit'), async (p, { cmd, deps }) => ({
  output: await servicesOf(deps).emitFlow(p.flowId, p.payload ?? {}, { runId: deps.run.id, nodeId: cmd.nodeId, idempotencyKey: cmd.idempotencyKey }),
}));

export default flowEmit;
