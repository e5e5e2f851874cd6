// telegram.sendMessage: POST /bot<token>/sendMessage (https://core.telegram.org/bots/api#sendmessage).
// The token is in the path: step errors show the path with it cut out.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import telegram from '../connectors/telegram.ts';

export default defineExecutor(
  specOf('telegram.sendMessage'),
  httpConnector(telegram, {
    request: (p) => ({
      method: 'POST',
      path: '/bot{credential}/sendMessage',
      json: { chat_id: p.chatId, text: p.text, ...(p.parseMode ? { parse_mode: p.parseMode } : {}), ...(p.silent ? { disable_notification: true } : {}) },
    }),
    output: (res) => {
      const r = (res.json as { result?: { message_id?: unknown; chat?: { id?: unknown } } }).result;
      return { messageId: Number(r?.message_id ?? 0), chatId: String(r?.chat?.id ?? '') };
    },
  }),
);
