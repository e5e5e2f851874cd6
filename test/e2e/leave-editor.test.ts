// Browser end-to-end: leaving the editor. Right after a deploy nothing is unsaved, so neither a page
// load nor an in-app link asks; an edit not yet deployed asks at once (before the autosave tick), and
// the edit is kept as a draft that the editor restores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { poll, startApp, type App } from './helpers/app.ts';
import { newFlow } from './pages/FlowListPage.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

/** Every dialog the page raises, as "type: message" (the app helper accepts them all). */
function recordDialogs(page: Page): string[] {
  const seen: string[] = [];
  page.on('dialog', (d) => seen.push(`${d.type()}: ${d.message()}`));
  return seen;
}

/** Leaves the editor in the same task that shows "deploy ok": `how` is a full page load or the Connections link. */
async function leaveWhenDeployed(page: Page, how: 'load' | 'link'): Promise<void> {
  await page.evaluate((how) => {
    const obs = new MutationObserver(() => {
      if (!document.querySelector('[data-testid="deploy-ok"]')) return;
      obs.disconnect();
      if (how === 'load') location.href = '/connections';
      else (document.querySelector('[data-testid="nav-connections"]') as HTMLElement).click();
    });
    obs.observe(document.body, { childList: true, subtree: true });
  }, how);
}

describe('leaving the editor', { timeout: 120_000 }, () => {
  it('does not ask right after a deploy (a page load, then a link after a second deploy)', async () => {
    const { page, errors } = await app.newPage();
    const dialogs = recordDialogs(page);
    const ed = await newFlow(page, 'leave-me', 'Leave me');
    await ed.addFromPalette('end');
    await ed.connect('trigger', 'out', 'end');
    await page.getByTestId('validation-ok').waitFor();

    // first deploy of a new flow, then a full page load the moment it is reported
    await leaveWhenDeployed(page, 'load');
    await page.getByTestId('deploy').click();
    await page.waitForURL('**/connections');
    await page.getByTestId('connections').waitFor();
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => localStorage.getItem('flowdesk:draft:leave-me'))).toBeNull();

    // an edit of a deployed flow, deployed as version 2, then the in-app link the moment it is reported
    await page.goto('/flows/leave-me');
    await ed.waitReady();
    await page.getByTestId('flow-title').fill('Leave me, renamed');
    await page.getByTestId('unsaved').waitFor();
    await leaveWhenDeployed(page, 'link');
    await page.getByTestId('deploy').click();
    await page.getByTestId('connections').waitFor();
    expect(new URL(page.url()).pathname).toBe('/connections');
    expect(dialogs).toEqual([]);
    const doc = (await (await fetch(`${app.url}/api/flows/leave-me`)).json()) as { name: string; version: number };
    expect(doc).toMatchObject({ name: 'Leave me, renamed', version: 2 });
    expect(errors).toEqual([]);
  });

  it('asks when an edit is not deployed, even before the autosave has run, and keeps the edit as a draft', async () => {
    const { page, errors } = await app.newPage();
    const dialogs = recordDialogs(page);
    const ed = await newFlow(page, 'keep-me', 'Keep me');
    await ed.addFromPalette('end');
    await ed.connect('trigger', 'out', 'end');
    await page.getByTestId('validation-ok').waitFor();
    await ed.deploy();
    await page.getByTestId('saved-state').waitFor();
    await ed.waitAutosaveIdle();

    // rename and leave at once: the autosave tick for the rename has not run when the page unloads.
    // The navigation can destroy the page before evaluate's result comes back, so the flag travels in
    // sessionStorage (kept across a same-origin load in the tab) and only that one error is tolerated.
    await page
      .evaluate(async () => {
        const input = document.querySelector('[data-testid="flow-title"]') as HTMLInputElement;
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, 'Keep me, renamed');
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 0)); // React has rendered the rename
        const pending = document.documentElement.hasAttribute('data-fd-autosave-pending');
        sessionStorage.setItem('fd-test:pending-when-leaving', String(pending));
        location.href = '/connections';
      })
      .catch((err: Error) => {
        if (!/Execution context was destroyed/.test(err.message)) throw err;
      });
    await page.waitForURL('**/connections');
    expect(await page.evaluate(() => sessionStorage.getItem('fd-test:pending-when-leaving'))).toBe('true');
    await poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toMatch(/^beforeunload: /);

    // the rename was kept: the editor restores it as a draft
    await page.goto('/flows/keep-me');
    await ed.waitReady();
    await page.getByTestId('draft-restored').waitFor();
    expect(await page.getByTestId('flow-title').inputValue()).toBe('Keep me, renamed');
    await page.getByTestId('unsaved').waitFor();

    // an in-app link asks too, with the editor's own message
    await page.getByTestId('nav-connections').click();
    await page.getByTestId('connections').waitFor();
    expect(dialogs).toHaveLength(2);
    expect(dialogs[1]).toMatch(/^confirm: This flow has changes that are not deployed/);
    expect(errors).toEqual([]);
  });
});
