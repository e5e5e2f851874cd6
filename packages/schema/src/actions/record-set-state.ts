import { Type } from '@sinclair/typebox';
import { defineAction, literalString } from '../spec/index.ts';


export default defineAction({
  type: 'record.setState',
  params: Type.Object({
    entity: Type.Optional(Type.String({ minLength: 1, description: "default: the run's record" })),
    key: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Number()], { description: "default: the run's record" })),
    state: Type.String({ minLength: 1 }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "merged into the record's data" })),
  }),
  outside: false,
  label: 'Set record state',
  help: 'Move a record (account, invoice) to a new state.',
  fields: [
    { key: 'entity', label: 'Entity' },
    { key: 'key', label: 'Key', kind: 'text' },
    { key: 'state', label: 'State' },
  ],
  defaults: { entity: 'account', key: '{{payload.email}}', state: 'qualified' },
  output: "the record's new state; an illegal transition fails the step",
  summary: 'state',
  check(p, c) {
    const states = c.states;
    if (!states) return;
    const record = c.flow.record as { entity?: unknown } | undefined;
    const entity = p.entity === undefined ? (typeof record?.entity === 'string' ? record.entity : undefined) : literalString(p.entity);
    const known = entity !== undefined && (p.entity === undefined ? states.has(entity) : states.entity(entity, 'entity'));
    if (known && literalString(p.state) !== undefined) states.state(entity, p.state, 'state');
  },
});
