// The side-panel forms a newcomer fills in the README's "first flow": the trigger's contract table and
// idempotency key, a route's ports and rule, the dry run.
import type { Locator, Page } from 'playwright-core';

export interface ContractField {
  name: string;
  type?: 'string' | 'number' | 'integer' | 'boolean';
  required?: boolean;
  format?: string;
  min?: number;
}

export class FlowForms {
  constructor(readonly page: Page) {}
  /** Adds rows to the trigger's contract table (the trigger must be selected). */
  async addContractFields(fields: ContractField[]): Promise<void> {
    for (const f of fields) {
      const i = await this.page.locator('[data-testid^="contract-row-"]').count();
      await this.page.getByTestId('contract-add').click();
      await this.page.getByTestId(`contract-name-${i}`).fill(f.name);
      if (f.type) await this.page.getByTestId(`contract-type-${i}`).selectOption(f.type);
      if (f.required) await this.page.getByTestId(`contract-required-${i}`).check();
      if (f.format) await this.page.getByTestId(`contract-format-${i}`).selectOption(f.format);
      if (f.min !== undefined) await this.page.getByTestId(`contract-min-${i}`).fill(String(f.min));
    }
  }
  idempotencyKey(): Locator {
    return this.page.getByTestId('trigger-idem');
  }
  /** Renames a route rule's port (its edges follow) and the default port. */
  async renamePorts(rulePorts: string[], defaultPort: string): Promise<void> {
    for (const [i, p] of rulePorts.entries()) await this.page.getByTestId(`rule-port-${i}`).fill(p);
    await this.page.getByTestId('route-default').fill(defaultPort);
  }
  async setRule(i: number, field: string, threshold: number): Promise<void> {
    const rule = this.page.getByTestId(`rule-when-${i}`);
    await rule.getByTestId('rule-field').fill(field);
    await rule.getByTestId('rule-value').fill(String(threshold));
  }
  async dryRun(payload: unknown): Promise<void> {
    await this.page.getByTestId('tab-dryrun').click();
    await this.page.getByTestId('dryrun-payload').fill(JSON.stringify(payload, null, 2));
    await this.page.getByTestId('dryrun-run').click();
  }
  problemsFor(nodeId: string, text?: string | RegExp): Locator {
    return this.page.locator(`[data-testid="validation-error"][data-node="${nodeId}"]`, text ? { hasText: text } : {});
  }
  warningsFor(nodeId: string, text?: string | RegExp): Locator {
    return this.page.locator(`[data-testid="validation-warning"][data-node="${nodeId}"]`, text ? { hasText: text } : {});
  }
}
