import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';

import type { Db } from '../../db/client.js';
import { chats } from './chats.table.js';
import { type MessageRow, messages } from './messages.table.js';

/**
 * How many queued messages the sender reads at once (it still sends and marks them one by one).
 */
export const QUEUE_BATCH = 100;

/** What a reply quotes, as the engine needs it. */
export interface QuotedMessage {
  waMessageId: string;
  fromMe: boolean;
  body: string | null;
  senderWaId: string | null;
}

/** A message waiting to be sent, with the chat it goes to and the stored message it quotes, if any. */
export interface QueuedMessage {
  message: MessageRow;
  to: string;
  quoted: QuotedMessage | null;
}

/** Messages accepted for sending (`pending`), oldest first per session, and how each one ends. */
export function createSendQueueRepository(db: Db) {
  const quoted = alias(messages, 'quoted');
  // The head of a session's queue with, for each message, the chat it goes to and the message it
  // quotes (when the session has it): one statement per QUEUE_BATCH messages instead of two or
  // three per message.
  const nextInQueue = db
    .select({
      message: messages,
      to: chats.waChatId,
      quoted: {
        waMessageId: quoted.waMessageId,
        fromMe: quoted.fromMe,
        body: quoted.body,
        senderWaId: quoted.senderWaId,
      },
    })
    .from(messages)
    .innerJoin(chats, eq(chats.id, messages.chatId))
    .leftJoin(
      quoted,
      and(eq(quoted.sessionId, messages.sessionId), eq(quoted.waMessageId, messages.quotedWaMessageId)),
    )
    .where(and(eq(messages.sessionId, sql.placeholder('sessionId')), eq(messages.status, 'pending')))
    .orderBy(asc(messages.id))
    .limit(QUEUE_BATCH)
    .prepare('sender_next_in_queue');

  return {
    /** Up to QUEUE_BATCH of the session's pending messages, oldest first. */
    next(sessionId: string): Promise<QueuedMessage[]> {
      return nextInQueue.execute({ sessionId });
    },

    /**
     * WhatsApp accepted these messages. A status report may have overtaken a send call (the echo of
     * our own message can arrive first), in which case that message is already further along.
     */
    async markSent(ids: string[]): Promise<Map<string, MessageRow>> {
      const updated = await db
        .update(messages)
        .set({ status: 'sent', error: null, nextAttemptAt: null })
        .where(and(inArray(messages.id, ids), eq(messages.status, 'pending')))
        .returning();
      const rows = new Map(updated.map((m) => [m.id, m]));
      const rest = ids.filter((id) => !rows.has(id));
      if (rest.length > 0) {
        for (const current of await db.select().from(messages).where(inArray(messages.id, rest))) {
          rows.set(current.id, current);
        }
      }
      return rows;
    },

    async markFailed(messageId: string, error: string): Promise<MessageRow | undefined> {
      const [row] = await db
        .update(messages)
        .set({ status: 'failed', error, nextAttemptAt: null })
        .where(and(eq(messages.id, messageId), eq(messages.status, 'pending')))
        .returning();
      return row;
    },

    async scheduleRetry(messageId: string, attempts: number, at: Date, error: string): Promise<void> {
      await db
        .update(messages)
        .set({ attempts, nextAttemptAt: at, error })
        .where(and(eq(messages.id, messageId), eq(messages.status, 'pending')));
    },
  };
}

export type SendQueueRepository = ReturnType<typeof createSendQueueRepository>;
