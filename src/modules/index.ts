import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { EventBus } from '../events/event-bus.js';
import type { Authenticate } from '../http/auth.js';
import type { ApiApp } from '../http/types.js';
import { createAuditRepository } from './audit/audit.repository.js';
import { auditRoutes } from './audit/audit.routes.js';
import { createAuditService } from './audit/audit.service.js';
import { authRoutes } from './auth/auth.routes.js';
import { createAuthService } from './auth/auth.service.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createPasswordHasher } from './auth/passwords.js';
import { createTokens } from './auth/tokens.js';
import { managersRoutes } from './companies/managers.routes.js';
import { createManagersService } from './companies/managers.service.js';
import { createUsersRepository } from './companies/users.repository.js';
import { healthRoutes } from './health/health.routes.js';

export interface ModuleDeps {
  config: Config;
  database: Database;
  events: EventBus;
  version: string;
}

/** The composition root of the domain: one line or two per module, no container. */
export function createModules({ config, database, events, version }: ModuleDeps) {
  const { db } = database;
  const users = createUsersRepository(db);
  const audit = createAuditService({ audit: createAuditRepository(db) });
  const hasher = createPasswordHasher(config.auth.passwordHashCost);
  const tokens = createTokens({
    secret: config.auth.jwtSecret,
    ttlSeconds: config.auth.tokenTtlSeconds,
    external: config.auth.external,
  });
  const throttle = createLoginThrottle({
    limit: config.auth.loginFailureLimit,
    windowMs: config.auth.loginFailureWindowMs,
  });
  const authenticate: Authenticate = createAuthenticator({ tokens, users, audit, events });
  const auth = createAuthService({ db, users, audit, hasher, tokens, throttle });
  const managers = createManagersService({ db, users, audit, hasher, events });

  return {
    authenticate,
    tokens,
    services: { auth, managers, audit },
    /** Registers every module's routes on the /api scope. */
    routes(api: ApiApp) {
      healthRoutes(api, { database, engine: config.whatsapp.engine, version });
      authRoutes(api, auth, { rateLimitPerMinute: config.auth.rateLimitPerMinute });
      managersRoutes(api, managers);
      auditRoutes(api, audit);
    },
  };
}

export type Modules = ReturnType<typeof createModules>;
