import { and, asc, eq } from 'drizzle-orm';

import type { Db, DbOrTx } from '../../db/client.js';
import { excluded } from '../../db/sql.js';
import { users } from '../companies/users.table.js';
import { type AccessRow, sessionAccess } from './access.table.js';

export interface Rights {
  canRead: boolean;
  canWrite: boolean;
  canManageChats: boolean;
}

/** One grant: a user's rights on a session, within the company. */
const grantOf = (companyId: string, sessionId: string, userId: string) =>
  and(
    eq(sessionAccess.companyId, companyId),
    eq(sessionAccess.sessionId, sessionId),
    eq(sessionAccess.userId, userId),
  );

export function createAccessRepository(db: Db) {
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
