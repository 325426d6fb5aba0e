import { and, asc, count, eq, inArray, or, sql } from 'drizzle-orm';

import type { Db, DbOrTx, Tx } from '../../db/client.js';
// Only for `lockCompany`: the companies module has no repository that could take the lock.
import { companies } from '../companies/companies.table.js';
import { engineCredentials } from '../engine/credentials.table.js';
import { type SessionRow, whatsappSessions } from './sessions.table.js';

export type NewSession = typeof whatsappSessions.$inferInsert;
export type SessionPatch = Partial<
  Pick<
    SessionRow,
    'status' | 'phoneNumber' | 'displayName' | 'qr' | 'qrExpiresAt' | 'lastError' | 'connectedAt' | 'name'
  >
>;

/** Has credentials (resumes without a QR) or was waiting for a phone, and was not logged out. */
const resumable = () =>
  and(
    or(
      sql`exists (select 1 from ${engineCredentials} where ${engineCredentials.sessionId} = ${whatsappSessions.id})`,
      inArray(whatsappSessions.status, ['starting', 'qr', 'connecting']),
    ),
    sql`${whatsappSessions.status} <> 'logged_out'`,
  );

export function createSessionsRepository(db: Db) {
  return {
    async insert(values: NewSession, tx: DbOrTx = db): Promise<SessionRow> {
      const [row] = await tx.insert(whatsappSessions).values(values).returning();
      return row!;
    },

    async find(companyId: string, sessionId: string, tx: DbOrTx = db): Promise<SessionRow | undefined> {
      const [row] = await tx
        .select()
        .from(whatsappSessions)
        .where(and(eq(whatsappSessions.companyId, companyId), eq(whatsappSessions.id, sessionId)));
      return row;
    },

    /** The company's sessions, oldest first; `ids` narrows to those (a manager's grants). */
    async list(companyId: string, ids?: string[]): Promise<SessionRow[]> {
      if (ids?.length === 0) {
        return [];
      }
      const scope = eq(whatsappSessions.companyId, companyId);
      return db
        .select()
        .from(whatsappSessions)
        .where(ids ? and(scope, inArray(whatsappSessions.id, ids)) : scope)
        .orderBy(asc(whatsappSessions.id));
    },

    /**
     * Locks the company's row until the transaction ends: creations of its sessions then run one
     * after another, so concurrent requests cannot pass the limit together.
     */
    async lockCompany(companyId: string, tx: Tx): Promise<void> {
      await tx.select({ id: companies.id }).from(companies).where(eq(companies.id, companyId)).for('update');
    },

    async countForCompany(companyId: string, tx: DbOrTx = db): Promise<number> {
      const [row] = await tx
        .select({ n: count() })
        .from(whatsappSessions)
        .where(eq(whatsappSessions.companyId, companyId));
      return row?.n ?? 0;
    },

    /** Written by the supervisor, which knows the session's company. */
    async update(companyId: string, sessionId: string, patch: SessionPatch): Promise<SessionRow | undefined> {
      const [row] = await db
        .update(whatsappSessions)
        .set({ ...patch, updatedAt: new Date() })
        .where(and(eq(whatsappSessions.companyId, companyId), eq(whatsappSessions.id, sessionId)))
        .returning();
      return row;
    },

    async delete(companyId: string, sessionId: string, tx: DbOrTx = db): Promise<boolean> {
      const rows = await tx
        .delete(whatsappSessions)
        .where(and(eq(whatsappSessions.companyId, companyId), eq(whatsappSessions.id, sessionId)))
        .returning({ id: whatsappSessions.id });
      return rows.length > 0;
    },

    /**
     * Sessions to start when the server boots, across companies: those with credentials (they
     * resume without a QR) and those that were still waiting for a phone.
     */
    async listResumable(): Promise<SessionRow[]> {
      return db.select().from(whatsappSessions).where(resumable()).orderBy(asc(whatsappSessions.id));
    },

    /** Whether the session will run again by itself: resumable, and it has not given up. */
    async willResume(companyId: string, sessionId: string): Promise<boolean> {
      const rows = await db
        .select({ id: whatsappSessions.id })
        .from(whatsappSessions)
        .where(
          and(
            eq(whatsappSessions.companyId, companyId),
            eq(whatsappSessions.id, sessionId),
            resumable(),
            sql`${whatsappSessions.status} <> 'failed'`,
          ),
        );
      return rows.length > 0;
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
