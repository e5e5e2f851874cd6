// What a new node or flow looks like: one place, used by the palette and by "New flow".
import type { ActionType, Flow, FlowNode } from '@flowdesk/schema';

export interface ParamField {
  key: string;
  label: string;
  kind: 'text' | 'textarea' | 'select' | 'json';
  options?: string[];
  placeholder?: string;
}

/** Action types: their default params and the fields of their form. */
export const ACTIONS: Record<ActionType, { label: string; help: string; params: Record<string, unknown>; fields: ParamField[] }> = {
  'http.request': {
    label: 'HTTP request',
    help: 'Call an API (a CRM, a webhook). Retries on 5xx, 429, timeouts.',
    params: { method: 'POST', url: 'https://example.com/hook', body: { email: '{{payload.email}}' } },
    fields: [
      { key: 'method', label: 'Method', kind: 'select', options: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
      { key: 'url', label: 'URL', kind: 'text', placeholder: '{{config.CRM_URL}}/leads' },
      { key: 'headers', label: 'Headers (JSON)', kind: 'json' },
      { key: 'body', label: 'Body (JSON)', kind: 'json' },
    ],
  },
  'email.send': {
    label: 'Send e-mail',
    help: 'SMTP when configured, otherwise the local outbox.',
    params: { to: '{{payload.email}}', subject: 'Hello', text: 'Thanks for getting in touch.' },
    fields: [
      { key: 'to', label: 'To', kind: 'text' },
      { key: 'subject', label: 'Subject', kind: 'text' },
      { key: 'text', label: 'Text', kind: 'textarea' },
    ],
  },
  'record.setState': {
    label: 'Set record state',
    help: 'Move a record (account, invoice) to a new state.',
    params: { entity: 'account', key: '{{payload.email}}', state: 'qualified' },
    fields: [
      { key: 'entity', label: 'Entity', kind: 'text' },
      { key: 'key', label: 'Key', kind: 'text' },
      { key: 'state', label: 'State', kind: 'text' },
    ],
  },
  'task.create': {
    label: 'Create task',
    help: 'A to-do for you, with a due time.',
    params: { title: 'Follow up with {{payload.email}}', due: '24h' },
    fields: [
      { key: 'title', label: 'Title', kind: 'text' },
      { key: 'due', label: 'Due in', kind: 'text', placeholder: '24h' },
      { key: 'owner', label: 'Owner', kind: 'text' },
      { key: 'notes', label: 'Notes', kind: 'textarea' },
    ],
  },
  'text.generate': {
    label: 'Generate text',
    help: 'A template, or an OpenAI-compatible endpoint when configured.',
    params: { template: 'Hi {{payload.name}}, …' },
    fields: [
      { key: 'template', label: 'Template', kind: 'textarea' },
      { key: 'system', label: 'System prompt (LLM)', kind: 'textarea' },
      { key: 'prompt', label: 'Prompt (LLM)', kind: 'textarea' },
      { key: 'model', label: 'Model', kind: 'text' },
    ],
  },
  'alert.raise': {
    label: 'Raise alert',
    help: 'Page yourself (P0/P1/P2).',
    params: { message: 'Something needs attention', severity: 'P2' },
    fields: [
      { key: 'message', label: 'Message', kind: 'text' },
      { key: 'severity', label: 'Severity', kind: 'select', options: ['P0', 'P1', 'P2'] },
      { key: 'kind', label: 'Kind', kind: 'text', placeholder: 'raised' },
    ],
  },
  'flow.emit': {
    label: 'Start another flow',
    help: "Starts another flow's manual trigger.",
    params: { flowId: 'other-flow', payload: {} },
    fields: [
      { key: 'flowId', label: 'Flow id', kind: 'text' },
      { key: 'payload', label: 'Payload (JSON)', kind: 'json' },
    ],
  },
  'report.weekly': {
    label: 'Weekly report',
    help: 'Builds the weekly KPI report.',
    params: {},
    fields: [
      { key: 'to', label: 'Send to', kind: 'text' },
      { key: 'week', label: 'Week (YYYY-Www, empty: last week)', kind: 'text' },
      { key: 'subject', label: 'Subject', kind: 'text' },
    ],
  },
};

export function newNode(type: FlowNode['type'], id: string, action?: ActionType): FlowNode {
  switch (type) {
    case 'compute':
      return { id, type, set: { score: 0 } };
    case 'route':
      return { id, type, rules: [{ port: 'yes', when: { '>=': [{ var: 'vars.score' }, ''] } }], default: 'no' };
    case 'action': {
      const a = action ?? 'http.request';
      return { id, type, action: a, params: structuredClone(ACTIONS[a].params) };
    }
    case 'wait':
      return { id, type, for: '1d' };
    case 'review':
      return { id, type, queue: 'inbox', decisions: ['approved', 'rejected'], sop: ['Check the details'] };
    case 'qa':
      return { id, type, input: { var: 'steps.draft.output' }, checks: { bannedTerms: [] } };
    case 'end':
      return { id, type };
  }
}

export function newFlow(id: string, name: string): Flow {
  return {
    dsl: 1,
    id,
    name,
    trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
    nodes: [],
    edges: [],
    layout: { trigger: { x: 0, y: 0 } },
    samples: [{ name: 'example', payload: {} }],
  };
}

/** Every action type of the DSL (ACTIONS is typed Record<ActionType, …>, so none can be missing). */
export const ACTION_KINDS = Object.keys(ACTIONS) as ActionType[];
