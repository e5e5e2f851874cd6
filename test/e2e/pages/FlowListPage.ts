import type { Page } from 'playwright-core';

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
