import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'slack.sendWebhook',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a slack-webhook connection (the incoming webhook URL)' })),
    text: Type.String({ minLength: 1 }),
    blocks: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'Block Kit blocks' })),
  }),
  outside: true,
  apps: ['slack-webhook'],
  label: 'Slack webhook',
  help: "Posts to the channel of a Slack incoming webhook.",
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'text', label: 'Text', kind: 'textarea' },
    { key: 'blocks', label: 'Blocks (JSON)', kind: 'json' },
  ],
  defaults: { connection: 'slack-webhook', text: 'New lead: {{payload.email}}' },
  output: '`{delivered: true}`',
  outputSchema: Type.Object({ delivered: Type.Boolean() }),
  summary: 'text',
});
