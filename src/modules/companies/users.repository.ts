import { and, asc, count, eq, gt, sql } from 'drizzle-orm';

import type { Db, DbOrTx } from '../../db/client.js';
import type { CursorPosition, PageQuery } from '../../http/pagination.js';
import { offsetOf } from '../../http/pagination.js';
import type { Role } from '../../shared/role.js';
import { companies, type CompanyRow } from './companies.table.js';
import { type UserRow, users } from './users.table.js';

export type NewUser = typeof users.$inferInsert;
export type UserPatch = Partial<Pick<UserRow, 'name' | 'email' | 'passwordHash' | 'active' | 'role'>> & {
  /** Ends every token issued so far. */
  revokeTokens?: boolean;
};

/** Thin typed access to companies and users. Every read of tenant data filters on companyId. */
export function createUsersRepository(db: Db) {
  return {
    async insertCompany(values: { name: string; externalId?: string }, tx: DbOrTx = db): Promise<CompanyRow> {
      const [row] = await tx.insert(companies).values(values).returning();
      return row!;
    },

    async findCompany(companyId: string, tx: DbOrTx = db): Promise<CompanyRow | undefined> {
      const [row] = await tx.select().from(companies).where(eq(companies.id, companyId));
      return row;
    },

    /** Creates the company of an external issuer once; concurrent first requests agree on one row. */
    async ensureExternalCompany(externalId: string, name: string): Promise<CompanyRow> {
      await db
        .insert(companies)
        .values({ externalId, name })
        .onConflictDoNothing({ target: companies.externalId });
      const [row] = await db.select().from(companies).where(eq(companies.externalId, externalId));
      return row!;
    },

    async insertUser(values: NewUser, tx: DbOrTx = db): Promise<UserRow> {
      const [row] = await tx.insert(users).values(values).returning();
      return row!;
    },

    /** Inserts unless a row with the same (company, external id) or email exists; returns the inserted row or nothing. */
    async insertUserIfAbsent(values: NewUser): Promise<UserRow | undefined> {
      const [row] = await db.insert(users).values(values).onConflictDoNothing().returning();
      return row;
    },

    /** Login is by email alone, the one lookup that is not company-scoped. */
    async findByEmail(email: string): Promise<UserRow | undefined> {
      const [row] = await db.select().from(users).where(eq(users.email, email));
      return row;
    },

    async findById(companyId: string, userId: string, tx: DbOrTx = db): Promise<UserRow | undefined> {
      const [row] = await tx
        .select()
        .from(users)
        .where(and(eq(users.companyId, companyId), eq(users.id, userId)));
      return row;
    },

    async findByExternalId(companyId: string, externalId: string): Promise<UserRow | undefined> {
      const [row] = await db
        .select()
        .from(users)
        .where(and(eq(users.companyId, companyId), eq(users.externalId, externalId)));
      return row;
    },

    async emailTaken(email: string, exceptUserId?: string): Promise<boolean> {
      const [row] = await db
        .select({ id: users.id })
        .from(users)
        .where(
          exceptUserId
            ? and(eq(users.email, email), sql`${users.id} <> ${exceptUserId}`)
            : eq(users.email, email),
        );
      return row !== undefined;
    },

    async listByRole(companyId: string, role: Role, query: PageQuery, after: CursorPosition | null) {
      const scope = and(eq(users.companyId, companyId), eq(users.role, role));
      const where = after ? and(scope, gt(users.id, after.id)) : scope;
      const rows = await db
        .select()
        .from(users)
        .where(where)
        .orderBy(asc(users.id))
        .limit(query.limit + 1)
        .offset(after ? 0 : offsetOf(query));
      const [total] = await db.select({ n: count() }).from(users).where(scope);
      return { rows, total: total?.n ?? 0 };
    },

    async update(
      companyId: string,
      userId: string,
      patch: UserPatch,
      tx: DbOrTx = db,
    ): Promise<UserRow | undefined> {
      const { revokeTokens, ...fields } = patch;
      const [row] = await tx
        .update(users)
        .set({
          ...fields,
          ...(revokeTokens ? { tokenVersion: sql`${users.tokenVersion} + 1` } : {}),
          updatedAt: new Date(),
          ...(fields.active === false ? { deactivatedAt: new Date() } : {}),
          ...(fields.active === true ? { deactivatedAt: null } : {}),
        })
        .where(and(eq(users.companyId, companyId), eq(users.id, userId)))
        .returning();
      return row;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
