// What an executor is handed: the command (one attempt of one node) and the runtime's parts it may use.
import type { Command } from '@flowdesk/engine';
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { RuntimeServices } from '../runner/services.ts';
import type { Store } from '../store/types.ts';
import type { ConnectionVault } from '../connections/vault.ts';

export type ActionCommand = Extract<Command, { kind: 'action' }>;

export interface ActionDeps {
  store: Store;
  clock: Clock;
  /** FLOWDESK_* settings: environment merged with the data dir's config (SMTP_HOST, OPENAI_URL, …) */
  env: Record<string, string | undefined>;
  dataDir: string;
  log: Logger;
  run: { id: string; flowId: string; flowVersion: number; record?: { entity: string; key: string } };
  /** runtime services for the internal actions (record.setState, alert.raise, flow.emit) */
  services?: RuntimeServices;
  /** the connections a connector's `connection` param names */
  connections?: ConnectionVault;
}
