import { and, asc, eq, sql } from 'drizzle-orm';

import type { Db, DbOrTx } from '../../db/client.js';
import { excluded } from '../../db/sql.js';
import { users } from '../companies/users.table.js';
import { type SessionRow, whatsappSessions } from '../sessions/sessions.table.js';
import { type AccessRow, sessionAccess } from './access.table.js';
import type { Rights } from './policy.js';

/** One grant: a user's rights on a session, within the company. */
const grantOf = (companyId: string, sessionId: string, userId: string) =>
  and(
    eq(sessionAccess.companyId, companyId),
    eq(sessionAccess.sessionId, sessionId),
    eq(sessionAccess.userId, userId),
  );

export function createAccessRepository(db: Db) {
  // Runs on every request, so it is prepared once: no query building in JS, and on PostgreSQL a
  // named statement that each connection parses and plans once.
  const sessionWithGrant = db
    .select({
      session: whatsappSessions,
      grant: {
        canRead: sessionAccess.canRead,
        canWrite: sessionAccess.canWrite,
        canManageChats: sessionAccess.canManageChats,
      },
    })
    .from(whatsappSessions)
    .leftJoin(
      sessionAccess,
      and(
        eq(sessionAccess.sessionId, whatsappSessions.id),
        eq(sessionAccess.companyId, whatsappSessions.companyId),
        eq(sessionAccess.userId, sql.placeholder('userId')),
      ),
    )
    .where(
      and(
        eq(whatsappSessions.companyId, sql.placeholder('companyId')),
        eq(whatsappSessions.id, sql.placeholder('sessionId')),
      ),
    )
    .prepare('access_session_with_grant');

  return {
    async find(
      companyId: string,
      sessionId: string,
      userId: string,
      tx: DbOrTx = db,
    ): Promise<AccessRow | undefined> {
      const [row] = await tx
        .select()
        .from(sessionAccess)
        .where(grantOf(companyId, sessionId, userId));
      return row;
    },

    /**
     * The company's session and the user's grant on it (null when none), in one statement: the
     * rights check of every request. Undefined when the company has no such session.
     */
    async sessionWithGrant(
      companyId: string,
      sessionId: string,
      userId: string,
    ): Promise<{ session: SessionRow; grant: Rights | null } | undefined> {
      const [row] = await sessionWithGrant.execute({ companyId, sessionId, userId });
      return row;
    },

    async listForUser(companyId: string, userId: string): Promise<AccessRow[]> {
      return db
        .select()
        .from(sessionAccess)
        .where(and(eq(sessionAccess.companyId, companyId), eq(sessionAccess.userId, userId)));
    },

    /** The session's grants with each manager's name and email, for the admin. */
    async listForSession(companyId: string, sessionId: string) {
      return db
        .select({ access: sessionAccess, name: users.name, email: users.email, active: users.active })
        .from(sessionAccess)
        .innerJoin(
          users,
          and(eq(users.id, sessionAccess.userId), eq(users.companyId, sessionAccess.companyId)),
        )
        .where(and(eq(sessionAccess.companyId, companyId), eq(sessionAccess.sessionId, sessionId)))
        .orderBy(asc(users.name), asc(users.id));
    },

    async upsert(
      values: { companyId: string; sessionId: string; userId: string; grantedByUserId: string } & Rights,
      tx: DbOrTx = db,
    ): Promise<AccessRow> {
      const [row] = await tx
        .insert(sessionAccess)
        .values(values)
        .onConflictDoUpdate({
          target: [sessionAccess.sessionId, sessionAccess.userId],
          set: {
            canRead: excluded('can_read'),
            canWrite: excluded('can_write'),
            canManageChats: excluded('can_manage_chats'),
            grantedByUserId: excluded('granted_by_user_id'),
            updatedAt: new Date(),
          },
        })
        .returning();
      return row!;
    },

    async delete(
      companyId: string,
      sessionId: string,
      userId: string,
      tx: DbOrTx = db,
    ): Promise<AccessRow | undefined> {
      const [row] = await tx
        .delete(sessionAccess)
        .where(grantOf(companyId, sessionId, userId))
        .returning();
      return row;
    },
  };
}

export type AccessRepository = ReturnType<typeof createAccessRepository>;
