// notion.createPage: POST /v1/pages with a database parent (https://developers.notion.com/reference/post-page).
// Notion has no idempotency key: a retry after a lost answer can add the row twice.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import notion, { NOTION_VERSION } from '../connectors/notion.ts';

export default defineExecutor(
  specOf('notion.createPage'),
  httpConnector(notion, {
    request: (p) => ({
      method: 'POST',
      path: '/v1/pages',
      headers: { 'Notion-Version': NOTION_VERSION },
      json: {
        parent: { database_id: p.databaseId },
        properties: { ...(p.properties ?? {}), [p.titleProperty ?? 'Name']: { title: [{ type: 'text', text: { content: p.title } }] } },
      },
    }),
    output: (res) => {
      const b = res.json as { id?: unknown; url?: unknown };
      return { id: String(b.id ?? ''), url: String(b.url ?? '') };
    },
  }),
);
