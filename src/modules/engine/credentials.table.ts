import { customType, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

import { whatsappSessions } from '../sessions/sessions.table.js';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
});

/**
 * Engine credentials as key/value entries, each value encrypted (AES-256-GCM) before it is
 * written: a database dump holds no key material.
 */
export const engineCredentials = pgTable(
  'engine_credentials',
  {
    sessionId: uuid()
      .notNull()
      .references(() => whatsappSessions.id, { onDelete: 'cascade' }),
    key: text().notNull(),
    value: bytea().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  // The primary key's leading column indexes the foreign key.
  (t) => [primaryKey({ columns: [t.sessionId, t.key] })],
);
