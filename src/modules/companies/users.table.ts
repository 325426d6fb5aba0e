import {
  boolean,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

import { newId } from '../../shared/ids.js';
import { ROLES } from '../../shared/role.js';
import { companies } from './companies.table.js';

export const userRole = pgEnum('user_role', ROLES);

export const users = pgTable(
  'users',
  {
    id: uuid().primaryKey().$defaultFn(newId),
    companyId: uuid()
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    /** Stored lower-cased; login is by email alone, so it is unique across companies. */
    email: text(),
    name: text().notNull(),
    role: userRole().notNull(),
    /** `scrypt$N$r$p$salt$hash`; null for users who sign in only through an external issuer. */
    passwordHash: text(),
    active: boolean().notNull().default(true),
    /** The user's id in the issuer of an external token; null for users created here. */
    externalId: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    deactivatedAt: timestamp({ withTimezone: true }),
    /** Carried in the user's tokens; bumped on deactivation and password change, ending every token issued before. */
    tokenVersion: integer().notNull().default(0),
  },
  // company_id (a foreign key) is the leading column of users_company_role_idx, which serves as its index.
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    uniqueIndex('users_company_external_id_key').on(t.companyId, t.externalId),
    index('users_company_role_idx').on(t.companyId, t.role, t.id),
  ],
);

export type UserRow = typeof users.$inferSelect;
