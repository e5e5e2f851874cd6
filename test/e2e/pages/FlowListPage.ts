import type { Page } from 'playwright-core';
import { EditorPage } from './EditorPage.ts';

export class FlowListPage {
  constructor(private page: Page) {}
  async open(): Promise<void> {
    await this.page.goto('/');
    await this.page.getByTestId('flow-list').waitFor();
  }
  async createFlow(name: string): Promise<void> {
    await this.page.getByTestId('new-flow').click();
    await this.page.getByTestId('new-flow-name').fill(name);
    await this.page.getByTestId('new-flow-create').click();
    await this.page.getByTestId('editor').waitFor();
  }
  async importFile(path: string): Promise<void> {
    await this.page.getByTestId('import-flow').click();
    await this.page.getByTestId('import-file').setInputFiles(path);
  }
  row(id: string) {
    return this.page.getByTestId(`flow-row-${id}`);
  }
}

/** "+ New flow" with a name and an id, then the editor ready. */
export async function newFlow(page: Page, id: string, name: string): Promise<EditorPage> {
  await new FlowListPage(page).open();
  await page.getByTestId('new-flow').click();
  await page.getByTestId('new-flow-name').fill(name);
  await page.getByTestId('new-flow-id').fill(id);
  await page.getByTestId('new-flow-create').click();
  const ed = new EditorPage(page);
  await ed.waitReady();
  return ed;
}
