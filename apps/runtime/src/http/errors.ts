import type { Response } from 'express';

export interface FieldError {
  path: string;
  message: string;
  nodeId?: string;
}

/** Every error answer: JSON `{error, errors?}`. */
export function sendError(res: Response, status: number, error: string, errors?: FieldError[]): void {
  res.status(status).json(errors ? { error, errors } : { error });
}

/** Maps an error thrown by a runner/service call to its status (404/409/422), else 500. */
export function sendThrown(res: Response, e: unknown): void {
  const err = e as Error & { status?: number };
  const status = typeof err.status === 'number' ? err.status : 500;
  sendError(res, status, status === 500 ? `internal error: ${err.message}` : err.message);
}

export const isIso = (s: unknown): s is string => typeof s === 'string' && !Number.isNaN(Date.parse(s));
