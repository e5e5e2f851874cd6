import { Type } from '@sinclair/typebox';
import { Logic } from '../primitives.ts';
import { defineTrigger } from '../spec/index.ts';

export default defineTrigger({
  type: 'record',
  schema: Type.Object(
    { type: Type.Literal('record'), entity: Type.String({ minLength: 1 }), state: Type.String({ minLength: 1 }), filter: Type.Optional(Logic) },
    { additionalProperties: false },
  ),
  label: 'Record',
  help: 'Starts a run each time a record enters a state',
  summary: (t) => `${t.entity} enters “${t.state}”`,
  check(t, c) {
    c.states?.both(t);
  },
  docs: { fields: '`entity`, `state`, `filter`: fires once per entry of a record into the state (payload `{entity, key, state, from, data, transitionId}`)' },
});
