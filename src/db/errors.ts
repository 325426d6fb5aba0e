/** The SQLSTATE of a PostgreSQL error, seen through Drizzle's wrapper (the driver error is its cause). */
export function sqlState(err: unknown): string | null {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return code;
    }
  }
  return null;
}

/** PostgreSQL's unique_violation. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/** A unique or foreign-key violation: what a statement meets when another writer got there first. */
export function isConstraintViolation(err: unknown): boolean {
  const state = sqlState(err);
  return state === '23505' || state === '23503';
}

/** SQLSTATEs of a database that is down, restarting or overloaded for a moment. */
const TRANSIENT_STATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
/** What the driver or the network says when the database cannot be reached. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
const TRANSIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/**
 * The database could not take the statement now (unreachable, restarting, out of connections, a
 * serialization conflict): the same statement may well succeed if tried again.
 */
export function isTransientDbError(err: unknown): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (
      (typeof code === 'string' && TRANSIENT_CODES.has(code)) ||
      (typeof message === 'string' && TRANSIENT_MESSAGES.test(message))
    ) {
      return true;
    }
  }
  const state = sqlState(err);
  return state !== null && (state.startsWith('08') || TRANSIENT_STATES.has(state));
}

/**
 * The first code along the error's causes: a SQLSTATE or the network's (`ECONNREFUSED`), fit
 * for a log line, unlike the failed query's message, which carries its parameters.
 */
export function driverErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      return code;
    }
  }
  return undefined;
}
