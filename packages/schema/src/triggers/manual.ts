import { Type } from '@sinclair/typebox';
import { Duration, Logic, PayloadSchema } from '../primitives.ts';
import { defineTrigger } from '../spec/index.ts';

export default defineTrigger({
  type: 'manual',
  schema: Type.Object(
    { type: Type.Literal('manual'), payloadSchema: Type.Optional(PayloadSchema), idempotencyKey: Type.Optional(Logic), dedupeWindow: Type.Optional(Duration) },
    { additionalProperties: false },
  ),
  label: 'Manual',
  help: 'Started by hand or by another flow',
  summary: () => 'started by hand or by another flow',
  docs: { fields: '`payloadSchema`, `idempotencyKey`, `dedupeWindow`: started from the editor, `POST /api/flows/:id/run` or a `flow.emit` action' },
});
