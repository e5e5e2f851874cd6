import type { Locator, Page } from 'playwright-core';

export type KpiId = 'leadResponse' | 'manualHours' | 'failureRate' | 'collectionLag';

export class DashboardPage {
  constructor(readonly page: Page) {}
  async open(): Promise<void> {
    await this.page.getByTestId('nav-dashboard').click();
    await this.page.getByTestId('kpi-cards').waitFor();
  }
  async period(days: 7 | 30 | 90): Promise<void> {
    await this.page.getByTestId(`period-${days}`).click();
    await this.page.waitForFunction((d) => new URLSearchParams(location.search).get('days') === (d === 30 ? null : String(d)), days);
  }
  /** the "from → to (UTC)" line of the period shown */
  periodText(): Locator {
    return this.page.getByTestId('period');
  }
  card(id: KpiId): Locator {
    return this.page.getByTestId(`kpi-${id}`);
  }
  async cardText(id: KpiId): Promise<{ value: string; met: string; trend: string; target: string }> {
    const c = this.card(id);
    return {
      value: await c.getByTestId('kpi-value').innerText(),
      met: await c.getByTestId('kpi-met').innerText(),
      trend: await c.getByTestId('kpi-trend').innerText(),
      target: await c.getByTestId('kpi-target').innerText(),
    };
  }
  chart(id: 'hours' | 'runs' | 'collection'): Locator {
    return this.page.getByTestId(`chart-${id}`);
  }
  failureRow(flowId: string): Locator {
    return this.page.locator(`[data-testid="failure-row"][data-flow="${flowId}"]`);
  }
  rejectedRows(): Locator {
    return this.page.getByTestId('rejected-row');
  }
  review(): Locator {
    return this.page.getByTestId('weekly-review');
  }
  baselineInput(field: string): Locator {
    return this.page.getByTestId(`baseline-${field}`);
  }
  baselineError(field: string): Locator {
    return this.page.getByTestId(`baseline-error-${field}`);
  }
  async saveBaseline(): Promise<void> {
    await this.page.getByTestId('baseline-save').click();
  }
}
