// slack.sendWebhook: a message to a Slack incoming webhook (its URL's tail is the connection's credential).
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import slackWebhook from '../connectors/slack-webhook.ts';

export default defineExecutor(
  specOf('slack.sendWebhook'),
  httpConnector(slackWebhook, {
    request: (p) => ({ method: 'POST', path: '/services/{credential}', json: { text: p.text, ...(p.blocks ? { blocks: p.blocks } : {}) } }),
    output: () => ({ delivered: true }),
  }),
);
