import { Type } from '@sinclair/typebox';
import { defineAction, role } from '../spec/index.ts';

export default defineAction({
  type: 'report.weekly',
  params: Type.Object({
    to: Type.Optional(role(Type.String({ description: 'default: FLOWDESK_CONFIG_OWNER_EMAIL' }), 'email')),
    week: Type.Optional(Type.String({ description: 'YYYY-Www; default: the last full week' })),
    subject: Type.Optional(Type.String()),
  }),
  outside: true,
  label: 'Weekly report',
  help: 'Builds the weekly KPI report.',
  fields: [
    { key: 'to', label: 'Send to' },
    { key: 'week', label: 'Week (YYYY-Www, empty: last week)' },
    { key: 'subject', label: 'Subject' },
  ],
  defaults: {},
  output: '`{week, messageId}`',
  summary: 'to',
});
