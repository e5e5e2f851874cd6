// The HTTP layer's one place where domain errors become statuses, and every error answer's shape.
import type { Response } from 'express';
import { DomainError, TransitionError, type DomainErrorCode } from '../errors.ts';

export interface FieldError {
  path: string;
  message: string;
  nodeId?: string;
}

/** Every error answer: JSON `{error, errors?}`. */
export function sendError(res: Response, status: number, error: string, errors?: FieldError[]): void {
  res.status(status).json(errors ? { error, errors } : { error });
}

const STATUS: Record<DomainErrorCode, number> = { not_found: 404, conflict: 409, invalid: 422, illegal_transition: 409 };

/** Maps an error thrown by a runner/service call to its status (404/409/422), else 500; an illegal transition names both states. */
export function sendThrown(res: Response, e: unknown): void {
  if (e instanceof TransitionError) {
    res.status(STATUS[e.code]).json({ error: e.message, from: e.from, to: e.to });
    return;
  }
  if (e instanceof DomainError) return sendError(res, STATUS[e.code], e.message);
  sendError(res, 500, `internal error: ${(e as Error).message}`);
}

export const isIso = (s: unknown): s is string => typeof s === 'string' && !Number.isNaN(Date.parse(s));
