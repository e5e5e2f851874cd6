// slack.postMessage: chat.postMessage with the connection's bot token (https://api.slack.com/methods/chat.postMessage).
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import slack from '../connectors/slack.ts';

export default defineExecutor(
  specOf('slack.postMessage'),
  httpConnector(slack, {
    request: (p) => ({ method: 'POST', path: '/api/chat.postMessage', json: { channel: p.channel, text: p.text, ...(p.blocks ? { blocks: p.blocks } : {}) } }),
    output: (res) => {
      const b = res.json as { channel?: unknown; ts?: unknown };
      return { channel: String(b.channel ?? ''), ts: String(b.ts ?? '') };
    },
  }),
);
