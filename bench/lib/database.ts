import { randomBytes } from 'node:crypto';

import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

import { type Database, fromPglite, fromPool } from '../../src/db/client.js';

export type BenchDbKind = 'postgres' | 'pglite';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchDatabase {
  database: Database;
  /** Where the numbers come from, for the report (never includes credentials). */
  label: string;
  /** Its connection string (node-postgres), or null for PGlite. */
  url: string | null;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh, migrated database of its own: `wa_bench_<random>` on the server, or an in-memory PGlite. */
export async function openBenchDatabase(
  kind: BenchDbKind,
  url = DEFAULT_POSTGRES_URL,
): Promise<BenchDatabase> {
  if (kind === 'pglite') {
    const database = fromPglite(await PGlite.create());
    await database.migrate();
    return { database, label: 'pglite (in memory)', url: null, drop: () => database.close() };
  }
  const name = `wa_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const own = withDatabase(url, name);
  const database = fromPool(new pg.Pool({ connectionString: own, max: 5 }));
  const drop = async () => {
    await database.close();
    const cleanup = new pg.Client({ connectionString: url });
    await cleanup.connect();
    try {
      await cleanup.query(`drop database if exists ${name} with (force)`);
    } finally {
      await cleanup.end();
    }
  };
  try {
    await database.migrate();
  } catch (err) {
    await drop();
    throw err;
  }
  const u = new URL(url);
  return { database, label: `postgres ${u.host}/${name}`, url: own, drop };
}
