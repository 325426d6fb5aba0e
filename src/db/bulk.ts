import { getTableColumns, getTableName, is, SQL, sql } from 'drizzle-orm';
import { CasingCache } from 'drizzle-orm/casing';
import { type PgColumn, PgEnumColumn, type PgTable } from 'drizzle-orm/pg-core';

import { DB_CASING, type DbOrTx } from './client.js';

const casing = new CasingCache(DB_CASING);

/**
 * Inserts many rows in one statement with one array parameter per column:
 * `insert into t (a, b, …) select * from unnest($1::uuid[], $2::text[], …) on conflict … returning *`.
 *
 * Drizzle's `.values(rows)` binds every value separately and builds its SQL value by value, which
 * for a 500-row message batch costs more JavaScript than the database spends storing it. Here the
 * statement has one parameter per column whatever the number of rows, and values are mapped with the
 * columns' own driver mappings, so rows read back exactly as Drizzle's own queries return them.
 *
 * Column defaults apply as Drizzle applies them: `$defaultFn` runs per row, and a column no row
 * gives is left to the database. A column with a database default must be given by every row or by none.
 */
export async function insertUnnest<T extends PgTable>(
  tx: DbOrTx,
  table: T,
  rows: T['$inferInsert'][],
  options: { onConflictDoNothing?: PgColumn[] } = {},
): Promise<T['$inferSelect'][]> {
  if (rows.length === 0) {
    return [];
  }
  const columns = Object.entries(getTableColumns(table)) as [string, PgColumn][];
  const names: ReturnType<typeof sql.identifier>[] = [];
  const arrays: SQL[] = [];
  for (const [key, column] of columns) {
    const given = rows.map((row) => (row as Record<string, unknown>)[key]);
    const anyGiven = given.some((v) => v !== undefined);
    if (!anyGiven && !column.defaultFn) {
      continue;
    }
    const values = given.map((value) => {
      let v = value;
      if (v === undefined && column.defaultFn) {
        v = column.defaultFn();
      }
      if (v === undefined) {
        if (column.hasDefault) {
          throw new Error(
            `insertUnnest(${getTableName(table)}): column ${key} has a database default, so every row or none must give it`,
          );
        }
        return null;
      }
      if (is(v, SQL)) {
        throw new Error(`insertUnnest(${getTableName(table)}): column ${key} got SQL, not a value`);
      }
      return v === null ? null : column.mapToDriverValue(v);
    });
    names.push(sql.identifier(casing.getColumnCasing(column)));
    // PGlite serializes arrays of built-in types only; an enum array travels as text[] and is cast.
    const type = sql.raw(`${column.getSQLType()}[]`);
    arrays.push(
      is(column, PgEnumColumn)
        ? sql`${sql.param(values)}::text[]::${type}`
        : sql`${sql.param(values)}::${type}`,
    );
  }
  const conflict = options.onConflictDoNothing
    ? sql` on conflict (${sql.join(
        options.onConflictDoNothing.map((c) => sql.identifier(casing.getColumnCasing(c))),
        sql`, `,
      )}) do nothing`
    : sql``;
  const result = await tx.execute(
    sql`insert into ${table} (${sql.join(names, sql`, `)}) select * from unnest(${sql.join(arrays, sql`, `)})${conflict} returning *`,
  );
  return rowsOf(table, result);
}

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
