import { sql } from 'drizzle-orm';
import {
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

import { newId } from '../../shared/ids.js';
import { users } from '../companies/users.table.js';
import type { MediaInfo } from '../engine/engine.js';
import { chats } from './chats.table.js';

export const MESSAGE_STATUSES = [
  'pending',
  'sent',
  'delivered',
  'read',
  'played',
  'failed',
  'received',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export const messageStatus = pgEnum('message_status', MESSAGE_STATUSES);

export const messages = pgTable(
  'messages',
  {
    id: uuid().primaryKey().$defaultFn(newId),
    sessionId: uuid().notNull(),
    chatId: uuid().notNull(),
    /** Denormalized from the session so stats are one index range per company. */
    companyId: uuid().notNull(),
    /** WhatsApp's id; for our sends it is chosen before the first attempt. */
    waMessageId: text().notNull(),
    fromMe: boolean().notNull(),
    type: text().notNull(),
    body: text(),
    senderWaId: text(),
    senderPhone: text(),
    senderName: text(),
    timestamp: timestamp({ withTimezone: true }).notNull(),
    status: messageStatus().notNull(),
    sentByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    quotedWaMessageId: text(),
    media: jsonb().$type<MediaInfo>(),
    /** The engine's handle for downloading the media later (encrypted-media keys, paths); never sent to clients. */
    mediaRef: text(),
    /** Why a send failed, for the sender to show. */
    error: text(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }),
    editedAt: timestamp({ withTimezone: true }),
    deletedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Redelivery of a message never makes a second row.
    uniqueIndex('messages_session_wa_message_id_key').on(t.sessionId, t.waMessageId),
    // The message list of a chat, newest first, keyset on (timestamp, id). NULLS FIRST is what
    // `ORDER BY … DESC` means; an index sorted otherwise cannot serve it.
    index('messages_chat_list_idx').on(t.chatId, t.timestamp.desc().nullsFirst(), t.id.desc().nullsFirst()),
    // Stats: a company's messages by day, direction and kind, counted from the index alone.
    index('messages_company_timestamp_idx').on(t.companyId, t.timestamp, t.fromMe, t.type),
    // The sender's queue: what is still to be sent, per session, in order.
    index('messages_pending_idx')
      .on(t.sessionId, t.id)
      .where(sql`${t.status} = 'pending'`),
    // Only our own sends have a sender; the index serves ON DELETE SET NULL when a user goes.
    index('messages_sent_by_user_id_idx')
      .on(t.sentByUserId)
      .where(sql`${t.sentByUserId} is not null`),
    // A message belongs to its chat, and so to the chat's session and company: one check per row
    // instead of three, and a message can never name a session or company other than its chat's.
    // Deleting a chat (and so a session or company) deletes its messages.
    foreignKey({
      name: 'messages_chat_fk',
      columns: [t.chatId, t.sessionId, t.companyId],
      foreignColumns: [chats.id, chats.sessionId, chats.companyId],
    }).onDelete('cascade'),
  ],
);

export type MessageRow = typeof messages.$inferSelect;
