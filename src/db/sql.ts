import { type SQL, sql } from 'drizzle-orm';

/** `excluded."column"` in an upsert's SET: the value the conflicting insert proposed. */
export function excluded(column: string): SQL {
  return sql.raw(`excluded."${column.replaceAll('"', '')}"`);
}
