import { and, eq, lt, or, sql } from 'drizzle-orm';

import type { Db } from '../../db/client.js';
import { sessionLeases } from './sessions.table.js';

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
