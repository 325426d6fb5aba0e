import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';

import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { EventBus } from '../events/event-bus.js';
import type { Authenticate } from '../http/auth.js';
import { createIdempotencyStore } from '../http/idempotency.js';
import type { ApiApp } from '../http/types.js';
import { createCipher } from '../shared/cipher.js';
import { createPasswordHasher } from '../shared/passwords.js';
import { createAccessRepository } from './access/access.repository.js';
import { accessRoutes } from './access/access.routes.js';
import { createAccessService } from './access/access.service.js';
import { createAccessPolicy } from './access/policy.js';
import { createAuditRepository } from './audit/audit.repository.js';
import { auditRoutes } from './audit/audit.routes.js';
import { createAuditService } from './audit/audit.service.js';
import { authRoutes } from './auth/auth.routes.js';
import { createAuthService } from './auth/auth.service.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createTokens } from './auth/tokens.js';
import { createChatsRepository } from './chats/chats.repository.js';
import { chatsRoutes } from './chats/chats.routes.js';
import { createChatsService } from './chats/chats.service.js';
import { createIngestRepository } from './chats/ingest.repository.js';
import { createMediaService } from './chats/media.service.js';
import { createMessageIngest } from './chats/message-ingest.js';
import { createMessagesRepository } from './chats/messages.repository.js';
import { createSendQueueRepository } from './chats/send-queue.repository.js';
import { createSender } from './chats/sender.js';
import { managersRoutes } from './companies/managers.routes.js';
import { createManagersService } from './companies/managers.service.js';
import { createUsersRepository } from './companies/users.repository.js';
import { createEngine } from './engine/create-engine.js';
import { createCredentialStore } from './engine/credential-store.js';
import { healthRoutes } from './health/health.routes.js';
import { createSessionLeases, singleProcessLeases } from './sessions/session-leases.js';
import { createSessionSupervisor } from './sessions/session-supervisor.js';
import { createSessionsRepository } from './sessions/sessions.repository.js';
import { sessionsRoutes } from './sessions/sessions.routes.js';
import { createSessionsService } from './sessions/sessions.service.js';
import { createStatsRepository } from './stats/stats.repository.js';
import { statsRoutes } from './stats/stats.routes.js';
import { createStatsService } from './stats/stats.service.js';

export interface ModuleDeps {
  config: Config;
  database: Database;
  events: EventBus;
  log: FastifyBaseLogger;
  version: string;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** The composition root of the domain: one line or two per module, no container. */
export async function createModules({ config, database, events, log, version }: ModuleDeps) {
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
    delayMs: config.auth.loginFailureDelayMs,
    accountLimit: config.auth.loginAccountFailureLimit,
  });
  const authenticate: Authenticate = createAuthenticator({ tokens, users, audit, events });
  const auth = createAuthService({ db, users, audit, hasher, tokens, throttle });
  const managers = createManagersService({ db, users, audit, hasher, events });

  const wa = config.whatsapp;
  const cipher = createCipher(config.encryptionKey);
  // Fastify's logger is pino; an engine may want pino's full interface.
  const engine = await createEngine(wa, log as unknown as Logger, config.dataDir);
  const sessionsRepo = createSessionsRepository(db);
  const messagesRepo = createMessagesRepository(db);
  const policy = createAccessPolicy({ sessions: sessionsRepo, access: createAccessRepository(db) });
  const supervisor = createSessionSupervisor({
    sessions: sessionsRepo,
    engineFactory: engine.factory,
    credentialsFor: (sessionId) => createCredentialStore(db, cipher, sessionId),
    sentText: (sessionId, waMessageId) => messagesRepo.sentText(sessionId, waMessageId),
    events,
    log,
    reconnect: wa.reconnect,
    leases:
      database.kind === 'postgres'
        ? createSessionLeases(
            db,
            `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
            wa.leaseTtlMs,
          )
        : singleProcessLeases(),
    // Renewed every third of the lease: two renewals may fail before it expires.
    leaseRenewMs: wa.leaseTtlMs / 3,
  });
  const sessions = createSessionsService({
    db,
    sessions: sessionsRepo,
    policy,
    supervisor,
    audit,
    events,
    engine: wa.engine,
    sessionsPerCompany: wa.sessionsPerCompany,
  });
  const chatsRepo = createChatsRepository(db);
  const ingestRepo = createIngestRepository(db);
  const sender = createSender({
    queue: createSendQueueRepository(db),
    supervisor,
    events,
    log,
    policy: wa.sending,
  });
  supervisor.setHandlers({
    ...createMessageIngest({ db, ingest: ingestRepo, messages: messagesRepo, events, log }),
    ready: (ref) => sender.kick(ref),
  });
  events.on('session.deleted', ({ sessionId }) => {
    sender.forget(sessionId);
    engine.sessionDeleted(sessionId);
  });
  const idempotency = createIdempotencyStore(db);
  let purgeTimer: NodeJS.Timeout | undefined;
  const chats = createChatsService({
    db,
    chats: chatsRepo,
    messages: messagesRepo,
    ingest: ingestRepo,
    policy,
    supervisor,
    sender,
    idempotency,
    audit,
    events,
    log,
  });
  const media = createMediaService({
    messages: messagesRepo,
    policy,
    supervisor,
    dataDir: config.dataDir,
    log,
  });
  const access = createAccessService({
    db,
    access: createAccessRepository(db),
    users,
    policy,
    audit,
    events,
  });
  const stats = createStatsService({ stats: createStatsRepository(db) });

  return {
    authenticate,
    tokens,
    events,
    policy,
    supervisor,
    sender,
    services: { auth, managers, audit, sessions, access, chats },
    /** Starts background work: engines of sessions that were running resume without a new QR. */
    async start() {
      const resumed = await supervisor.resumeAll();
      log.info({ sessions: resumed }, 'sessions resumed');
      // Idempotency-Key records are kept for a day.
      const purge = () =>
        idempotency
          .purge(new Date(Date.now() - IDEMPOTENCY_TTL_MS))
          .catch((err: unknown) => log.warn({ err }, 'idempotency purge failed'));
      await purge();
      purgeTimer = setInterval(() => void purge(), 60 * 60 * 1000);
      purgeTimer.unref();
    },
    /** Stops engines (credentials kept) once no request is in flight. */
    async stop() {
      clearInterval(purgeTimer);
      await sender.stop();
      await supervisor.shutdown();
    },
    /** Registers every module's routes on the /api scope. */
    routes(api: ApiApp) {
      healthRoutes(api, { database, engine: config.whatsapp.engine, version });
      authRoutes(api, auth, { rateLimitPerMinute: config.auth.rateLimitPerMinute });
      managersRoutes(api, managers);
      auditRoutes(api, audit);
      sessionsRoutes(api, sessions);
      accessRoutes(api, access);
      chatsRoutes(api, chats, media);
      statsRoutes(api, stats);
      engine.routes?.(api, {
        requireSession: (actor, sessionId) => policy.require(actor, sessionId, 'any'),
        settled: (sessionId) => supervisor.settled(sessionId),
      });
    },
  };
}

export type Modules = Awaited<ReturnType<typeof createModules>>;
