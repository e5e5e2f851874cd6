import { Type } from '@sinclair/typebox';
import { defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'task.create',
  params: Type.Object({
    title: Type.String({ minLength: 1 }),
    due: Type.Optional(Type.String({ description: 'an ISO time, or a duration from now: 30m, 2d' })),
    owner: Type.Optional(Type.String()),
    record: Type.Optional(
      Type.Object({ entity: Type.String({ minLength: 1 }), key: Type.Union([Type.String({ minLength: 1 }), Type.Number()]) }, { description: "default: the run's record" }),
    ),
    notes: Type.Optional(Type.String()),
  }),
  outside: false,
  label: 'Create task',
  help: 'A to-do for you, with a due time.',
  fields: [
    { key: 'title', label: 'Title' },
    { key: 'due', label: 'Due in', placeholder: '24h' },
    { key: 'owner', label: 'Owner' },
    { key: 'notes', label: 'Notes', kind: 'textarea' },
  ],
  defaults: { title: 'Follow up with {{payload.email}}', due: '24h' },
  output: 'the task',
  summary: 'title',
});
