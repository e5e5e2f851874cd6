// record.setState: moves a record (the run's own unless params name one) into a state, checked against
// the state map; an illegal transition fails the step.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { servicesOf } from './services.ts';

export const recordSetState = defineExecutor(specOf('record.setState'), async (p, { cmd, deps }) => {
  const entity = p.entity ?? deps.run.record?.entity;
  const key = p.key !== undefined ? String(p.key) : deps.run.record?.key;
  if (!entity) throw new Error('params.entity is required (the run concerns no record)');
  if (!key) throw new Error('params.key is required (the run concerns no record)');
  const rec = await servicesOf(deps).setRecordState({ entity, key, state: p.state, data: p.data, cause: { runId: deps.run.id, nodeId: cmd.nodeId } });
  return { output: { entity: rec.entity, key: rec.key, state: rec.state, previous: rec.history[rec.history.length - 1]?.from ?? null } };
});

export default recordSetState;
