import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

import { fromPglite, fromPool } from '../../src/db/client.js';
import { testDatabaseUrl, withDatabase } from './database-url.js';

declare module 'vitest' {
  export interface ProvidedContext {
    database: { kind: 'pglite'; snapshotFile: string } | { kind: 'postgres'; url: string; template: string };
  }
}

/**
 * Migrates once per run, then each test file copies the result: PGlite loads a dumped data
 * directory, PostgreSQL creates a database from a template. Files never share a database.
 */
export default async function setup(project: TestProject) {
  const url = testDatabaseUrl();
  if (!url) {
    const client = await PGlite.create();
    const database = fromPglite(client);
    await database.migrate();
    const dump = await client.dumpDataDir('none');
    const snapshotFile = join(tmpdir(), `wa-test-${process.pid}-${randomBytes(4).toString('hex')}.tar`);
    writeFileSync(snapshotFile, Buffer.from(await dump.arrayBuffer()));
    await database.close();
    project.provide('database', { kind: 'pglite', snapshotFile });
    return () => rmSync(snapshotFile, { force: true });
  }

  const template = `wa_tpl_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${template}`);
  const templateDb = fromPool(new pg.Pool({ connectionString: withDatabase(url, template), max: 2 }));
  await templateDb.migrate();
  await templateDb.close();
  project.provide('database', { kind: 'postgres', url, template });

  return async () => {
    // Drop this run's databases, including any a crashed file left behind.
    const { rows } = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like $1 or datname = $2`,
      [`wa_t_${template.slice('wa_tpl_'.length)}_%`, template],
    );
    for (const { datname } of rows) {
      await admin.query(`drop database if exists "${datname}" with (force)`);
    }
    await admin.end();
  };
}
