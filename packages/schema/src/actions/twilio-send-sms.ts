import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'twilio.sendSms',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a twilio connection (Account SID and Auth Token, or an API key)' })),
    to: Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164, e.g. +14155550123' }),
    from: Type.String({ pattern: '^(\\+[1-9][0-9]{6,14}|MG[0-9a-fA-F]{32})$', description: 'your Twilio number (E.164) or a Messaging Service SID (MG…)' }),
    body: Type.String({ minLength: 1, maxLength: 1600 }),
    accountSid: Type.Optional(Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'needed when the connection is an API key (SK…); default: the connection\'s user name' })),
  }),
  outside: true,
  label: 'Twilio SMS',
  help: 'Sends a text message through Twilio (POST /2010-04-01/Accounts/{AccountSid}/Messages.json).',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'to', label: 'To' },
    { key: 'from', label: 'From (number or MG…)' },
    { key: 'body', label: 'Text', kind: 'textarea' },
    { key: 'accountSid', label: 'Account SID (API key connections)' },
  ],
  defaults: { connection: 'twilio', to: '{{payload.phone}}', from: '+15005550006', body: 'Thanks, we got your request!' },
  output: '`{sid, status}`: the message (`SM…`) and Twilio\'s status (`queued`)',
  outputSchema: Type.Object({ sid: Type.String(), status: Type.String() }),
  summary: 'to',
});
