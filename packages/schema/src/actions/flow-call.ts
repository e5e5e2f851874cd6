import { Type } from '@sinclair/typebox';
import { defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'flow.call',
  params: Type.Object({
    flowId: Type.String({ minLength: 1, description: 'a flow with a manual trigger; deploy refuses call cycles and chains deeper than 5' }),
    payload: Type.Optional(Type.Unknown({ description: "checked against that flow's contract" })),
  }),
  outside: false,
  label: 'Call another flow',
  help: "Starts another flow's manual trigger and waits for its result (its end's output).",
  fields: [
    { key: 'flowId', label: 'Flow id' },
    { key: 'payload', label: 'Payload (JSON)', kind: 'json' },
  ],
  defaults: { flowId: 'other-flow', payload: {} },
  output: "`{runId, output}` — the child's `end` `output`; a child that fails takes the `error` port",
  summary: 'flowId',
});
