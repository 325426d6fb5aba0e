import { setTimeout as sleep } from 'node:timers/promises';

import type { Database } from './client.js';
import { driverErrorCode, isTransientDbError } from './errors.js';

/** Why boot gave up on the database: told to the operator as is, without a stack. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

interface StartupLog {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 2_000;

/**
 * Applies migrations, waiting for a database that cannot be reached yet (still starting, a
 * network not up): tried again with growing pauses until `timeoutMs` has passed, the last attempt
 * at the deadline (0: once), each miss logged as one warning line. Any other failure (wrong password, no such database, a broken
 * migration) is thrown at once: waiting would not fix it.
 */
export async function migrateWhenReachable(
  database: Database,
  options: { timeoutMs: number; log: StartupLog; where: string },
): Promise<void> {
  const started = Date.now();
  let delay = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await database.migrate();
      if (attempt > 1) {
        options.log.info({ attempt, waitedMs: Date.now() - started }, 'database reachable');
      }
      return;
    } catch (err) {
      if (!isTransientDbError(err)) {
        throw err;
      }
      const waited = Date.now() - started;
      const reason = describe(err);
      const remaining = options.timeoutMs - waited;
      if (remaining <= 0) {
        throw new DatabaseUnreachableError(
          `the database at ${options.where} is unreachable (${reason}); gave up after ${Math.round(waited / 1000)}s ` +
            `(DATABASE_STARTUP_TIMEOUT=${Math.round(options.timeoutMs / 1000)}s)`,
        );
      }
      // The last attempt falls on the deadline: the whole timeout is used, and no more.
      const pause = Math.min(delay, remaining);
      options.log.warn(
        { attempt, reason, retryInMs: pause, waitedMs: waited, where: options.where },
        'database unreachable; retrying',
      );
      await sleep(pause);
      delay = Math.min(MAX_DELAY_MS, delay * 2);
    }
  }
}

/** The driver's code, or else the message of an error that is not a failed query (those carry parameters). */
function describe(err: unknown): string {
  const code = driverErrorCode(err);
  if (code) {
    return code;
  }
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (!('query' in e)) {
      return e.message;
    }
  }
  return 'unreachable';
}

/** `host:port/database` of a PostgreSQL URL, never its credentials. */
export function databaseWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured URL';
  }
}
