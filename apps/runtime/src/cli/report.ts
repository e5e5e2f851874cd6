// npm run report -- --week 2026-W48 [--format md|html] [--out file]: writes the weekly review.
// Reads the data dir directly; when a runtime holds it (lock), asks that runtime over HTTP instead.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isoWeekOf, isoWeekRange } from '@flowdesk/engine';
import { createStore } from '../store/index.ts';
import { StoreLockedError } from '../store/types.ts';
import { weeklyReportFromStore } from '../observability/kpi-facts.ts';
import { REPO_ROOT } from '../index.ts';

const { values } = parseArgs({
  options: { week: { type: 'string' }, format: { type: 'string', default: 'md' }, out: { type: 'string' }, 'data-dir': { type: 'string' }, url: { type: 'string' } },
});
const env = process.env;
const now = new Date().toISOString();
const week = values.week ?? isoWeekOf(new Date(Date.now() - 7 * 86_400_000).toISOString());
try {
  isoWeekRange(week);
} catch (e) {
  console.error(`--week: ${(e as Error).message}`);
  process.exit(2);
}
const format = values.format === 'html' ? 'html' : 'md';
const dataDir = resolve(values['data-dir'] ?? env.FLOWDESK_DATA_DIR ?? resolve(REPO_ROOT, 'data'));

async function fromRuntime(): Promise<string> {
  const url = values.url ?? `http://127.0.0.1:${env.PORT ?? 3000}`;
  const res = await fetch(`${url}/api/reports/weekly?week=${week}`, {
    headers: { accept: format === 'html' ? 'text/html' : 'text/markdown', ...(env.FLOWDESK_ADMIN_TOKEN ? { authorization: `Bearer ${env.FLOWDESK_ADMIN_TOKEN}` } : {}) },
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return res.text();
}

let text: string;
const store = await createStore({ dataDir, fsync: true, databaseUrl: env.FLOWDESK_DATABASE_URL || undefined });
try {
  await store.open();
  const r = await weeklyReportFromStore(store, { week, now });
  text = format === 'html' ? r.html : r.markdown;
  await store.close();
} catch (e) {
  if (!(e instanceof StoreLockedError)) {
    console.error(`report failed: ${(e as Error).message}`);
    process.exit(1);
  }
  text = await fromRuntime();
}
const out = resolve(values.out ?? `weekly-review-${week}.${format}`);
writeFileSync(out, text);
console.log(`weekly review ${week} written to ${out}`);
