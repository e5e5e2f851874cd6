import { Type } from '@sinclair/typebox';
import { defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'flow.emit',
  params: Type.Object({
    flowId: Type.String({ minLength: 1, description: 'a flow with a manual trigger, or a webhook trigger (as an event on its hook, without the auth: its contract, key and window apply)' }),
    payload: Type.Optional(Type.Unknown({ description: "checked against that flow's contract" })),
  }),
  outside: true,
  label: 'Start another flow',
  help: "Starts another flow's manual trigger, or hands a webhook flow an event (its contract and dedupe key apply).",
  fields: [
    { key: 'flowId', label: 'Flow id' },
    { key: 'payload', label: 'Payload (JSON)', kind: 'json' },
  ],
  defaults: { flowId: 'other-flow', payload: {} },
  output: '`{runId, duplicate}`',
  summary: 'flowId',
});
