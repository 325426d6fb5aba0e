/**
 * The closed set of errors a service may throw. The status travels with the class, so the one
 * error handler needs no table of codes and no `instanceof` ladder.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(code = 'BAD_REQUEST', message = 'Bad request', details?: unknown) {
    super(400, code, message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(code = 'UNAUTHORIZED', message = 'Authentication required') {
    super(401, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(code = 'FORBIDDEN', message = 'You are not allowed to do this') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(code = 'NOT_FOUND', message = 'Not found') {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  constructor(code = 'CONFLICT', message = 'Conflict', details?: unknown) {
    super(409, code, message, details);
  }
}

export class UnprocessableError extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(422, code, message, details);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, message = 'Too many requests, try again later') {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(429, 'RATE_LIMITED', message, { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) });
  }
}

/** Seconds a client is told to wait before trying again when something it needs is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/** Something the request needs is unavailable for now; the client may try again after Retry-After. */
export class ServiceUnavailableError extends AppError {
  constructor(
    code = 'SERVICE_UNAVAILABLE',
    message = 'Service unavailable',
    details?: unknown,
    retryAfterSeconds = RETRY_AFTER_SECONDS,
  ) {
    super(503, code, message, details, { 'retry-after': String(retryAfterSeconds) });
  }
}
