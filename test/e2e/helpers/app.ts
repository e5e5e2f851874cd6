// One runtime (temp data dir, free port, serving the built editor) and one headless Chromium per test
// file; each test gets a fresh browser context (empty localStorage) and saves a screenshot.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startRuntime, type ManualClock } from '../../../apps/runtime/src/index.ts';
import { DIST, ensureEditorBuilt, ROOT } from './build.ts';

// The omnibox popups are WebUI pages (about 300 chrome:// modules, their own renderer) that this Chromium
// (156) loads for every new window, i.e. every browser context: on 2 cores that load ran beside each
// page under test and took CPU from it. A headless browser never shows an address bar.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

const quiet = { info() {}, warn() {}, error: (o: unknown, m?: string) => console.error('[runtime]', m ?? '', JSON.stringify(o)), debug() {} };

export interface App {
  url: string;
  browser: Browser;
  dataDir: string;
  newPage(): Promise<{ page: Page; context: BrowserContext; errors: string[] }>;
  /** runs every due timer and queued run to rest (with a ManualClock: after moving it) */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** `databaseUrl`: on PostgreSQL (give FLOWDESK_MASTER_KEY in `env`), else the embedded store. */
export async function startApp(env: Record<string, string> = {}, opts: { clock?: ManualClock; databaseUrl?: string } = {}): Promise<App> {
  await ensureEditorBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'flowdesk-e2e-'));
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    editorDir: DIST,
    env,
    fsync: false,
    log: quiet as never,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
  });
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  return {
    url: runtime.url,
    browser,
    dataDir,
    settle: () => runtime.settle(),
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, baseURL: runtime.url });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) errors.push(m.text());
      });
      page.on('dialog', (d) => void d.accept());
      return { page, context, errors };
    },
    async close() {
      // A context or browser already gone rejects, and that is fine; a step that hangs is named.
      const hung = [
        await bounded('closing the browser contexts', Promise.all(contexts.map((c) => c.close().catch(() => {})))),
        await bounded('closing Chromium', browser.close().catch(() => {})),
        await bounded('closing the runtime', runtime.close()),
      ].filter((h): h is string => h !== undefined);
      if (hung.length > 0) throw new Error(`app.close: ${hung.join('; ')}`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits for one shutdown step at most `ms`: a hang then says which step it was, instead of ending as the
 * afterAll hook's bare 120-s timeout (seen once, after a page was left mid-navigation). */
async function bounded(step: string, work: Promise<unknown>, ms = 30_000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((ok) => {
    timer = setTimeout(() => ok(`${step} still pending after ${ms / 1000} s`), ms);
  });
  try {
    return await Promise.race([work.then(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'test-results', `e2e-${name}.png`) });
}

/** expect.poll with a timeout fit for a loaded machine (vitest's default is 1 s). */
export function poll<T>(fn: () => T | Promise<T>, opts: number | { timeout?: number } = {}) {
  const timeout = typeof opts === 'number' ? opts : (opts.timeout ?? 15_000);
  return expect.poll(fn, { timeout: Math.max(timeout, 15_000), interval: 100 });
}
