import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { call } from '../../../test/support/factories.js';
import { testEnv } from '../../../test/support/test-app.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import { type App, buildApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { type Database, fromPool } from '../../db/client.js';

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('GET /api/health', () => {
  const app = useTestApp();

  it('answers 200 without a token, with the database reachable', async () => {
    const res = await call(app, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: {
        status: 'ok',
        db: 'ok',
        database: app.database.kind,
        engine: 'simulator',
        version,
        uptimeSeconds: expect.any(Number),
      },
    });
    expect(Number.isInteger(res.body.data.uptimeSeconds)).toBe(true);
    expect(res.body.data.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('ignores a bad token: health is public', async () => {
    const res = await call(app, 'GET', '/api/health', { token: 'not-a-token' });
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('ok');
  });
});

describe('GET /api/health with an unreachable database', () => {
  let dataDir: string;
  let database: Database;
  let app: App;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wa-health-test-'));
    database = fromPool(
      new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 }),
    );
    app = await buildApp({
      config: loadConfig(testEnv({ DATA_DIR: dataDir })),
      database,
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await app?.http.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 DATABASE_UNAVAILABLE with the error envelope, promptly', async () => {
    const started = Date.now();
    const res = await app.http.inject({ method: 'GET', url: '/api/health' });
    expect(Date.now() - started).toBeLessThan(5000);

    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body).toEqual({
      success: false,
      error: {
        code: 'DATABASE_UNAVAILABLE',
        message: expect.any(String),
        details: { status: 'degraded', db: 'unreachable' },
        requestId: res.headers['x-request-id'],
      },
    });
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(res.body).not.toContain('127.0.0.1');
  });

  it('keeps answering 503 on every call, not only the first', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await app.http.inject({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(503);
    }
  });
});

describe('GET /api/health after the database is closed', () => {
  // Its database is closed by the test: close() must tolerate that and still drop the copy.
  const app = useTestApp();

  it('answers 200 while the database is open, then 503 once it is closed', async () => {
    const before = await call(app, 'GET', '/api/health');
    expect(before.status).toBe(200);

    await app.database.close();

    const after = await call(app, 'GET', '/api/health');
    expect(after.status).toBe(503);
    expect(after.body).toMatchObject({
      success: false,
      error: { code: 'DATABASE_UNAVAILABLE', details: { db: 'unreachable' } },
    });
    expect(await app.database.ping(500)).toBe(false);
  });
});
