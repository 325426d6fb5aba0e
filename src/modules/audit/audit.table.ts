import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

import { newId } from '../../shared/ids.js';
import { companies } from '../companies/companies.table.js';
import { users } from '../companies/users.table.js';

export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid().primaryKey().$defaultFn(newId),
    companyId: uuid()
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    /** Who acted; null for anonymous actions (a burst of failed logins) and users since removed. */
    actorUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    /** `noun.past_tense`, e.g. `manager.created`. */
    action: text().notNull(),
    targetType: text(),
    targetId: text(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    ip: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Newest-first listing per company; ids are time-ordered, so (company_id, id) is enough.
    index('audit_log_company_id_idx').on(t.companyId, t.id.desc()),
    index('audit_log_actor_user_id_idx').on(t.actorUserId),
  ],
);

export type AuditRow = typeof auditLog.$inferSelect;
