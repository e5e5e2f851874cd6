import { Type } from '@sinclair/typebox';
import { defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'alert.raise',
  params: Type.Object({
    message: Type.String({ minLength: 1 }),
    severity: Type.Optional(Type.String({ description: 'P0, P1 or P2 (default P2)' })),
    kind: Type.Optional(Type.String({ description: 'default: raised' })),
  }),
  outside: false,
  label: 'Raise alert',
  help: 'Page yourself (P0/P1/P2).',
  fields: [
    { key: 'message', label: 'Message' },
    { key: 'severity', label: 'Severity', kind: 'select', options: ['P0', 'P1', 'P2'] },
    { key: 'kind', label: 'Kind', placeholder: 'raised' },
  ],
  defaults: { message: 'Something needs attention', severity: 'P2' },
  output: '`{alertId, severity}`',
  summary: 'message',
});
