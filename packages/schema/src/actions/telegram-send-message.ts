import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'telegram.sendMessage',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a telegram connection (bot token)' })),
    chatId: Type.Union([Type.String({ pattern: '^(-?[0-9]{1,20}|@[A-Za-z0-9_]{5,32})$' }), Type.Integer()], { description: 'a chat id (a number; groups are negative) or @channelusername' }),
    text: Type.String({ minLength: 1, maxLength: 4096 }),
    parseMode: Type.Optional(Type.Union([Type.Literal('MarkdownV2'), Type.Literal('HTML')])),
    silent: Type.Optional(Type.Boolean({ description: 'deliver without a sound' })),
  }),
  outside: true,
  label: 'Telegram message',
  help: 'Sends a message from your Telegram bot (sendMessage).',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'chatId', label: 'Chat id or @channel' },
    { key: 'text', label: 'Text', kind: 'textarea' },
    { key: 'parseMode', label: 'Formatting', options: ['MarkdownV2', 'HTML'] },
    { key: 'silent', label: 'Silent (true/false)' },
  ],
  defaults: { connection: 'telegram', chatId: '123456789', text: 'New lead: {{payload.email}}' },
  output: '`{messageId, chatId}`',
  outputSchema: Type.Object({ messageId: Type.Integer(), chatId: Type.String() }),
  summary: 'chatId',
});
