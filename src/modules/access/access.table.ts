import { boolean, index, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';

import { companies } from '../companies/companies.table.js';
import { users } from '../companies/users.table.js';
import { whatsappSessions } from '../sessions/sessions.table.js';

/** A manager's rights on one session. Admins need no row: they have every right in their company. */
export const sessionAccess = pgTable(
  'session_access',
  {
    sessionId: uuid()
      .notNull()
      .references(() => whatsappSessions.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    companyId: uuid()
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    canRead: boolean().notNull(),
    canWrite: boolean().notNull(),
    canManageChats: boolean().notNull(),
    grantedByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.userId] }),
    index('session_access_user_id_idx').on(t.userId),
    index('session_access_company_id_idx').on(t.companyId),
    index('session_access_granted_by_user_id_idx').on(t.grantedByUserId),
  ],
);

export type AccessRow = typeof sessionAccess.$inferSelect;
