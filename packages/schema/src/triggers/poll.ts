import { Type } from '@sinclair/typebox';
import { Duration, Logic, PayloadSchema } from '../primitives.ts';
import { defineTrigger } from '../spec/index.ts';
import { durationMs, MIN_POLL_INTERVAL_MS } from './email.ts';

/** The item-key rule when the trigger names none: the first of these fields an item has. */
export const DEFAULT_ITEM_KEYS = ['id', 'guid', 'link', 'url'] as const;

export default defineTrigger({
  type: 'poll',
  schema: Type.Object(
    {
      type: Type.Literal('poll'),
      url: Type.String({ minLength: 1, maxLength: 2048, pattern: '^(https?://[^\\s{}]+|\\{\\{config\\.[A-Z][A-Z0-9_]*\\}\\}[^\\s{}]*)$', description: 'an http(s) URL, or {{config.NAME}} and a path' }),
      format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('feed')], { description: 'json (default) or feed (RSS/Atom)' })),
      items: Type.Optional(Logic),
      itemKey: Type.Optional(Logic),
      interval: Type.Optional(Duration),
      backfill: Type.Optional(Type.Boolean({ description: 'on first activation, start a run for the items already there (default false)' })),
      seenWindow: Type.Optional(Duration),
      payloadSchema: Type.Optional(PayloadSchema),
      filter: Type.Optional(Logic),
    },
    { additionalProperties: false },
  ),
  label: 'Poll a URL',
  help: 'Fetches a JSON API or an RSS/Atom feed and starts a run per new item',
  summary: (t) => `${t.format === 'feed' ? 'feed' : 'JSON'} ${t.url} · every ${t.interval ?? '5m'}`,
  check(t, c) {
    c.duration(t.interval, 'interval');
    c.duration(t.seenWindow, 'seenWindow');
    if (durationMs(t.interval) < MIN_POLL_INTERVAL_MS) c.error(`is shorter than ${MIN_POLL_INTERVAL_MS / 1000}s`, 'interval');
    if (t.format === 'feed' && t.items !== undefined) c.error('a feed\'s items are its entries: "items" is for JSON', 'items');
    if (t.items !== undefined) c.logic(t.items, 'items');
    if (t.itemKey !== undefined) c.logic(t.itemKey, 'itemKey');
  },
  docs: {
    fields:
      '`url` (http(s), or `{{config.NAME}}` and a path; the outbound rules apply), `format` (`json` or `feed` for RSS/Atom), `items` (JSON-Logic over `{body}` giving the list; default the body when it is a list, else `body.items`), `itemKey` (JSON-Logic over `{item}`; default the first of `id`, `guid`, `link`, `url`), `interval` (`5m`, at least 10s), `backfill` (false: on first activation the items already there are skipped), `seenWindow` (`30d`: how long a seen key is remembered), `payloadSchema`, `filter`. One run per new item (payload: the item); ETag/Last-Modified honoured; errors back off and alert',
  },
});
