import { index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

import { newId } from '../../shared/ids.js';
import { companies } from '../companies/companies.table.js';
import { SESSION_STATUSES } from './session-status.js';

export const sessionStatus = pgEnum('session_status', SESSION_STATUSES);

export const whatsappSessions = pgTable(
  'whatsapp_sessions',
  {
    id: uuid().primaryKey().$defaultFn(newId),
    companyId: uuid()
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    status: sessionStatus().notNull().default('starting'),
    /** The name of the engine that runs it; informational, never branched on. */
    engine: text().notNull(),
    phoneNumber: text(),
    displayName: text(),
    /** The pending QR's raw payload; null once linked. Never logged. */
    qr: text(),
    qrExpiresAt: timestamp({ withTimezone: true }),
    lastError: text(),
    connectedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('whatsapp_sessions_company_id_idx').on(t.companyId, t.id)],
);

export type SessionRow = typeof whatsappSessions.$inferSelect;

/**
 * Which running instance holds a session's engine. A session runs in one place only: an instance
 * starts an engine only after taking the lease, renews it while running, and gives it back when
 * the engine stops; a lease whose holder died expires.
 */
export const sessionLeases = pgTable('session_leases', {
  sessionId: uuid()
    .primaryKey()
    .references(() => whatsappSessions.id, { onDelete: 'cascade' }),
  holder: text().notNull(),
  expiresAt: timestamp({ withTimezone: true }).notNull(),
});
