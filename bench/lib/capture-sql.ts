import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';

import type { Db } from '../../src/db/client.js';
import * as schema from '../../src/db/schema.js';

/** One statement as the driver received it: the text and its bound values. */
export interface CapturedQuery {
  text: string;
  values: unknown[];
}

/**
 * Runs `fn` against a Drizzle instance configured as the service's (node-postgres, snake_case) and
 * returns every statement it sent, exactly as sent, with what `fn` returned. Repositories built on
 * this `db` produce the same SQL text and parameters as in the service.
 */
export async function captureSql<T>(
  databaseUrl: string,
  fn: (db: Db) => Promise<T>,
): Promise<{ result: T; queries: CapturedQuery[] }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const queries: CapturedQuery[] = [];
  const db = drizzle({
    client: pool,
    schema,
    casing: 'snake_case',
    logger: { logQuery: (text, values) => queries.push({ text, values: [...values] }) },
  }) as unknown as Db;
  try {
    return { result: await fn(db), queries };
  } finally {
    await pool.end();
  }
}
