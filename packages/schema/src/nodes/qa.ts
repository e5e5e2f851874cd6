import { Type, type Static } from '@sinclair/typebox';
import { Logic } from '../primitives.ts';
import { defineNode, nodeSchema } from '../spec/index.ts';

export const QaChecks = Type.Object(
  {
    schema: Type.Optional(Type.Unknown({ description: 'JSON Schema the generated JSON must satisfy' })),
    bannedTerms: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    context: Type.Optional(
      Type.Object({ account: Type.Optional(Logic), stage: Type.Optional(Logic), otherAccounts: Type.Optional(Logic) }, { additionalProperties: false }),
    ),
    maxLength: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 1 }))),
    destination: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type QaChecks = Static<typeof QaChecks>;

export default defineNode({
  type: 'qa',
  schema: nodeSchema('qa', { input: Logic, checks: QaChecks }),
  label: 'QA check',
  help: 'Check generated text before it goes out',
  icon: '✓',
  color: '#059669',
  ports: () => ['pass', 'fail'],
  cycleMayPass: false,
  check(node, c) {
    c.logic(node.input, 'input');
    const checks = node.checks as Record<string, unknown> | undefined;
    if (!checks || typeof checks !== 'object') return;
    if (checks.context && typeof checks.context === 'object') for (const [k, v] of Object.entries(checks.context)) c.logic(v, 'checks', 'context', k);
    if (checks.schema !== undefined) c.jsonSchema(checks.schema, 'schema', 'checks', 'schema');
  },
  summary: (n) => `checks: ${Object.keys(n.checks ?? {}).join(', ') || '—'}`,
  create: (id) => ({ id, type: 'qa' as const, input: { var: 'steps.draft.output' }, checks: { bannedTerms: [] } }),
  docs: {
    fields: '`input: <rule>`, `checks: {schema, bannedTerms, context: {account, stage, otherAccounts}, maxLength: {"email.subject": 78, "sms": 160}}`',
    ports: '`pass`, `fail`',
  },
});
