import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

import { companies } from '../modules/companies/companies.table.js';
import { users } from '../modules/companies/users.table.js';

/**
 * `Idempotency-Key` records: the first response to a (user, key) pair, written in the same
 * transaction as the effect it describes, so a retried request gets that response back.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text().notNull(),
    companyId: uuid()
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    /** Method, route and a hash of the body: the same key with another request is refused. */
    fingerprint: text().notNull(),
    statusCode: integer().notNull(),
    response: jsonb().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.key] }),
    index('idempotency_keys_company_id_idx').on(t.companyId),
    index('idempotency_keys_created_at_idx').on(t.createdAt),
  ],
);
