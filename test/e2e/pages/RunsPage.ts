import type { Locator, Page } from 'playwright-core';

export class RunsPage {
  constructor(readonly page: Page) {}
  async open(): Promise<void> {
    await this.page.getByTestId('nav-runs').click();
    await this.page.getByTestId('runs-page').waitFor();
  }
  rows(): Locator {
    return this.page.getByTestId('run-row');
  }
  async openRun(runId: string): Promise<void> {
    await this.page.locator(`[data-testid="run-row"][data-run="${runId}"]`).click();
    await this.page.getByTestId('run-view').waitFor();
  }
  node(id: string): Locator {
    return this.page.getByTestId(`node-${id}`);
  }
  status(): Locator {
    return this.page.getByTestId('run-view-status');
  }
}
