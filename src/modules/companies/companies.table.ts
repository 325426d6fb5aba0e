import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

import { newId } from '../../shared/ids.js';

export const companies = pgTable(
  'companies',
  {
    id: uuid().primaryKey().$defaultFn(newId),
    name: text().notNull(),
    /** The company's id in the issuer of an external token; null for companies registered here. */
    externalId: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('companies_external_id_key').on(t.externalId)],
);

export type CompanyRow = typeof companies.$inferSelect;
