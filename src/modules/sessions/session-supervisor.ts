import type { FastifyBaseLogger } from 'fastify';

import { isTransientDbError } from '../../db/errors.js';
import type { EventBus } from '../../events/event-bus.js';
import { ServiceUnavailableError } from '../../http/errors.js';
import type {
  CredentialStore,
  EngineChat,
  EngineContact,
  EngineEvent,
  EngineFactory,
  EngineMessage,
  MessageChange,
  MessageFailure,
  WhatsAppEngine,
} from '../engine/engine.js';
import type { QrView } from './presenters.js';
import { createEventQueue, type EventQueue } from './session-events.js';
import { createLeaseKeeper, type SessionLeases } from './session-leases.js';
import { createEngineEventHandler, createSessionLifecycle } from './session-lifecycle.js';
import type { SessionStatus } from './session-status.js';
import type { SessionsRepository } from './sessions.repository.js';
import type { SessionRow } from './sessions.table.js';

/** What the rest of the service does with what an engine reports; the chats module implements it. */
export interface EngineHandlers {
  messages(session: SessionRef, source: 'live' | 'history', messages: EngineMessage[]): Promise<void>;
  statuses(
    session: SessionRef,
    updates: Extract<EngineEvent, { type: 'message_status' }>['updates'],
  ): Promise<void>;
  changes(session: SessionRef, changes: MessageChange[]): Promise<void>;
  failures(session: SessionRef, failures: MessageFailure[]): Promise<void>;
  identity(session: SessionRef, lid: string, phoneWaId: string): Promise<void>;
  chats(session: SessionRef, chats: EngineChat[]): Promise<void>;
  contacts(session: SessionRef, contacts: EngineContact[]): Promise<void>;
  /** The session came online: pending sends may go. */
  ready(session: SessionRef): void;
}

export interface SessionRef {
  sessionId: string;
  companyId: string;
}

export interface ReconnectPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  /** Consecutive failed connection attempts after which the session ends in `failed`. */
  maxAttempts: number;
}

/** A session whose engine runs here, with what the supervisor keeps about it. */
export interface RunningSession {
  ref: SessionRef;
  engine: WhatsAppEngine;
  credentials: CredentialStore;
  status: SessionStatus;
  /** Failed connection attempts since the last `ready`. */
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  qr: QrView | null;
  /** Its engine's events, handled one at a time, in order. */
  events: EventQueue;
}

export interface SupervisorDeps {
  sessions: SessionsRepository;
  engineFactory: EngineFactory;
  credentialsFor: (sessionId: string) => CredentialStore;
  sentText: (sessionId: string, waMessageId: string) => Promise<string | null>;
  events: EventBus;
  log: FastifyBaseLogger;
  reconnect: ReconnectPolicy;
  /** One place per session: an engine starts only under this instance's lease. */
  leases: SessionLeases;
  leaseRenewMs: number;
}

/** What the rest of the service asks about the sessions running here; nothing here changes one. */
function runningSessionQueries(
  running: Map<string, RunningSession>,
  deps: Pick<SupervisorDeps, 'leases' | 'sessions'>,
) {
  return {
    /** The engine of a ready session, or 503. */
    readyEngine(sessionId: string): WhatsAppEngine {
      const session = running.get(sessionId);
      if (session?.status !== 'ready') {
        throw new ServiceUnavailableError(
          'SESSION_NOT_READY',
          `Session '${sessionId}' is not connected to WhatsApp`,
        );
      }
      return session.engine;
    },

    /**
     * Whether the session takes messages to send (they wait as `pending`): its engine runs here,
     * linking or reconnecting; or, on a database shared with other instances, it will run again by
     * itself (elsewhere, or here once a crashed instance's lease expires). A session an admin
     * disconnected, that was logged out or that gave up would keep them forever.
     */
    async takesSends(ref: SessionRef): Promise<boolean> {
      if (running.has(ref.sessionId)) {
        return true;
      }
      return deps.leases.shared && (await deps.sessions.willResume(ref.companyId, ref.sessionId));
    },

    /** The running engine, whatever its status (pairing needs one waiting for a link). */
    runningEngine(sessionId: string): WhatsAppEngine | null {
      return running.get(sessionId)?.engine ?? null;
    },

    isReady(sessionId: string): boolean {
      return running.get(sessionId)?.status === 'ready';
    },

    /** The pending QR with its PNG, or null. */
    qrOf(sessionId: string): QrView | null {
      return running.get(sessionId)?.qr ?? null;
    },

    /**
     * Waits until every event received so far has been handled: one session's (an engine's
     * control calls answer once their effect is stored), or all of them (tests, shutdown).
     */
    async settled(sessionId?: string): Promise<void> {
      if (sessionId !== undefined) {
        await running.get(sessionId)?.events.settled();
        return;
      }
      await Promise.all([...running.values()].map((s) => s.events.settled()));
    },
  };
}

/**
 * Builds a session's engine and its event queue, and makes it the session running here. Its
 * engine's events are queued only while it is (one that was stopped or replaced has nothing more
 * to say), and handled in order by `handle`.
 */
function createRunningSession(
  row: SessionRow,
  deps: Pick<SupervisorDeps, 'credentialsFor' | 'engineFactory' | 'sentText'>,
  running: Map<string, RunningSession>,
  queue: {
    handle: (session: RunningSession, event: EngineEvent) => Promise<void>;
    keepTrying: (session: RunningSession) => boolean;
    log: FastifyBaseLogger;
  },
): RunningSession {
  const ref = { sessionId: row.id, companyId: row.companyId };
  const credentials = deps.credentialsFor(row.id);
  // Events are pushed only once this session is the running one, so `session` exists by then.
  const events = createEventQueue({
    handle: (event) => queue.handle(session, event),
    keepTrying: () => queue.keepTrying(session),
    log: queue.log,
  });
  const engine = deps.engineFactory({
    ...ref,
    credentials,
    sentText: (waMessageId) => deps.sentText(ref.sessionId, waMessageId),
    emit: (event) => {
      if (running.get(ref.sessionId)?.events === events) {
        events.push(event);
      }
    },
    emitAndWait: (event) =>
      running.get(ref.sessionId)?.events === events ? events.pushAndWait(event) : Promise.resolve(false),
  });
  const session: RunningSession = {
    ref,
    engine,
    credentials,
    status: row.status,
    attempts: 0,
    timer: undefined,
    qr: null,
    events,
  };
  running.set(row.id, session);
  return session;
}

/**
 * Owns every live engine: starts them (and resumes them at boot), turns their events into
 * session updates and domain events, reconnects with capped backoff, and stops them on shutdown.
 * Nothing else holds an engine.
 */
export function createSessionSupervisor(deps: SupervisorDeps) {
  const running = new Map<string, RunningSession>();
  let handlers: EngineHandlers | null = null;
  let shuttingDown = false;

  const logFor = (ref: SessionRef) => deps.log.child({ companyId: ref.companyId, sessionId: ref.sessionId });

  /** Whether this state still speaks for its session (not stopped, replaced or logged out). */
  const isCurrent = (session: RunningSession) => running.get(session.ref.sessionId) === session;

  const forget = (session: RunningSession) => {
    clearTimeout(session.timer);
    if (isCurrent(session)) {
      running.delete(session.ref.sessionId);
    }
  };

  /** The engine ended for good here (logged out, failed, stopped by an admin): give the lease back. */
  const end = async (session: RunningSession) => {
    forget(session);
    if (!running.has(session.ref.sessionId)) {
      await keeper.release(session.ref.sessionId);
    }
  };

  const context = {
    ...deps,
    logFor,
    handlers: () => handlers,
    isCurrent,
    shuttingDown: () => shuttingDown,
    end,
  };
  const lifecycle = createSessionLifecycle(context);
  const handle = createEngineEventHandler(context, lifecycle);

  const create = (row: SessionRow) =>
    createRunningSession(row, deps, running, {
      handle,
      keepTrying: (session) => isCurrent(session) && !shuttingDown,
      log: logFor({ sessionId: row.id, companyId: row.companyId }),
    });

  const stop = async (session: RunningSession) => {
    forget(session);
    try {
      await session.engine.stop();
    } catch (err) {
      logFor(session.ref).warn({ err }, 'engine failed to stop');
    }
    // Events already queued see the state is no longer current and write nothing.
    await session.events.settled();
  };

  const keeper = createLeaseKeeper({
    leases: deps.leases,
    renewMs: deps.leaseRenewMs,
    sessions: deps.sessions,
    log: deps.log,
    logFor,
    running: () => [...running.values()],
    isRunning: (sessionId) => running.has(sessionId),
    isCurrent,
    stop,
    start: (row) => lifecycle.startEngine(create(row)),
    shuttingDown: () => shuttingDown,
  });

  return {
    ...runningSessionQueries(running, deps),

    /** Connects the chats module (set once at composition). */
    setHandlers(h: EngineHandlers) {
      handlers = h;
    },

    /** Starts the session's engine (a QR if it has no credentials). */
    async start(row: SessionRow): Promise<void> {
      const existing = running.get(row.id);
      if (existing) {
        await stop(existing); // this instance holds the lease, so taking it again succeeds
      }
      await keeper.acquire(row);
      // The heartbeat may have taken the session over while the lease was being taken.
      const adopted = running.get(row.id);
      if (adopted) {
        await stop(adopted);
      }
      const session = create(row);
      await lifecycle.startEngine(session);
      // Whatever the engine reported while starting (a QR, a ready) is applied before returning.
      await session.events.settled();
    },

    /** Unlinks the account (credentials deleted) and leaves the session `disconnected`. */
    async logout(row: SessionRow): Promise<void> {
      const session = running.get(row.id);
      if (session) {
        await end(session);
        try {
          await session.engine.logout();
        } catch (err) {
          logFor(session.ref).warn({ err }, 'engine failed to log out; credentials are deleted anyway');
        }
        await session.events.settled();
      }
      await deps.credentialsFor(row.id).clear();
      await lifecycle.markStopped(row, session?.status ?? row.status);
      deps.events.emit('session.disconnected', {
        sessionId: row.id,
        companyId: row.companyId,
        reason: 'An admin disconnected this number',
        loggedOut: true,
      });
    },

    /** Stops the engine of a deleted session; nothing of it is written afterwards. */
    async discard(sessionId: string): Promise<void> {
      const session = running.get(sessionId);
      if (session) {
        await stop(session);
      }
      await keeper.release(sessionId);
    },

    /**
     * At boot: sessions that have credentials resume without a new QR; unfinished links show one.
     * A session another instance still holds is taken over by the heartbeat once its lease
     * expires; a database that cannot be read now is tried again on the same beat.
     */
    async resumeAll(): Promise<number> {
      try {
        return await keeper.adopt(true);
      } catch (err) {
        if (!isTransientDbError(err)) {
          throw err;
        }
        deps.log.warn({ err }, 'sessions not resumed: the database is unreachable; trying again');
        return 0;
      }
    },

    /** Stops every engine, keeping credentials; sessions resume on the next start. */
    async shutdown(): Promise<void> {
      shuttingDown = true;
      keeper.stop();
      const sessions = [...running.values()];
      await Promise.all(sessions.map(stop));
      await Promise.all(sessions.map((s) => s.events.settled()));
      await keeper.releaseAll();
    },
  };
}

export type SessionSupervisor = ReturnType<typeof createSessionSupervisor>;
