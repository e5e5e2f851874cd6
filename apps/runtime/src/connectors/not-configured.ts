// A step that ends `not-configured` raises one P1 alert per flow — not one per run: a fresh install
// sending a hundred leads through an unconnected Slack step pages the founder once. The mark that
// says "alerted" is cleared when a connection is created or changed, so a flow still unconfigured
// after that alerts again.
import type { Store } from '../store/types.ts';

export const NOT_CONFIGURED_MARK = 'not-configured-alert:';

/** True for the first caller per flow (until the marks are cleared): that one raises the alert. */
export async function firstNotConfigured(store: Store, flowId: string, at: string): Promise<boolean> {
  let first = false;
  await store.updateDoc('settings', NOT_CONFIGURED_MARK + flowId, (cur) => {
    if (cur) return undefined;
    first = true;
    return { id: NOT_CONFIGURED_MARK + flowId, flowId, at };
  });
  return first;
}

export async function clearNotConfiguredMarks(store: Store): Promise<void> {
  for (const d of await store.listDocs('settings')) if (d.id.startsWith(NOT_CONFIGURED_MARK)) await store.deleteDoc('settings', d.id);
}
