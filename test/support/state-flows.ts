// Flow and state-map documents for tests of changes checked against the state map.
import type { StateMap } from '@flowdesk/schema';
import type { Store } from '../../apps/runtime/src/store/types.ts';

/** A webhook flow (path = its id unless given) that ends by moving the payload's account into `state`. */
export const flowEndingIn = (id: string, state: string, path = id) => ({
  dsl: 1,
  id,
  name: id,
  trigger: { type: 'webhook', path, auth: { type: 'none' } },
  nodes: [{ id: 'end', type: 'end', exitState: { entity: 'account', key: { var: 'payload.email' }, state } }],
  edges: [{ from: 'trigger', to: 'end' }],
});

/** `map` with an account state `state` added (no moves out of it). */
export const withAccountState = (map: StateMap, state: string): StateMap => {
  const account = map.entities.account!;
  return { ...map, entities: { ...map.entities, account: { ...account, states: { ...account.states, [state]: { owner: 'founder', next: [] } } } } };
};

/**
 * Makes `store.listFlows` answer 15 ms late (as a busy database does). Every change checked against the
 * stored flows lists them, so two changes sent at once would both be checked before either wrote —
 * unless they are run one at a time.
 */
export function slowFlowListing(store: Store): void {
  const listFlows = store.listFlows.bind(store);
  store.listFlows = async () => {
    const flows = await listFlows();
    await new Promise((r) => setTimeout(r, 15));
    return flows;
  };
}
