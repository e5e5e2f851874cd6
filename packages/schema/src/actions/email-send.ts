import { Type } from '@sinclair/typebox';
import { defineAction, role } from '../spec/index.ts';

const addresses = (description: string) => role(Type.Union([Type.String(), Type.Array(Type.String())], { description }), 'email');

export default defineAction({
  type: 'email.send',
  params: Type.Object({
    to: addresses('one address, a comma-separated list or an array; a value built from the event must be one address'),
    subject: Type.String({ minLength: 1 }),
    text: Type.Optional(Type.Unknown({ description: 'the plain-text body (text or html is required)' })),
    html: Type.Optional(Type.String()),
    from: Type.Optional(role(Type.String(), 'email')),
    cc: Type.Optional(addresses('copies: one address, a list or an array; a value built from the event must be one address')),
    replyTo: Type.Optional(role(Type.String(), 'email')),
  }),
  outside: true,
  label: 'Send e-mail',
  help: 'SMTP when configured, otherwise the local outbox.',
  fields: [
    { key: 'to', label: 'To', kind: 'text' },
    { key: 'subject', label: 'Subject' },
    { key: 'text', label: 'Text', kind: 'textarea' },
  ],
  defaults: { to: '{{payload.email}}', subject: 'Hello', text: 'Thanks for getting in touch.' },
  output: '`{messageId, transport}` (SMTP, or the local outbox when no SMTP is set)',
  summary: 'to',
});
