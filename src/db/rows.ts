import { getTableColumns } from 'drizzle-orm';
import { CasingCache } from 'drizzle-orm/casing';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

import { DB_CASING } from './client.js';

const casing = new CasingCache(DB_CASING);

/**
 * The rows of a raw `returning *` (or `returning t.*`) as Drizzle's own queries return them:
 * property keys, values through each column's driver mapping.
 */
export function rowsOf<T extends PgTable>(table: T, result: unknown): T['$inferSelect'][] {
  const columns = columnsOf(table);
  return (result as { rows: Record<string, unknown>[] }).rows.map((raw) => {
    const row: Record<string, unknown> = {};
    for (const { key, name, column } of columns) {
      const value = raw[name];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row;
  });
}

type ColumnMapping = { key: string; name: string; column: PgColumn };
const mappings = new WeakMap<PgTable, ColumnMapping[]>();

/** Each column's property key and database name, worked out once per table. */
function columnsOf(table: PgTable): ColumnMapping[] {
  let columns = mappings.get(table);
  if (!columns) {
    columns = (Object.entries(getTableColumns(table)) as [string, PgColumn][]).map(([key, column]) => ({
      key,
      name: casing.getColumnCasing(column),
      column,
    }));
    mappings.set(table, columns);
  }
  return columns;
}
