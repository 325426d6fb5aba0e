import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { z } from 'zod';

/**
 * The only module that reads `process.env`. Everything else receives a typed `Config`.
 * Parsing fails fast and lists every problem at once, so a misconfigured deployment is
 * fixed in one round trip.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A duration in milliseconds: a bare number is seconds; units ms, s, m, h, d. */
const duration = z
  .string()
  .regex(/^\d+(ms|[smhd])?$/, 'expected a number of seconds or a duration such as 500ms, 30m, 12h, 7d')
  .transform(durationToMs);

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const encryptionKey = z
  .string()
  .refine((v) => decodeKey(v) !== null, 'expected 32 bytes, as 64 hex characters or base64');

const Env = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    DATA_DIR: z.string().default('./data'),
    WEB_ROOT: z.string().optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
      .optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    DATABASE_STARTUP_TIMEOUT: duration.default(60_000),
    WA_ENGINE: z.enum(['baileys', 'simulator']).default('baileys'),
    ALLOW_SIMULATOR_IN_PRODUCTION: bool.default(false),
    SESSIONS_PER_COMPANY: z.coerce.number().int().min(1).default(10),
    SESSION_LEASE_TTL: duration
      .default(30_000)
      .refine((ms) => ms >= 3000, 'must be at least 3s (the lease is renewed every third of it)'),
    RECONNECT_MIN_DELAY: duration.default(1000),
    RECONNECT_MAX_DELAY: duration.default(60_000),
    RECONNECT_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(10),
    SEND_RATE_PER_MINUTE: z.coerce.number().int().min(0).default(30),
    SEND_BURST: z.coerce.number().int().min(1).default(10),
    SEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),
    SEND_RETRY_DELAY: duration.default(2000),
    SIMULATOR_QR_ROTATE: duration.default(20_000),
    WA_WEBSOCKET_URL: z.url({ protocol: /^wss?$/ }).optional(),
    /** Unset: the current version is fetched from WhatsApp. */
    WA_WEB_VERSION: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'expected a WhatsApp Web version such as 2.3000.1023456789')
      .transform((v) => v.split('.').map(Number) as [number, number, number])
      .optional(),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_EXPIRES_IN: duration.default(24 * 3600 * 1000),
    ENCRYPTION_KEY: encryptionKey.optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    CORS_ORIGIN: csv.default([]),
    TRUST_PROXY: bool.default(false),
    /** Unset: served outside production only. */
    API_DOCS: bool.optional(),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    LOGIN_FAILURE_LIMIT: z.coerce.number().int().min(1).default(10),
    LOGIN_FAILURE_WINDOW: duration.default(15 * 60 * 1000),
    LOGIN_FAILURE_DELAY: duration.default(1000),
    /** Unset: ten times LOGIN_FAILURE_LIMIT. */
    LOGIN_ACCOUNT_FAILURE_LIMIT: z.coerce.number().int().min(1).optional(),
    SHUTDOWN_TIMEOUT: duration.default(15_000),
    PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(15),

    EXTERNAL_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    EXTERNAL_JWT_PUBLIC_KEY: z
      .string()
      .includes('BEGIN PUBLIC KEY', { message: 'expected a PEM (SPKI) public key' })
      .optional(),
    EXTERNAL_JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    EXTERNAL_JWT_ALGORITHMS: csv.optional(),
    EXTERNAL_JWT_ISSUER: z.string().optional(),
    EXTERNAL_JWT_AUDIENCE: z.string().optional(),
    EXTERNAL_JWT_USER_ID_CLAIM: z.string().default('sub'),
    EXTERNAL_JWT_COMPANY_ID_CLAIM: z.string().default('companyId'),
    EXTERNAL_JWT_ROLE_CLAIM: z.string().default('role'),
    EXTERNAL_JWT_EMAIL_CLAIM: z.string().default('email'),
    EXTERNAL_JWT_NAME_CLAIM: z.string().default('name'),
    EXTERNAL_JWT_COMPANY_NAME_CLAIM: z.string().default('companyName'),
    EXTERNAL_JWT_ADMIN_ROLES: csv.default(['admin']),
    EXTERNAL_JWT_MANAGER_ROLES: csv.default(['manager']),
  })
  .superRefine((e, ctx) => {
    if (e.NODE_ENV === 'production') {
      for (const key of ['JWT_SECRET', 'ENCRYPTION_KEY'] as const) {
        if (!e[key]) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
        }
      }
      // The simulator's control endpoints let any admin fake chats and messages.
      if (e.WA_ENGINE === 'simulator' && !e.ALLOW_SIMULATOR_IN_PRODUCTION) {
        ctx.addIssue({
          code: 'custom',
          path: ['WA_ENGINE'],
          message:
            "'simulator' is refused when NODE_ENV=production; set ALLOW_SIMULATOR_IN_PRODUCTION=true to run it anyway",
        });
      }
    }
    const keySources = [e.EXTERNAL_JWT_SECRET, e.EXTERNAL_JWT_PUBLIC_KEY, e.EXTERNAL_JWT_JWKS_URL].filter(
      Boolean,
    );
    if (keySources.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['EXTERNAL_JWT_SECRET'],
        message: 'set only one of EXTERNAL_JWT_SECRET, EXTERNAL_JWT_PUBLIC_KEY, EXTERNAL_JWT_JWKS_URL',
      });
    }
    if (e.EXTERNAL_JWT_ISSUER === 'whatsapp-service') {
      ctx.addIssue({
        code: 'custom',
        path: ['EXTERNAL_JWT_ISSUER'],
        message: "must differ from this service's own issuer 'whatsapp-service'",
      });
    }
    if (e.EXTERNAL_JWT_SECRET && e.EXTERNAL_JWT_SECRET === e.JWT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['EXTERNAL_JWT_SECRET'],
        message: 'must differ from JWT_SECRET, or tokens of one issuer would pass as the other',
      });
    }
  });

/** `vite build web` output; this file is src/config.ts or dist/config.js, one level below the root. */
const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../web/dist', import.meta.url));

export type EnvInput = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment into a typed config. Throws `ConfigError` listing every problem. */
export function loadConfig(env: EnvInput = process.env) {
  // An empty value (`DATABASE_URL=` in a .env file) means "not set", not "set to nothing".
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = Env.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const secrets = resolveSecrets(e.NODE_ENV, dataDir, e.JWT_SECRET, e.ENCRYPTION_KEY);

  return {
    env: e.NODE_ENV,
    http: {
      port: e.PORT,
      host: e.HOST,
      corsOrigins: e.CORS_ORIGIN,
      trustProxy: e.TRUST_PROXY,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
      /** The built web console served at `/` (not served when it has no index.html). */
      webRoot: e.WEB_ROOT ? resolve(e.WEB_ROOT) : DEFAULT_WEB_ROOT,
      /** Whether /docs and /openapi.json are served. */
      apiDocs: e.API_DOCS ?? e.NODE_ENV !== 'production',
    },
    dataDir,
    db: e.DATABASE_URL
      ? ({
          kind: 'postgres',
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          /** How long boot waits for an unreachable database before giving up (0: one attempt). */
          startupTimeoutMs: e.DATABASE_STARTUP_TIMEOUT,
        } as const)
      : ({ kind: 'pglite', dataDir: join(dataDir, 'pglite') } as const),
    auth: {
      jwtSecret: secrets.jwtSecret,
      /** log2 of scrypt's N; each step doubles the time and memory of a password check. */
      passwordHashCost: e.PASSWORD_HASH_COST,
      tokenTtlSeconds: Math.max(1, Math.floor(e.JWT_EXPIRES_IN / 1000)),
      rateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
      loginFailureLimit: e.LOGIN_FAILURE_LIMIT,
      loginFailureWindowMs: e.LOGIN_FAILURE_WINDOW,
      /** The first delay after loginFailureLimit failures of one address for one account; it doubles per failure. */
      loginFailureDelayMs: e.LOGIN_FAILURE_DELAY,
      /** Failures of one account from all addresses before addresses it has not signed in from are delayed. */
      loginAccountFailureLimit: e.LOGIN_ACCOUNT_FAILURE_LIMIT ?? 10 * e.LOGIN_FAILURE_LIMIT,
      external: externalIssuer(e),
    },
    encryptionKey: secrets.encryptionKey,
    whatsapp: {
      engine: e.WA_ENGINE,
      sessionsPerCompany: e.SESSIONS_PER_COMPANY,
      /** A session's engine lease on PostgreSQL: a crashed instance's sessions are taken over after it. */
      leaseTtlMs: e.SESSION_LEASE_TTL,
      reconnect: {
        minDelayMs: e.RECONNECT_MIN_DELAY,
        maxDelayMs: e.RECONNECT_MAX_DELAY,
        maxAttempts: e.RECONNECT_MAX_ATTEMPTS,
      },
      sending: {
        /** 0 turns pacing off. */
        perMinute: e.SEND_RATE_PER_MINUTE,
        burst: e.SEND_BURST,
        maxAttempts: e.SEND_MAX_ATTEMPTS,
        retryDelayMs: e.SEND_RETRY_DELAY,
      },
      simulator: { qrRotateMs: e.SIMULATOR_QR_ROTATE },
      /** Where the WhatsApp Web engine connects; WhatsApp's own endpoint unless set (a relay, a test server). */
      webSocketUrl: e.WA_WEBSOCKET_URL ?? null,
      /** The WhatsApp Web version the engine presents, pinned; null: fetched from WhatsApp (hourly, and after a refusal). */
      webVersion: e.WA_WEB_VERSION ?? null,
    },
    log: { level: e.LOG_LEVEL },
  };
}

export type Config = ReturnType<typeof loadConfig>;
export type DbConfig = Config['db'];
export type ExternalIssuerConfig = NonNullable<Config['auth']['external']>;

type ParsedEnv = z.infer<typeof Env>;

function externalIssuer(e: ParsedEnv) {
  const claims = {
    userId: e.EXTERNAL_JWT_USER_ID_CLAIM,
    companyId: e.EXTERNAL_JWT_COMPANY_ID_CLAIM,
    role: e.EXTERNAL_JWT_ROLE_CLAIM,
    email: e.EXTERNAL_JWT_EMAIL_CLAIM,
    name: e.EXTERNAL_JWT_NAME_CLAIM,
    companyName: e.EXTERNAL_JWT_COMPANY_NAME_CLAIM,
  };
  const common = {
    issuer: e.EXTERNAL_JWT_ISSUER,
    audience: e.EXTERNAL_JWT_AUDIENCE,
    claims,
    adminRoles: e.EXTERNAL_JWT_ADMIN_ROLES,
    managerRoles: e.EXTERNAL_JWT_MANAGER_ROLES,
  };
  if (e.EXTERNAL_JWT_SECRET) {
    return {
      ...common,
      key: { kind: 'secret', secret: e.EXTERNAL_JWT_SECRET } as const,
      algorithms: e.EXTERNAL_JWT_ALGORITHMS ?? ['HS256'],
    };
  }
  if (e.EXTERNAL_JWT_PUBLIC_KEY) {
    return {
      ...common,
      key: { kind: 'public_key', pem: e.EXTERNAL_JWT_PUBLIC_KEY } as const,
      algorithms: e.EXTERNAL_JWT_ALGORITHMS ?? ['RS256'],
    };
  }
  if (e.EXTERNAL_JWT_JWKS_URL) {
    return {
      ...common,
      key: { kind: 'jwks', url: e.EXTERNAL_JWT_JWKS_URL } as const,
      algorithms: e.EXTERNAL_JWT_ALGORITHMS ?? ['RS256', 'ES256'],
    };
  }
  return null;
}

/**
 * In production both secrets must be configured. Elsewhere, a missing one is generated once
 * and kept in DATA_DIR, so tokens and encrypted credentials survive restarts.
 */
function resolveSecrets(
  nodeEnv: ParsedEnv['NODE_ENV'],
  dataDir: string,
  jwtSecret: string | undefined,
  encryptionKey: string | undefined,
): { jwtSecret: string; encryptionKey: Buffer } {
  if (jwtSecret && encryptionKey) {
    return { jwtSecret, encryptionKey: decodeKey(encryptionKey)! };
  }
  if (nodeEnv === 'production') {
    // Unreachable through loadConfig (the schema refuses it); kept as a guard for direct callers.
    throw new ConfigError(['JWT_SECRET and ENCRYPTION_KEY are required when NODE_ENV=production']);
  }
  const file = join(dataDir, 'secrets.json');
  const stored = readStoredSecrets(file);
  const next = {
    jwtSecret: stored.jwtSecret ?? randomBytes(48).toString('base64url'),
    encryptionKey: stored.encryptionKey ?? randomBytes(32).toString('base64'),
  };
  if (next.jwtSecret !== stored.jwtSecret || next.encryptionKey !== stored.encryptionKey) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(next, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return {
    jwtSecret: jwtSecret ?? next.jwtSecret,
    encryptionKey: decodeKey(encryptionKey ?? next.encryptionKey)!,
  };
}

function readStoredSecrets(file: string): { jwtSecret?: string; encryptionKey?: string } {
  if (!existsSync(file)) {
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    raw = null;
  }
  const parsed = z
    .object({ jwtSecret: z.string().min(32).optional(), encryptionKey: encryptionKey.optional() })
    .safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError([`${file}: unreadable generated secrets; fix or delete the file`]);
  }
  return parsed.data;
}

function decodeKey(value: string): Buffer | null {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) {
    return Buffer.from(v, 'hex');
  }
  // Strict base64 (standard or url-safe): Buffer.from would silently skip stray characters.
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) {
    return null;
  }
  const b = Buffer.from(v, 'base64');
  return b.length === 32 ? b : null;
}

const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durationToMs(value: string): number {
  const unit = /[a-z]+$/.exec(value)?.[0] ?? 's';
  return Number.parseInt(value, 10) * (MS_PER_UNIT[unit] ?? 1000);
}
