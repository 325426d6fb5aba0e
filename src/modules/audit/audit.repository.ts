import { and, count, desc, eq, lt } from 'drizzle-orm';

import type { Db, DbOrTx } from '../../db/client.js';
import type { CursorPosition, PageQuery } from '../../http/pagination.js';
import { offsetOf } from '../../http/pagination.js';
import { users } from '../companies/users.table.js';
import { auditLog } from './audit.table.js';

export type NewAuditEntry = typeof auditLog.$inferInsert;

export function createAuditRepository(db: Db) {
  return {
    async insert(entry: NewAuditEntry, tx: DbOrTx = db): Promise<void> {
      await tx.insert(auditLog).values(entry);
    },

    /** Newest first. Ids are UUIDv7, so ordering by id is ordering by time. */
    async list(companyId: string, query: PageQuery, after: CursorPosition | null) {
      const scope = eq(auditLog.companyId, companyId);
      const rows = await db
        .select({
          entry: auditLog,
          actorName: users.name,
        })
        .from(auditLog)
        .leftJoin(users, and(eq(users.id, auditLog.actorUserId), eq(users.companyId, auditLog.companyId)))
        .where(after ? and(scope, lt(auditLog.id, after.id)) : scope)
        .orderBy(desc(auditLog.id))
        .limit(query.limit + 1)
        .offset(after ? 0 : offsetOf(query));
      const [total] = await db.select({ n: count() }).from(auditLog).where(scope);
      return { rows, total: total?.n ?? 0 };
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
