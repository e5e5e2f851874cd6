import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'slack.postMessage',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a slack connection (bot token or OAuth2)' })),
    channel: Type.String({ minLength: 1, description: 'a channel id (C…) or #name the bot is in' }),
    text: Type.String({ minLength: 1, description: 'the message (also the notification text when blocks are given)' }),
    blocks: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'Block Kit blocks' })),
  }),
  outside: true,
  label: 'Slack message',
  help: 'Posts to a Slack channel with a bot token (chat.postMessage).',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'channel', label: 'Channel', placeholder: '#leads' },
    { key: 'text', label: 'Text', kind: 'textarea' },
    { key: 'blocks', label: 'Blocks (JSON)', kind: 'json' },
  ],
  defaults: { connection: 'slack', channel: '#general', text: 'New lead: {{payload.email}}' },
  output: "`{channel, ts}`: the channel id and the message's timestamp (its id in Slack)",
  outputSchema: Type.Object({ channel: Type.String(), ts: Type.String() }),
  summary: 'channel',
});
