// One registry of action executors: an action type = its schema (packages/schema) + editor form + executor here.
import type { ActionResult, Command } from '@flowdesk/engine';
import type { Alert, EntityRecord, Severity } from '@flowdesk/schema';
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
  /** runtime services for the internal actions (record.setState, alert.raise, flow.emit) */
  services?: RuntimeServices;
}

export interface RuntimeServices {
  /** Moves a record into `state` (checked against the state map); fires record triggers and cancelOn. */
  setRecordState(input: { entity: string; key: string; state: string; data?: Record<string, unknown>; cause: { runId?: string; nodeId?: string; manual?: boolean } }): Promise<EntityRecord>;
  raiseAlert(input: { flowId: string; nodeId?: string; runId?: string; kind: string; severity: Severity; message: string }): Promise<Alert>;
  /** Starts another flow's manual trigger. */
  emitFlow(flowId: string, payload: unknown, cause: { runId: string; nodeId: string; idempotencyKey: string }): Promise<{ runId: string; duplicate: boolean }>;
}

/** Performs one attempt of an action. Never throws: failures come back as { ok: false, errorClass }. */
export type ActionExecutor = (cmd: ActionCommand, deps: ActionDeps) => Promise<ActionResult>;
