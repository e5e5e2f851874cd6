// A flow that waits for the founder's decision: approved → a welcome e-mail, rejected → nothing sent.
export function approvalFlow(opts: { timeout?: { after: string; decision: string } } = {}) {
  return {
    dsl: 1,
    id: 'approvals',
    name: 'Approvals',
    trigger: {
      type: 'webhook',
      path: 'approvals',
      auth: { type: 'none' },
      payloadSchema: { type: 'object', required: ['email', 'company'], properties: { email: { type: 'string' }, company: { type: 'string' } } },
      idempotencyKey: { var: 'payload.email' },
    },
    nodes: [
      { id: 'decide', type: 'review', queue: 'leads', title: 'Take on {{payload.company}} ({{payload.email}})?', decisions: ['approved', 'rejected'], sop: ['Check the company'], ...(opts.timeout ? { timeout: opts.timeout } : {}) },
      { id: 'welcome', type: 'action', action: 'email.send', params: { to: '{{payload.email}}', subject: 'Welcome aboard', text: 'Glad to work with you.' } },
      { id: 'done', type: 'end' },
      { id: 'declined', type: 'end' },
    ],
    edges: [
      { from: 'trigger', to: 'decide' },
      { from: 'decide', port: 'approved', to: 'welcome' },
      { from: 'decide', port: 'rejected', to: 'declined' },
      { from: 'welcome', to: 'done' },
    ],
  };
}

/** The decision links in a notification's text, by decision. */
export function linksIn(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^(\w+): (https?:\/\/\S+\/r\/\S+)$/gm)) out[m[1]!] = m[2]!;
  return out;
}
