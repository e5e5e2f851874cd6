// twilio.sendSms: POST /2010-04-01/Accounts/{AccountSid}/Messages.json (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource).
// Twilio has no idempotency key for messages: a retry after a lost answer can send the text twice.
import { specOf } from '@flowdesk/schema';
import { ActionFailure, defineExecutor } from './define.ts';
import { connectionFor } from '../connectors/credentials.ts';
import { sendAs } from '../connectors/define.ts';
import twilio from '../connectors/twilio.ts';

export default defineExecutor(specOf('twilio.sendSms'), async (p, { cmd, deps }) => {
  const c = await connectionFor(deps.connections, p.connection, ['twilio'], cmd.action);
  const account = p.accountSid ?? (c.auth.type === 'basic' ? c.auth.username : '');
  if (!/^AC[0-9a-fA-F]{32}$/.test(account)) throw new ActionFailure('error', `twilio.sendSms: connection "${c.id}" is not an Account SID (AC…): set accountSid on the node`);
  const res = await sendAs(
    twilio,
    c,
    {
      method: 'POST',
      path: `/2010-04-01/Accounts/${account}/Messages.json`,
      form: { To: p.to, ...(p.from.startsWith('MG') ? { MessagingServiceSid: p.from } : { From: p.from }), Body: p.body },
    },
    { vault: deps.connections!, nowMs: () => deps.clock.now(), cause: { flowId: deps.run.flowId, runId: deps.run.id, nodeId: cmd.nodeId }, timeoutMs: cmd.timeoutMs },
  );
  const b = res.json as { sid?: unknown; status?: unknown };
  return { status: res.status, output: { sid: String(b.sid ?? ''), status: String(b.status ?? '') } };
});
