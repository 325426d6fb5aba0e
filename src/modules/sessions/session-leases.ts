import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';

import type { Db } from '../../db/client.js';
import { ConflictError } from '../../http/errors.js';
import type { SessionRef } from './session-supervisor.js';
import type { SessionsRepository } from './sessions.repository.js';
import { sessionLeases, type SessionRow } from './sessions.table.js';

/** Leases of this instance (`holder`) on sessions, in the database every instance shares. */
export function createSessionLeases(db: Db, holder: string, ttlMs: number) {
  const expiry = () => sql`now() + ${`${ttlMs} milliseconds`}::interval`;
  return {
    /** Other instances may hold leases (a shared PostgreSQL). */
    shared: true,
    /** Takes the session's lease unless another live instance holds it. */
    async acquire(sessionId: string): Promise<boolean> {
      const rows = await db
        .insert(sessionLeases)
        .values({ sessionId, holder, expiresAt: expiry() })
        .onConflictDoUpdate({
          target: sessionLeases.sessionId,
          set: { holder, expiresAt: expiry() },
          where: or(eq(sessionLeases.holder, holder), lt(sessionLeases.expiresAt, sql`now()`)),
        })
        .returning({ sessionId: sessionLeases.sessionId });
      return rows.length > 0;
    },

    /** Extends every lease this instance holds; returns the sessions it still holds. */
    async renew(): Promise<Set<string>> {
      const rows = await db
        .update(sessionLeases)
        .set({ expiresAt: expiry() })
        .where(eq(sessionLeases.holder, holder))
        .returning({ sessionId: sessionLeases.sessionId });
      return new Set(rows.map((r) => r.sessionId));
    },

    async release(sessionId: string): Promise<void> {
      await db
        .delete(sessionLeases)
        .where(and(eq(sessionLeases.sessionId, sessionId), eq(sessionLeases.holder, holder)));
    },

    async releaseAll(): Promise<void> {
      await db.delete(sessionLeases).where(eq(sessionLeases.holder, holder));
    },
  };
}

export type SessionLeases = ReturnType<typeof createSessionLeases>;

/**
 * The embedded database belongs to one process, so there is nobody to share sessions with: every
 * lease is granted. (It also means a restart after a crash resumes sessions at once.)
 */
export function singleProcessLeases(): SessionLeases {
  return {
    shared: false,
    acquire: () => Promise.resolve(true),
    renew: () => Promise.resolve(new Set<string>()),
    release: () => Promise.resolve(),
    releaseAll: () => Promise.resolve(),
  };
}

/** What the lease keeper needs of the supervisor: its running sessions, and how to start and stop one. */
export interface LeaseKeeperDeps<S extends { ref: SessionRef }> {
  leases: SessionLeases;
  /** How often leases are renewed (and sessions that run nowhere looked for). */
  renewMs: number;
  sessions: Pick<SessionsRepository, 'listResumable' | 'find'>;
  log: FastifyBaseLogger;
  logFor: (ref: SessionRef) => FastifyBaseLogger;
  /** The sessions whose engine runs here now. */
  running: () => S[];
  isRunning: (sessionId: string) => boolean;
  /** Whether this running session still speaks for its session (not stopped or replaced). */
  isCurrent: (session: S) => boolean;
  /** Stops a running session's engine (its lease is lost). */
  stop: (session: S) => Promise<void>;
  /** Starts the engine of a session whose lease this instance just took. */
  start: (row: SessionRow) => Promise<void>;
  shuttingDown: () => boolean;
}

/**
 * Keeps the supervisor's sessions under this instance's leases: takes a lease before an engine
 * starts, gives it back when the engine ends here, and on a heartbeat renews them all (stopping an
 * engine whose lease was lost) and starts the sessions that run nowhere.
 */
export function createLeaseKeeper<S extends { ref: SessionRef }>(deps: LeaseKeeperDeps<S>) {
  const { leases } = deps;

  /** Giving a lease back is a courtesy: if the database is unreachable, the lease expires anyway. */
  const releaseQuietly = async (release: () => Promise<void>) => {
    try {
      await release();
    } catch (err) {
      deps.log.warn({ err }, 'session lease not released; it will expire');
    }
  };

  // Leases expire unless renewed; one this instance lost (it stalled past the expiry and another
  // instance took over) means its engine must stop, or the session would run twice.
  const renew = async () => {
    const running = deps.running();
    if (running.length === 0) {
      return;
    }
    // Only engines that held their lease before the renewal began can have lost it: a session
    // started while the renewal ran took its lease after the renewal looked, and is not in `held`.
    const held = await leases.renew();
    if (!leases.shared) {
      return;
    }
    for (const session of running) {
      if (deps.isCurrent(session) && !held.has(session.ref.sessionId)) {
        deps.logFor(session.ref).warn('session lease lost; stopping the engine here');
        await deps.stop(session);
      }
    }
  };

  /**
   * Starts the engine of every resumable session that runs nowhere: at boot, and on every beat on
   * a shared database, so that a session whose lease a crashed instance still held is taken over
   * as soon as that lease expires, and one whose database went away comes back with it, without
   * anybody asking. A session that gave up (`failed`) waits for an admin, except at boot: a
   * restart is a fresh try. Returns how many engines it started.
   */
  const adopt = async (atBoot: boolean): Promise<number> => {
    let started = 0;
    for (const listed of await deps.sessions.listResumable()) {
      if (deps.shuttingDown()) {
        break;
      }
      if (deps.isRunning(listed.id) || (!atBoot && listed.status === 'failed')) {
        continue;
      }
      const log = deps.logFor({ sessionId: listed.id, companyId: listed.companyId });
      try {
        if (!(await leases.acquire(listed.id))) {
          if (atBoot) {
            log.info('session runs on another instance; taken over here if its lease expires');
          }
          continue;
        }
        // Read again under the lease: an admin may have stopped or deleted it since the list.
        const row = await deps.sessions.find(listed.companyId, listed.id);
        if (deps.isRunning(listed.id) || deps.shuttingDown()) {
          continue; // started here meanwhile, under the same lease
        }
        if (!row || (!atBoot && row.status === 'failed')) {
          await releaseQuietly(() => leases.release(listed.id));
          continue;
        }
        if (!atBoot) {
          log.info({ status: row.status }, 'session taken over');
        }
        await deps.start(row);
        started += 1;
      } catch (err) {
        log.warn({ err }, 'session not resumed; trying again on the next beat');
      }
    }
    return started;
  };

  let beating = false;
  const beat = async () => {
    if (beating || deps.shuttingDown()) {
      return;
    }
    beating = true;
    try {
      await renew();
      if (leases.shared) {
        await adopt(false);
      }
    } catch (err) {
      deps.log.warn({ err }, 'session lease renewal failed');
    } finally {
      beating = false;
    }
  };
  const heartbeat = setInterval(() => void beat(), deps.renewMs);
  heartbeat.unref();

  return {
    adopt,

    /** Takes the session's lease, or 409 when another instance runs it. */
    async acquire(row: SessionRow): Promise<void> {
      if (!(await leases.acquire(row.id))) {
        throw new ConflictError(
          'SESSION_RUNNING_ELSEWHERE',
          `Session '${row.id}' is running on another instance of the service`,
        );
      }
    },

    release(sessionId: string): Promise<void> {
      return releaseQuietly(() => leases.release(sessionId));
    },

    releaseAll(): Promise<void> {
      return releaseQuietly(() => leases.releaseAll());
    },

    /** Stops the heartbeat (shutdown). */
    stop(): void {
      clearInterval(heartbeat);
    },
  };
}
