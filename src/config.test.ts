import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ConfigError, type EnvInput, loadConfig } from './config.js';

const JWT = 'a-configured-jwt-secret-of-more-than-32-chars';
const KEY_HEX = randomBytes(32).toString('hex');

/** Secrets are given unless a test is about them, so nothing is written outside a temp dir. */
const withSecrets = (env: EnvInput = {}): EnvInput => ({ JWT_SECRET: JWT, ENCRYPTION_KEY: KEY_HEX, ...env });

const tempDirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wa-config-test-'));
  tempDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The ConfigError that loadConfig throws for `env`; fails the test if it throws nothing else. */
function configErrorOf(env: EnvInput): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected loadConfig to throw a ConfigError for ${JSON.stringify(env)}`);
}

/** The problems naming `key`: each problem starts with the variable it is about. */
const problemsAbout = (error: ConfigError, key: string) =>
  error.problems.filter((p) => p.startsWith(`${key}:`));

describe('loadConfig defaults', () => {
  it('listens on 0.0.0.0:3000 with the embedded database under DATA_DIR, the baileys engine and info logs', () => {
    const dataDir = tempDataDir();
    const config = loadConfig(withSecrets({ DATA_DIR: dataDir }));

    expect(config.env).toBe('development');
    expect(config.http).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      corsOrigins: [],
      trustProxy: false,
      bodyLimitBytes: 1024 * 1024,
      shutdownTimeoutMs: 15_000,
    });
    expect(config.dataDir).toBe(dataDir);
    expect(config.db).toEqual({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
    expect(config.whatsapp.engine).toBe('baileys');
    expect(config.log.level).toBe('info');
    expect(config.auth).toMatchObject({
      passwordHashCost: 15,
      tokenTtlSeconds: 24 * 3600,
      rateLimitPerMinute: 30,
      loginFailureLimit: 10,
      loginFailureWindowMs: 15 * 60 * 1000,
      loginFailureDelayMs: 1000,
      loginAccountFailureLimit: 100,
      external: null,
    });
  });

  it('defaults DATA_DIR to ./data resolved against the working directory', () => {
    const config = loadConfig(withSecrets());
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.db).toEqual({ kind: 'pglite', dataDir: join(resolve('./data'), 'pglite') });
  });

  it('reads the values it is given', () => {
    const config = loadConfig(
      withSecrets({
        PORT: '8080',
        HOST: '127.0.0.1',
        WA_ENGINE: 'simulator',
        LOG_LEVEL: 'debug',
        TRUST_PROXY: 'yes',
        SHUTDOWN_TIMEOUT: '1m',
        PASSWORD_HASH_COST: '12',
        NODE_ENV: 'test',
      }),
    );
    expect(config.env).toBe('test');
    expect(config.http).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      trustProxy: true,
      shutdownTimeoutMs: 60_000,
    });
    expect(config.whatsapp.engine).toBe('simulator');
    expect(config.log.level).toBe('debug');
    expect(config.auth.passwordHashCost).toBe(12);
  });
});

describe('loadConfig database', () => {
  it.each(['postgres://u:p@db.example.com:5432/app', 'postgresql://db.example.com/app'])(
    'uses PostgreSQL when DATABASE_URL is %s',
    (url) => {
      const config = loadConfig(withSecrets({ DATABASE_URL: url, DATABASE_POOL_SIZE: '7' }));
      expect(config.db).toEqual({ kind: 'postgres', url, poolSize: 7, startupTimeoutMs: 60_000 });
    },
  );

  it('defaults the pool size to 10', () => {
    const config = loadConfig(withSecrets({ DATABASE_URL: 'postgres://localhost/app' }));
    expect(config.db).toMatchObject({ kind: 'postgres', poolSize: 10 });
  });

  it('reads how long boot waits for the database, 0 meaning one attempt', () => {
    const url = 'postgres://localhost/app';
    expect(loadConfig(withSecrets({ DATABASE_URL: url, DATABASE_STARTUP_TIMEOUT: '2m' })).db).toMatchObject({
      startupTimeoutMs: 120_000,
    });
    expect(loadConfig(withSecrets({ DATABASE_URL: url, DATABASE_STARTUP_TIMEOUT: '0' })).db).toMatchObject({
      startupTimeoutMs: 0,
    });
  });

  it('reads the session lease, 30 s by default and never under 3 s', () => {
    expect(loadConfig(withSecrets({})).whatsapp.leaseTtlMs).toBe(30_000);
    expect(loadConfig(withSecrets({ SESSION_LEASE_TTL: '10s' })).whatsapp.leaseTtlMs).toBe(10_000);
    expect(() => loadConfig(withSecrets({ SESSION_LEASE_TTL: '1s' }))).toThrow(/SESSION_LEASE_TTL/);
  });
});

describe('loadConfig empty values', () => {
  it('treats empty and blank strings as unset', () => {
    const dataDir = tempDataDir();
    const config = loadConfig(
      withSecrets({
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        PORT: '',
        WA_ENGINE: '  ',
        LOG_LEVEL: '',
        CORS_ORIGIN: '',
        JWT_EXPIRES_IN: ' ',
        EXTERNAL_JWT_SECRET: '',
      }),
    );
    expect(config.db).toEqual({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
    expect(config.http.port).toBe(3000);
    expect(config.whatsapp.engine).toBe('baileys');
    expect(config.log.level).toBe('info');
    expect(config.http.corsOrigins).toEqual([]);
    expect(config.auth.tokenTtlSeconds).toBe(24 * 3600);
    expect(config.auth.external).toBeNull();
  });

  it('counts an empty secret as missing in production', () => {
    const error = configErrorOf({ NODE_ENV: 'production', JWT_SECRET: '', ENCRYPTION_KEY: '   ' });
    expect(problemsAbout(error, 'JWT_SECRET')).toHaveLength(1);
    expect(problemsAbout(error, 'ENCRYPTION_KEY')).toHaveLength(1);
  });
});

describe('loadConfig errors', () => {
  it('lists every problem at once', () => {
    const error = configErrorOf(
      withSecrets({ PORT: 'abc', WA_ENGINE: 'foo', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' }),
    );
    expect(error.name).toBe('ConfigError');
    for (const key of ['PORT', 'WA_ENGINE', 'LOG_LEVEL', 'DATABASE_URL']) {
      expect(problemsAbout(error, key), key).toHaveLength(1);
      expect(error.message).toContain(`  - ${key}:`);
    }
    expect(error.problems).toHaveLength(4);
    expect(error.message.startsWith('Invalid configuration:')).toBe(true);
    expect(problemsAbout(error, 'DATABASE_URL')[0]).toContain('postgres://');
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['NODE_ENV', 'staging'],
    ['DATABASE_POOL_SIZE', '0'],
    ['TRUST_PROXY', 'maybe'],
    ['API_DOCS', 'maybe'],
    ['ALLOW_SIMULATOR_IN_PRODUCTION', 'maybe'],
    ['BODY_LIMIT_BYTES', '10'],
    ['PASSWORD_HASH_COST', '9'],
    ['PASSWORD_HASH_COST', '21'],
    ['JWT_EXPIRES_IN', '12 hours'],
    ['JWT_EXPIRES_IN', '1w'],
    ['JWT_EXPIRES_IN', '-5'],
    ['SHUTDOWN_TIMEOUT', 'soon'],
    ['LOGIN_FAILURE_DELAY', '1 second'],
    ['LOGIN_ACCOUNT_FAILURE_LIMIT', '0'],
    ['EXTERNAL_JWT_JWKS_URL', 'ftp://issuer.example.com/jwks'],
    ['EXTERNAL_JWT_PUBLIC_KEY', 'not a pem'],
    ['EXTERNAL_JWT_SECRET', 'short'],
  ])('refuses %s=%s, naming the variable', (key, value) => {
    const error = configErrorOf(withSecrets({ [key]: value }));
    expect(problemsAbout(error, key)).toHaveLength(1);
  });
});

describe('loadConfig in production', () => {
  it('requires JWT_SECRET and ENCRYPTION_KEY, naming both, and generates nothing', () => {
    const dataDir = tempDataDir();
    const error = configErrorOf({ NODE_ENV: 'production', DATA_DIR: dataDir });
    expect(problemsAbout(error, 'JWT_SECRET')[0]).toContain('NODE_ENV=production');
    expect(problemsAbout(error, 'ENCRYPTION_KEY')[0]).toContain('NODE_ENV=production');
    expect(error.message).toContain('JWT_SECRET');
    expect(error.message).toContain('ENCRYPTION_KEY');
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
  });

  it('names the one that is missing', () => {
    const error = configErrorOf({ NODE_ENV: 'production', JWT_SECRET: JWT });
    expect(problemsAbout(error, 'ENCRYPTION_KEY')).toHaveLength(1);
    expect(problemsAbout(error, 'JWT_SECRET')).toHaveLength(0);
  });

  it('starts with both, using them as given and writing no secrets file', () => {
    const dataDir = tempDataDir();
    const config = loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      JWT_SECRET: JWT,
      ENCRYPTION_KEY: KEY_HEX,
    });
    expect(config.env).toBe('production');
    expect(config.auth.jwtSecret).toBe(JWT);
    expect(config.encryptionKey.equals(Buffer.from(KEY_HEX, 'hex'))).toBe(true);
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
  });
});

describe('loadConfig WA_ENGINE=simulator in production', () => {
  const production = withSecrets({ NODE_ENV: 'production', WA_ENGINE: 'simulator' });

  it('is refused, naming WA_ENGINE and the way to allow it', () => {
    const error = configErrorOf(production);
    expect(error.problems).toHaveLength(1);
    expect(problemsAbout(error, 'WA_ENGINE')[0]).toContain('NODE_ENV=production');
    expect(problemsAbout(error, 'WA_ENGINE')[0]).toContain('ALLOW_SIMULATOR_IN_PRODUCTION=true');
  });

  it('is listed with the other problems', () => {
    const error = configErrorOf({ NODE_ENV: 'production', WA_ENGINE: 'simulator' });
    for (const key of ['JWT_SECRET', 'ENCRYPTION_KEY', 'WA_ENGINE']) {
      expect(problemsAbout(error, key), key).toHaveLength(1);
    }
  });

  it('is accepted with ALLOW_SIMULATOR_IN_PRODUCTION=true', () => {
    const config = loadConfig({ ...production, ALLOW_SIMULATOR_IN_PRODUCTION: 'true' });
    expect(config.whatsapp.engine).toBe('simulator');
  });

  it.each(['false', ''])('is refused with ALLOW_SIMULATOR_IN_PRODUCTION=%j', (value) => {
    expect(
      problemsAbout(configErrorOf({ ...production, ALLOW_SIMULATOR_IN_PRODUCTION: value }), 'WA_ENGINE'),
    ).toHaveLength(1);
  });

  it('leaves baileys in production and the simulator elsewhere alone', () => {
    expect(loadConfig(withSecrets({ NODE_ENV: 'production' })).whatsapp.engine).toBe('baileys');
    for (const env of ['development', 'test']) {
      expect(loadConfig(withSecrets({ NODE_ENV: env, WA_ENGINE: 'simulator' })).whatsapp.engine).toBe(
        'simulator',
      );
    }
  });
});

describe('loadConfig API_DOCS', () => {
  it('serves the documentation by default outside production only', () => {
    expect(loadConfig(withSecrets()).http.apiDocs).toBe(true);
    expect(loadConfig(withSecrets({ NODE_ENV: 'test' })).http.apiDocs).toBe(true);
    expect(loadConfig(withSecrets({ NODE_ENV: 'production' })).http.apiDocs).toBe(false);
  });

  it('follows the value given, in production or not', () => {
    expect(loadConfig(withSecrets({ NODE_ENV: 'production', API_DOCS: 'true' })).http.apiDocs).toBe(true);
    expect(loadConfig(withSecrets({ API_DOCS: 'false' })).http.apiDocs).toBe(false);
    expect(loadConfig(withSecrets({ API_DOCS: '' })).http.apiDocs).toBe(true);
  });
});

describe('loadConfig ENCRYPTION_KEY', () => {
  it('accepts 64 hex characters, in either case', () => {
    const key = randomBytes(32);
    for (const text of [key.toString('hex'), key.toString('hex').toUpperCase()]) {
      const config = loadConfig(withSecrets({ ENCRYPTION_KEY: text }));
      expect(config.encryptionKey.equals(key)).toBe(true);
    }
  });

  it('accepts base64 of 32 bytes', () => {
    const key = randomBytes(32);
    const config = loadConfig(withSecrets({ ENCRYPTION_KEY: key.toString('base64') }));
    expect(config.encryptionKey).toHaveLength(32);
    expect(config.encryptionKey.equals(key)).toBe(true);
  });

  it.each([
    ['a short word', 'secret'],
    ['63 hex characters', randomBytes(32).toString('hex').slice(1)],
    ['base64 of 16 bytes', randomBytes(16).toString('base64')],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['base64 of 33 bytes', randomBytes(33).toString('base64')],
    ['base64 of 64 bytes', randomBytes(64).toString('base64')],
  ])('refuses %s', (_case, value) => {
    const error = configErrorOf(withSecrets({ ENCRYPTION_KEY: value }));
    expect(problemsAbout(error, 'ENCRYPTION_KEY')[0]).toContain('32 bytes');
  });
});

describe('loadConfig JWT_SECRET', () => {
  it('refuses a secret shorter than 32 characters', () => {
    const error = configErrorOf(withSecrets({ JWT_SECRET: 'x'.repeat(31) }));
    expect(problemsAbout(error, 'JWT_SECRET')[0]).toContain('at least 32');
  });

  it('accepts exactly 32 characters', () => {
    const config = loadConfig(withSecrets({ JWT_SECRET: 'x'.repeat(32) }));
    expect(config.auth.jwtSecret).toBe('x'.repeat(32));
  });

  it.each([
    ['12h', 12 * 3600],
    ['30m', 30 * 60],
    ['3600', 3600],
    ['45s', 45],
    ['7d', 7 * 86400],
  ])('reads JWT_EXPIRES_IN=%s as %i seconds', (value, seconds) => {
    expect(loadConfig(withSecrets({ JWT_EXPIRES_IN: value })).auth.tokenTtlSeconds).toBe(seconds);
  });

  it('reads LOGIN_FAILURE_WINDOW and SHUTDOWN_TIMEOUT as durations in milliseconds', () => {
    const config = loadConfig(withSecrets({ LOGIN_FAILURE_WINDOW: '5m', SHUTDOWN_TIMEOUT: '30s' }));
    expect(config.auth.loginFailureWindowMs).toBe(5 * 60 * 1000);
    expect(config.http.shutdownTimeoutMs).toBe(30_000);
    expect(loadConfig(withSecrets({ SHUTDOWN_TIMEOUT: '20' })).http.shutdownTimeoutMs).toBe(20_000);
  });

  it('reads LOGIN_FAILURE_DELAY, and takes LOGIN_ACCOUNT_FAILURE_LIMIT as ten times LOGIN_FAILURE_LIMIT unless set', () => {
    const derived = loadConfig(withSecrets({ LOGIN_FAILURE_LIMIT: '4', LOGIN_FAILURE_DELAY: '500ms' }));
    expect(derived.auth).toMatchObject({
      loginFailureLimit: 4,
      loginFailureDelayMs: 500,
      loginAccountFailureLimit: 40,
    });
    const given = loadConfig(withSecrets({ LOGIN_FAILURE_LIMIT: '4', LOGIN_ACCOUNT_FAILURE_LIMIT: '25' }));
    expect(given.auth.loginAccountFailureLimit).toBe(25);
  });
});

describe('loadConfig generated development secrets', () => {
  it('generates both secrets once into DATA_DIR/secrets.json, readable by the owner only', () => {
    const dataDir = tempDataDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = join(dataDir, 'secrets.json');

    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(first.auth.jwtSecret).toBe(stored.jwtSecret);
    expect(first.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.encryptionKey).toHaveLength(32);
    expect(first.encryptionKey.equals(Buffer.from(stored.encryptionKey, 'base64'))).toBe(true);

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
    expect(second.encryptionKey.equals(first.encryptionKey)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(stored);
  });

  it('creates DATA_DIR when it does not exist yet', () => {
    const dataDir = join(tempDataDir(), 'nested', 'data');
    loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir });
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('gives each DATA_DIR its own secrets', () => {
    const a = loadConfig({ DATA_DIR: tempDataDir() });
    const b = loadConfig({ DATA_DIR: tempDataDir() });
    expect(a.auth.jwtSecret).not.toBe(b.auth.jwtSecret);
    expect(a.encryptionKey.equals(b.encryptionKey)).toBe(false);
  });

  it('lets a configured JWT_SECRET or ENCRYPTION_KEY win over the stored one', () => {
    const dataDir = tempDataDir();
    const generated = loadConfig({ DATA_DIR: dataDir });
    const stored = readFileSync(join(dataDir, 'secrets.json'), 'utf8');

    const withJwt = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: JWT });
    expect(withJwt.auth.jwtSecret).toBe(JWT);
    expect(withJwt.encryptionKey.equals(generated.encryptionKey)).toBe(true);

    const withKey = loadConfig({ DATA_DIR: dataDir, ENCRYPTION_KEY: KEY_HEX });
    expect(withKey.auth.jwtSecret).toBe(generated.auth.jwtSecret);
    expect(withKey.encryptionKey.equals(Buffer.from(KEY_HEX, 'hex'))).toBe(true);

    // The stored secrets are kept for when the configured ones are removed again.
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toBe(stored);
    expect(loadConfig({ DATA_DIR: dataDir }).auth.jwtSecret).toBe(generated.auth.jwtSecret);
  });

  it('refuses a secrets file with the wrong content, naming the file', () => {
    const dataDir = tempDataDir();
    const file = join(dataDir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ jwtSecret: 'short', encryptionKey: 'nope' }));
    const error = configErrorOf({ DATA_DIR: dataDir });
    expect(error.problems.join('\n')).toContain(file);
  });

  it('refuses a secrets file that is not JSON with a ConfigError, naming the file', () => {
    const dataDir = tempDataDir();
    const file = join(dataDir, 'secrets.json');
    writeFileSync(file, '{ truncated');
    const error = configErrorOf({ DATA_DIR: dataDir });
    expect(error.problems.join('\n')).toContain(file);
  });
});

describe('loadConfig CORS_ORIGIN', () => {
  it('splits a comma-separated list, trimming blanks and dropping empty entries', () => {
    const config = loadConfig(
      withSecrets({ CORS_ORIGIN: ' https://crm.example.com , https://app.example.com,, ' }),
    );
    expect(config.http.corsOrigins).toEqual(['https://crm.example.com', 'https://app.example.com']);
  });

  it('keeps a single origin and the * wildcard', () => {
    expect(loadConfig(withSecrets({ CORS_ORIGIN: 'https://crm.example.com' })).http.corsOrigins).toEqual([
      'https://crm.example.com',
    ]);
    expect(loadConfig(withSecrets({ CORS_ORIGIN: '*' })).http.corsOrigins).toEqual(['*']);
  });
});

describe('loadConfig external issuer', () => {
  const EXTERNAL_SECRET = 'an-external-issuer-secret-of-32-chars-or-more';
  const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----';
  const JWKS = 'https://issuer.example.com/.well-known/jwks.json';

  it('is off by default', () => {
    expect(loadConfig(withSecrets()).auth.external).toBeNull();
  });

  it('takes a shared secret with HS256 and the default claim names', () => {
    const external = loadConfig(
      withSecrets({ EXTERNAL_JWT_SECRET: EXTERNAL_SECRET, EXTERNAL_JWT_ISSUER: 'crm' }),
    ).auth.external;
    expect(external).toMatchObject({
      key: { kind: 'secret', secret: EXTERNAL_SECRET },
      algorithms: ['HS256'],
      issuer: 'crm',
      claims: { userId: 'sub', companyId: 'companyId', role: 'role' },
      adminRoles: ['admin'],
      managerRoles: ['manager'],
    });
  });

  it('takes a public key or a JWKS URL, with configurable algorithms and roles', () => {
    expect(loadConfig(withSecrets({ EXTERNAL_JWT_PUBLIC_KEY: PEM })).auth.external).toMatchObject({
      key: { kind: 'public_key', pem: PEM },
      algorithms: ['RS256'],
    });
    expect(
      loadConfig(
        withSecrets({
          EXTERNAL_JWT_JWKS_URL: JWKS,
          EXTERNAL_JWT_ALGORITHMS: 'ES256, EdDSA',
          EXTERNAL_JWT_ADMIN_ROLES: 'owner,admin',
        }),
      ).auth.external,
    ).toMatchObject({
      key: { kind: 'jwks', url: JWKS },
      algorithms: ['ES256', 'EdDSA'],
      adminRoles: ['owner', 'admin'],
    });
  });

  it.each([
    ['a secret and a public key', { EXTERNAL_JWT_SECRET: EXTERNAL_SECRET, EXTERNAL_JWT_PUBLIC_KEY: PEM }],
    ['a secret and a JWKS URL', { EXTERNAL_JWT_SECRET: EXTERNAL_SECRET, EXTERNAL_JWT_JWKS_URL: JWKS }],
    ['a public key and a JWKS URL', { EXTERNAL_JWT_PUBLIC_KEY: PEM, EXTERNAL_JWT_JWKS_URL: JWKS }],
  ])('refuses %s together', (_case, env) => {
    const error = configErrorOf(withSecrets(env));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain('set only one of');
  });

  it('refuses an external secret equal to JWT_SECRET', () => {
    const error = configErrorOf(withSecrets({ EXTERNAL_JWT_SECRET: JWT }));
    expect(problemsAbout(error, 'EXTERNAL_JWT_SECRET')[0]).toContain('must differ from JWT_SECRET');
  });
});
