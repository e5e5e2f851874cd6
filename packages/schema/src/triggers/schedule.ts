import { Type } from '@sinclair/typebox';
import { defineTrigger } from '../spec/index.ts';

export default defineTrigger({
  type: 'schedule',
  schema: Type.Object(
    { type: Type.Literal('schedule'), cron: Type.String({ minLength: 1 }), timezone: Type.Optional(Type.String({ minLength: 1 })), payload: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  ),
  label: 'Schedule',
  help: 'Starts a run on a cron schedule',
  summary: (t) => `cron ${t.cron}${t.timezone ? ` (${t.timezone})` : ''}`,
  docs: { fields: '`cron`, `timezone` (IANA), `payload`; a slot missed while the runtime was down fires once' },
});
