import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type DestinationStream, pino } from 'pino';
import { inject } from 'vitest';

import { type App, buildApp } from '../../src/app.js';
import { type Config, type EnvInput, loadConfig } from '../../src/config.js';
import { type Database, fromPglite, fromPool } from '../../src/db/client.js';
import { loggerOptions } from '../../src/shared/logger.js';
import { withDatabase } from './database-url.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestDatabaseOptions {
  /** PostgreSQL only: the URL the service connects with (through a relay a test can cut). */
  connectVia?: (url: string) => string;
}

/** A fresh, migrated database for one test file: a PGlite copy or a new PostgreSQL database. */
export async function openTestDatabase(
  options: TestDatabaseOptions = {},
): Promise<{ database: Database; name: string | null; drop: () => Promise<void> }> {
  const provided = inject('database');
  if (provided.kind === 'pglite') {
    const snapshot = new Blob([readFileSync(provided.snapshotFile)]);
    const database = fromPglite(await PGlite.create({ loadDataDir: snapshot }));
    return { database, name: null, drop: () => database.close() };
  }
  const name = `wa_t_${provided.template.slice('wa_tpl_'.length)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: provided.url });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${provided.template}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(provided.url, name);
  const database = fromPool(
    new pg.Pool({
      connectionString: options.connectVia?.(url) ?? url,
      max: 5,
      connectionTimeoutMillis: 5_000,
    }),
  );
  return {
    database,
    name,
    drop: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: provided.url });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/** The environment a test app is configured from; a test overrides what it is about. */
export function testEnv(overrides: EnvInput = {}): EnvInput {
  return {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WA_ENGINE: 'simulator',
    LOG_LEVEL: 'silent',
    // Cheap hashing keeps the suite fast; production uses the default cost.
    PASSWORD_HASH_COST: '10',
    ...overrides,
  };
}

export interface TestApp extends App {
  config: Config;
  database: Database;
  /** The PostgreSQL database's name; null on PGlite. */
  databaseName: string | null;
  /** Closes the app and drops its database. */
  close(): Promise<void>;
  /**
   * Stops this instance as a server restart would (engines stopped, credentials kept) and starts a
   * new one on the same database and configuration. This instance must not be used afterwards.
   */
  restart(options?: { beforeStart?: () => Promise<void> }): Promise<TestApp>;
}

/**
 * The production app, on its own database, with the simulator engine. Its logs go to `logStream`
 * when given (at LOG_LEVEL, silent unless overridden), else to stdout.
 */
export async function createTestApp(
  overrides: EnvInput = {},
  options: TestDatabaseOptions & { logStream?: DestinationStream } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-test-data-'));
  const config = loadConfig(testEnv({ DATA_DIR: dataDir, ...overrides }));
  const { database, name: databaseName, drop } = await openTestDatabase(options);
  const logger = options.logStream
    ? pino(loggerOptions(config.log.level), options.logStream)
    : pino(loggerOptions(config.log.level));

  const open = async (): Promise<TestApp> => {
    const app = await buildApp({ config, database, logger });
    await app.modules.start();
    return {
      ...app,
      config,
      database,
      databaseName,
      async close() {
        await app.http.close();
        await drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
      async restart(options) {
        await app.http.close();
        await options?.beforeStart?.();
        return open();
      },
    };
  };
  return open();
}
