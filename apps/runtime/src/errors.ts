// Domain errors: what the runner and the services refuse, by kind. They carry no HTTP status; the HTTP
// layer alone maps a code to one (http/errors.ts).

export type DomainErrorCode = 'not_found' | 'conflict' | 'invalid' | 'illegal_transition';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('not_found', message);
    this.name = 'NotFoundError';
  }
}

/** The thing exists but is in a state that does not allow it (already replaying, already resolved, …). */
export class ConflictError extends DomainError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'ConflictError';
  }
}

/** The request names something the target does not accept (a decision that is not one of its ports). */
export class InvalidRequestError extends DomainError {
  constructor(message: string) {
    super('invalid', message);
    this.name = 'InvalidRequestError';
  }
}

/** A record transition the state map does not allow. */
export class TransitionError extends DomainError {
  constructor(
    message: string,
    readonly from: string | null,
    readonly to: string,
  ) {
    super('illegal_transition', message);
    this.name = 'TransitionError';
  }
}
