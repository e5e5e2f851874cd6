// One registry of action executors: an action type = its schema (packages/schema) + editor form + executor here.
import type { ActionResult, Command } from '@flowdesk/engine';
import type { Store } from '../store/types.ts';

export type ActionCommand = Extract<Command, { kind: 'action' }>;

export interface Clock {
  now(): number; // ms since epoch
}

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug?(obj: object | string, msg?: string): void;
}

export interface ActionDeps {
  store: Store;
  clock: Clock;
  /** FLOWDESK_* settings: environment merged with the data dir's config (SMTP_HOST, OPENAI_URL, …) */
  env: Record<string, string | undefined>;
  dataDir: string;
  log: Logger;
  run: { id: string; flowId: string; flowVersion: number; record?: { entity: string; key: string } };
}

/** Performs one attempt of an action. Never throws: failures come back as { ok: false, errorClass }. */
export type ActionExecutor = (cmd: ActionCommand, deps: ActionDeps) => Promise<ActionResult>;
