import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';

export class EditorPage {
  constructor(readonly page: Page) {}
  get canvas(): Locator {
    return this.page.getByTestId('canvas');
  }
  node(id: string): Locator {
    return this.page.getByTestId(`node-${id}`);
  }
  nodes(): Locator {
    return this.page.locator('.react-flow__node');
  }
  edges(): Locator {
    return this.page.locator('.react-flow__edge');
  }
  validationErrors(): Locator {
    return this.page.getByTestId('validation-error');
  }
  async waitReady(): Promise<void> {
    await this.page.getByTestId('editor').waitFor();
    await this.node('trigger').waitFor();
  }
  /** Drag a palette entry onto the canvas at a fraction of its size (HTML5 drag and drop); resolves once the drop added its node. */
  async dragFromPalette(key: string, fx: number, fy: number): Promise<void> {
    const before = await this.nodes().count();
    const box = (await this.canvas.boundingBox())!;
    await this.page.getByTestId(`palette-${key}`).dragTo(this.canvas, { targetPosition: { x: box.width * fx, y: box.height * fy } });
    await this.page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length > n, before);
  }
  /** Click-to-add; resolves once the node is there and the view has fitted it in (the editor's view-fit signal). */
  async addFromPalette(key: string): Promise<void> {
    const before = await this.nodes().count();
    const fits = await this.signalCount('view-fit');
    await this.page.getByTestId(`palette-${key}`).click();
    await this.page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length > n, before);
    await this.waitSignal('view-fit', fits);
  }
  /** Drag from an output handle to a node's input handle. */
  async connect(from: string, port: string, to: string): Promise<void> {
    // the view may still be moving (a fit after an add, the side panel opening): wait until both handles
    // stand still, as a user's eye would, then drag
    const boxes = async () => [
      (await this.page.getByTestId(`handle-${from}-${port}`).boundingBox())!,
      (await this.page.getByTestId(`handle-${to}-in`).boundingBox())!,
    ];
    let [s, t] = await boxes();
    for (let i = 0; i < 30; i++) {
      await this.page.waitForTimeout(50);
      const [s2, t2] = await boxes();
      const still = s2!.x === s!.x && s2!.y === s!.y && t2!.x === t!.x && t2!.y === t!.y;
      [s, t] = [s2, t2];
      if (still) break;
    }
    await this.page.mouse.move(s!.x + s!.width / 2, s!.y + s!.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(t!.x + t!.width / 2, t!.y + t!.height / 2, { steps: 12 });
    await this.page.mouse.up();
  }
  async select(id: string): Promise<void> {
    await this.node(id).locator('.fd-node-title').click();
    await this.page.getByTestId('side-panel').waitFor();
  }
  /** The flow's settings in the side panel (the ⚙ button: the side panel otherwise opens on a selection). */
  async openSettings(): Promise<void> {
    await this.page.getByTestId('flow-settings').click();
    await this.page.getByTestId('flow-name').waitFor();
  }
  /** The bottom panel open on `tab` (it starts collapsed to its tabs). */
  async openPanel(tab: 'problems' | 'dryrun' | 'versions'): Promise<void> {
    await this.page.getByTestId(`tab-${tab}`).click();
    await this.page.locator('[data-testid="bottom-panel"][data-open="true"]').waitFor();
  }
  async setThreshold(ruleIndex: number, value: number): Promise<void> {
    await this.page.getByTestId(`rule-when-${ruleIndex}`).getByTestId('rule-value').fill(String(value));
  }
  async exportFlow(): Promise<{ path: string; json: unknown; name: string }> {
    const [dl] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('export').click()]);
    const path = await dl.path();
    return { path, json: JSON.parse(readFileSync(path, 'utf8')), name: dl.suggestedFilename() };
  }
  async importFile(path: string): Promise<void> {
    await this.page.getByTestId('import').click();
    await this.page.getByTestId('import-file').setInputFiles(path);
  }
  async deploy(): Promise<void> {
    await this.page.getByTestId('deploy').click();
    await this.page.getByTestId('deploy-ok').waitFor();
  }
  /** Wait until the draft autosave has run over the latest change (the unsaved marker shows). */
  async waitDraftSaved(): Promise<void> {
    await this.page.getByTestId('unsaved').waitFor();
    await this.waitAutosaveIdle();
  }
  /** Wait until the autosave has run at least once on this page and none is scheduled. */
  async waitAutosaveIdle(): Promise<void> {
    await this.waitSignal('autosave', 0);
  }
  /** How many times the editor has signalled `name` (see apps/editor/src/core/signals.ts). */
  signalCount(name: 'autosave' | 'view-fit'): Promise<number> {
    return this.page.evaluate((s) => Number(document.documentElement.getAttribute(`data-fd-${s}`) ?? 0), name);
  }
  /** Wait until `name` has been signalled more than `after` times and none is pending. */
  async waitSignal(name: 'autosave' | 'view-fit', after: number): Promise<void> {
    await this.page.waitForFunction(
      ([s, n]) => Number(document.documentElement.getAttribute(`data-fd-${s}`) ?? 0) > (n as number) && !document.documentElement.hasAttribute(`data-fd-${s}-pending`),
      [name, after] as const,
    );
  }
  /** Drop a file on the canvas (what a drag from the desktop does). */
  async dropFile(name: string, content: string): Promise<void> {
    await this.canvas.evaluate(
      (el, [n, c]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([c!], n!, { type: 'application/json' }));
        el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [name, content],
    );
  }
}
