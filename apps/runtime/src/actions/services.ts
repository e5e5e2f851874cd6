// The internal actions act on Flowdesk's own state through the runtime services.
import type { RuntimeServices } from '../runner/services.ts';
import type { ActionDeps } from './types.ts';

export function servicesOf(deps: ActionDeps): RuntimeServices {
  if (!deps.services) throw new Error('runtime services unavailable');
  return deps.services;
}
