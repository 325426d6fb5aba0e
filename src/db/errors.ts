/** The SQLSTATE of a PostgreSQL error, seen through Drizzle's wrapper (the driver error is its cause). */
function sqlState(err: unknown): string | null {
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
