import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

import { newId } from '../../shared/ids.js';
import { companies } from '../companies/companies.table.js';
import { whatsappSessions } from '../sessions/sessions.table.js';

export const chats = pgTable(
  'chats',
  {
    id: uuid().primaryKey().$defaultFn(newId),
    sessionId: uuid()
      .notNull()
      .references(() => whatsappSessions.id, { onDelete: 'cascade' }),
    /** Denormalized from the session so tenant filters and stats need no join. */
    companyId: uuid()
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    /** What the API shows: `number@c.us`, `…@g.us`, or `…@lid` while only the hidden id is known. */
    waChatId: text().notNull(),
    /** The hidden-number id (`…@lid`) of the same person, when known. */
    lid: text(),
    phoneNumber: text(),
    name: text(),
    isGroup: boolean().notNull().default(false),
    unreadCount: integer().notNull().default(0),
    archived: boolean().notNull().default(false),
    pinned: boolean().notNull().default(false),
    lastMessageId: uuid(),
    lastMessageBody: text(),
    lastMessageType: text(),
    lastMessageFromMe: boolean(),
    lastMessageAt: timestamp({ withTimezone: true }),
    /** Sort key of the chat list: the last message's time, or creation for a chat without one. */
    lastActivityAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('chats_session_wa_chat_id_key').on(t.sessionId, t.waChatId),
    uniqueIndex('chats_session_lid_key')
      .on(t.sessionId, t.lid)
      .where(sql`${t.lid} is not null`),
    // The chat list: one session, archived or not, newest activity first, keyset on (time, id).
    // NULLS FIRST is what `ORDER BY … DESC` means; an index sorted otherwise cannot serve it.
    index('chats_list_idx').on(
      t.sessionId,
      t.archived,
      t.lastActivityAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index('chats_company_id_idx').on(t.companyId),
    // What messages_chat_fk references: a chat together with its session and company.
    unique('chats_id_session_company_key').on(t.id, t.sessionId, t.companyId),
  ],
);

export type ChatRow = typeof chats.$inferSelect;
