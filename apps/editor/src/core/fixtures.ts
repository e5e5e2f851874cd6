// Flows used by the core tests besides those in flows/: the design's example and edge cases.
import type { Flow } from '@flowdesk/schema';
import { leadQualificationFlow } from '@flowdesk/schema/fixtures';

/** The design's example (shared with the schema's tests). */
export const DESIGN_EXAMPLE: Flow = leadQualificationFlow();

export const NO_LAYOUT: Flow = {
  dsl: 1, id: 'no-layout', name: 'No layout', version: 3, active: false,
  trigger: { type: 'manual' },
  nodes: [
    { id: 'w', type: 'wait', for: '1d' },
    { id: 'a', type: 'action', action: 'email.send', params: { to: 'x@example.com' } },
    { id: 'e', type: 'end' },
  ],
  edges: [{ from: 'trigger', to: 'w' }, { from: 'w', to: 'a' }, { from: 'a', port: 'ok', to: 'e' }, { from: 'a', port: 'error', to: 'w' }],
};

export const STALE_LAYOUT: Flow = {
  dsl: 1, id: 'stale', name: 'Stale layout',
  trigger: { type: 'schedule', cron: '0 9 * * 1', timezone: 'Europe/Berlin' },
  nodes: [{ id: 'e', type: 'end' }],
  edges: [{ from: 'trigger', to: 'e' }],
  layout: { trigger: { x: 1.5, y: -20 }, gone: { x: 5, y: 5 } },
};
