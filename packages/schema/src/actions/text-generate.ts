import { Type } from '@sinclair/typebox';
import { defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'text.generate',
  params: Type.Object({
    template: Type.Optional(Type.Unknown({ description: 'the text (placeholders resolved); also the fallback when no endpoint is set' })),
    subject: Type.Optional(Type.String()),
    prompt: Type.Optional(Type.Unknown({ description: 'sent to the OpenAI-compatible endpoint when FLOWDESK_OPENAI_URL is set' })),
    system: Type.Optional(Type.Unknown()),
    model: Type.Optional(Type.String()),
    json: Type.Optional(Type.Boolean({ description: 'parse the text as JSON into `json`' })),
    temperature: Type.Optional(Type.Number()),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
  outside: true,
  label: 'Generate text',
  help: 'A template, or an OpenAI-compatible endpoint when configured.',
  fields: [
    { key: 'template', label: 'Template', kind: 'textarea' },
    { key: 'system', label: 'System prompt (LLM)', kind: 'textarea' },
    { key: 'prompt', label: 'Prompt (LLM)', kind: 'textarea' },
    { key: 'model', label: 'Model' },
  ],
  defaults: { template: 'Hi {{payload.name}}, …' },
  output: '`{text, subject?, json?}`',
});
