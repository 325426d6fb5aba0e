import { mkdirSync } from 'node:fs';

import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';

import type { DbConfig } from '../config.js';
import { migratePgliteClient, migratePool } from './migrate.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** One Drizzle type over both drivers; repositories never know which one runs. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** What a repository function accepts as its optional last argument. */
export type DbOrTx = Db | Tx;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Applies the checked-in migrations that have not run yet. */
  migrate(): Promise<void>;
  /** Answers whether the database takes queries now; never throws. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Property keys are camelCase, columns snake_case; raw SQL that names columns must use the same. */
export const DB_CASING = 'snake_case';

const drizzleOptions = { schema, casing: DB_CASING } as const;

/** Opens the configured database: embedded PGlite under DATA_DIR, or PostgreSQL by URL. */
export async function openDatabase(config: DbConfig): Promise<Database> {
  if (config.kind === 'postgres') {
    return fromPool(
      new pg.Pool({
        connectionString: config.url,
        max: config.poolSize,
        // An unreachable host fails a request in seconds instead of holding it until the OS gives up.
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      }),
    );
  }
  mkdirSync(config.dataDir, { recursive: true });
  return fromPglite(await PGlite.create({ dataDir: config.dataDir }));
}

export function fromPglite(client: PGlite): Database {
  const db = drizzlePglite({ client, ...drizzleOptions }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    migrate: () => migratePgliteClient(client),
    ping: (timeoutMs) => pingWith(db, timeoutMs, () => client.closed),
    close: async () => {
      if (!client.closed) {
        await client.close();
      }
    },
  };
}

/** How long opening one PostgreSQL connection may take. */
const CONNECT_TIMEOUT_MS = 5_000;

export function fromPool(pool: pg.Pool): Database {
  // A connection the server drops (terminated, restarted, network gone) emits 'error' on its
  // client, and an unhandled 'error' event ends the process. The pool listens on idle clients
  // only, and stops while a client is checked out, as inside a transaction; so every client gets
  // a listener of its own for its whole life. The statement in flight, or the next one, fails
  // with the cause, and the pool discards the broken client when it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = drizzlePg({ client: pool, ...drizzleOptions }) as unknown as Db;
  let closed = false;
  return {
    kind: 'postgres',
    db,
    migrate: () => migratePool(pool),
    ping: (timeoutMs) => pingWith(db, timeoutMs, () => closed),
    close: async () => {
      if (!closed) {
        closed = true;
        await pool.end();
      }
    },
  };
}

async function pingWith(db: Db, timeoutMs = 2000, isClosed: () => boolean): Promise<boolean> {
  if (isClosed()) {
    return false;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const probe = db.execute(sql`select 1`).then(
      () => true,
      () => false,
    );
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
