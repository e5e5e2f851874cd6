// The poll trigger's read: one conditional GET (If-None-Match / If-Modified-Since from the last
// answer) through the egress guard — the URL is the owner's (written in the flow or from config), so
// loopback and private hosts are allowed and link-local/metadata refused, as for http.request. The
// body is JSON (items by the trigger's rule) or RSS/Atom (rss-parser). Each item's key (the trigger's
// itemKey rule, else its id/guid/link/url) is looked up in the durable seen-set; a new one starts a
// run, keyed the same way, so a crash before the seen-set is written repeats no run. The first read
// marks what is there as seen (unless backfill). Seen keys older than seenWindow are forgotten.
import { evaluateLogic, normaliseKey } from '@flowdesk/engine';
import { DEFAULT_ITEM_KEYS, parseDuration, type Flow, type TriggerOf } from '@flowdesk/schema';
import { egressPolicy, egressRequest } from '../security/egress.ts';
import { admitItem } from './admit-item.ts';
import { saveState, type TriggerState } from './trigger-state.ts';
import type { PollerDeps, ReadGuard, ReadResult } from './pollers.ts';

export type PollTrigger = TriggerOf<'poll'>;
export const ITEMS_PER_READ = 500;
export const MAX_SEEN_KEYS = 10_000;
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
const DEFAULT_SEEN_WINDOW = '30d';
const TIMEOUT_MS = 30_000;

export const pollSource = (t: PollTrigger): string => `${t.format ?? 'json'} ${t.url}`;

/** The URL with `{{config.NAME}}` replaced (the owner's setting; the schema allows it only at the start). */
export function resolvePollUrl(url: string, config: (name: string) => string | undefined): URL {
  const resolved = url.replace(/^\{\{config\.([A-Z][A-Z0-9_]*)\}\}/, (_m, name: string) => {
    const v = config(name);
    if (v === undefined) throw new Error(`url: config ${name} is not set (FLOWDESK_CONFIG_${name})`);
    return v;
  });
  try {
    return new URL(resolved);
  } catch {
    throw new Error(`url: "${resolved}" is not a URL`);
  }
}

export function itemKey(t: PollTrigger, item: unknown): string | null {
  if (t.itemKey !== undefined) return normaliseKey(evaluateLogic(t.itemKey, { item }, 'trigger.itemKey'));
  if (item && typeof item === 'object') {
    for (const k of DEFAULT_ITEM_KEYS) {
      const v = normaliseKey((item as Record<string, unknown>)[k]);
      if (v !== null) return v;
    }
  }
  return null;
}

export async function pollUrl(flow: Flow & { trigger: PollTrigger }, state: TriggerState, deps: PollerDeps, guard: ReadGuard = { lost: false }): Promise<ReadResult & { state: TriggerState }> {
  const t = flow.trigger;
  const url = resolvePollUrl(t.url, (n) => deps.secrets.config(n));
  const headers: Record<string, string> = {
    accept: t.format === 'feed' ? 'application/rss+xml, application/atom+xml, application/xml, text/xml' : 'application/json',
    'user-agent': 'Flowdesk poll trigger',
  };
  if (state.etag) headers['if-none-match'] = state.etag;
  if (state.lastModified) headers['if-modified-since'] = state.lastModified;
  const res = await egressRequest({ url, method: 'GET', headers, originFromEvent: false, credential: false, timeoutMs: TIMEOUT_MS, maxBodyBytes: MAX_BODY_BYTES + 1 }, egressPolicy(deps.env));
  if (res.status === 304) return { started: 0, more: false, state };
  if (res.status < 200 || res.status > 299) throw new Error(`GET ${url.origin}${url.pathname} answered ${res.status}`);
  if (Buffer.byteLength(res.text) > MAX_BODY_BYTES) throw new Error(`GET ${url.origin}${url.pathname}: body over ${MAX_BODY_BYTES} bytes`);
  const items = await parseItems(t, res.text);

  const now = deps.clock.now();
  const windowMs = parseDuration(t.seenWindow ?? DEFAULT_SEEN_WINDOW);
  const first = state.seen === undefined;
  const seen: Record<string, number> = { ...(state.seen ?? {}) };
  // feeds list the newest first: start the oldest first
  const ordered = t.format === 'feed' ? [...items].reverse() : items;
  let started = 0;
  let fresh = 0;
  let partial = false; // items left for the next read: its GET must not be answered 304
  for (const item of ordered) {
    const key = itemKey(t, item);
    if (key === null) {
      deps.log.warn({ flowId: flow.id }, 'poll trigger: an item has no key (itemKey rule, or id/guid/link/url); skipped');
      continue;
    }
    if (Object.hasOwn(seen, key)) continue;
    if (first && !t.backfill) {
      seen[key] = now;
      continue;
    }
    // over the per-read cap, or the lease is gone: what was started goes into the seen-set below
    if (fresh >= ITEMS_PER_READ || guard.lost) {
      partial = true;
      break;
    }
    fresh++;
    const outcome = await admitItem(flow, { kind: 'poll', url: `${url.origin}${url.pathname}`, key, windowMs }, item, deps);
    if (outcome === 'started') started++;
    seen[key] = now;
  }
  // forget keys past the window, and the oldest beyond the cap
  const kept = Object.entries(seen)
    .filter(([, at]) => now - at <= windowMs)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_SEEN_KEYS);
  const etag = partial ? undefined : header(res.headers.etag);
  const lastModified = partial ? undefined : header(res.headers['last-modified']);
  const next: TriggerState = { ...state, seen: Object.fromEntries(kept), etag, lastModified };
  if (!etag) delete next.etag;
  if (!lastModified) delete next.lastModified;
  await saveState(deps.store, next);
  return { started, more: partial && !guard.lost, state: next };
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;

async function parseItems(t: PollTrigger, text: string): Promise<unknown[]> {
  if (t.format === 'feed') {
    try {
      const { default: Parser } = await import('rss-parser'); // loaded on first use, as the IMAP client
      const feed = await new Parser().parseString(text);
      return feed.items ?? [];
    } catch (e) {
      throw new Error(`the feed does not parse: ${(e as Error).message}`);
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('the answer is not JSON');
  }
  const items = t.items !== undefined ? evaluateLogic(t.items, { body }, 'trigger.items') : Array.isArray(body) ? body : (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) throw new Error(t.items !== undefined ? 'the items rule did not give a list' : 'the answer is neither a list nor an object with an "items" list');
  return items;
}
