import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

import { DB_CASING, type DbOrTx } from './client.js';

export type PreparedSql = (
  db: DbOrTx,
  values: Record<string, unknown>,
) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * A hand-written statement built once: its text and its `sql.placeholder`s are fixed when the
 * module loads, so a run only fills in values (no query building in JavaScript), and on PostgreSQL
 * it is a named statement that each connection parses once. Rows come back raw (column names, driver
 * values); `rowsOf` maps them. It runs on the database or inside a transaction alike.
 */
export function prepareSql(name: string, query: SQL): PreparedSql {
  const built = new PgDialect({ casing: DB_CASING }).sqlToQuery(query);
  type Prepared = { execute(values: Record<string, unknown>): Promise<unknown> };
  const perSession = new WeakMap<object, Prepared>();
  return async (db, values) => {
    const session = db._.session;
    let prepared = perSession.get(session);
    if (!prepared) {
      prepared = session.prepareQuery(built, undefined, name, false);
      perSession.set(session, prepared);
    }
    return (await prepared.execute(values)) as { rows: Record<string, unknown>[] };
  };
}
