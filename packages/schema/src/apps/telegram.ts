import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'telegram',
  label: 'Telegram bot',
  help: 'The bot token @BotFather gave you (123456789:AA…). The bot can only message chats that started it or groups it was added to.',
  baseUrl: 'https://api.telegram.org',
  auth: ['bearer'],
  credentialHint: '123456789:AA…',
  // the token is part of the URL path: https://api.telegram.org/bot<token>/<method>
  credentialUrlPrefix: '/bot',
});
