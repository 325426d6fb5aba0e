import { and, desc, eq, inArray, sql } from 'drizzle-orm';

import type { Db, DbOrTx } from '../../db/client.js';
import type { CursorPosition, PageQuery } from '../../http/pagination.js';
import { offsetOf, olderThan } from '../../http/pagination.js';
import type { DeliveryStatus, MessageChange, ReadMessage } from '../engine/engine.js';
import { type MessageRow, messages, type MessageStatus } from './messages.table.js';

export type NewMessage = typeof messages.$inferInsert;

/** How far along a message is; a status report never moves a message back. */
const STATUS_RANK: Record<MessageStatus, number> = {
  pending: 0,
  failed: 0,
  received: 1,
  sent: 1,
  delivered: 2,
  read: 3,
  played: 4,
};

/** Statuses a report of `status` may replace. */
function replaceable(status: DeliveryStatus): MessageStatus[] {
  return (Object.keys(STATUS_RANK) as MessageStatus[]).filter(
    (s) => s !== 'received' && STATUS_RANK[s] < STATUS_RANK[status],
  );
}

export function createMessagesRepository(db: Db) {
  // Prepared once per database; unnamed on the server, so each run is planned for its own values.
  const listStatement = (withCursor: boolean) =>
    db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.companyId, sql.placeholder('companyId')),
          eq(messages.sessionId, sql.placeholder('sessionId')),
          eq(messages.chatId, sql.placeholder('chatId')),
          withCursor
            ? olderThan(messages.timestamp, messages.id, {
                k: sql.placeholder('afterTime'),
                id: sql.placeholder('afterId'),
              })
            : undefined,
        ),
      )
      .orderBy(desc(messages.timestamp), desc(messages.id))
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare('');
  const listStatements = { first: listStatement(false), after: listStatement(true) };

  return {
    async find(companyId: string, sessionId: string, messageId: string, tx: DbOrTx = db) {
      const [row] = await tx
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.companyId, companyId),
            eq(messages.sessionId, sessionId),
            eq(messages.id, messageId),
          ),
        );
      return row;
    },

    /** The text of a message the session sent (ours or from the phone), by its WhatsApp id. */
    async sentText(sessionId: string, waMessageId: string): Promise<string | null> {
      const [row] = await db
        .select({ body: messages.body })
        .from(messages)
        .where(
          and(
            eq(messages.sessionId, sessionId),
            eq(messages.waMessageId, waMessageId),
            eq(messages.fromMe, true),
          ),
        );
      return row?.body ?? null;
    },

    /**
     * Newest first, keyset on (timestamp, id) over messages_chat_list_idx: the cursor is a row
     * comparison the index bounds, so a page deep in a long chat costs what the first one does.
     */
    async list(
      companyId: string,
      sessionId: string,
      chatId: string,
      query: PageQuery,
      after: CursorPosition | null,
    ): Promise<MessageRow[]> {
      const cursor = after && typeof after.k === 'string' ? { afterTime: after.k, afterId: after.id } : null;
      const page = {
        companyId,
        sessionId,
        chatId,
        limit: query.limit + 1,
        offset: after ? 0 : offsetOf(query),
      };
      return cursor
        ? listStatements.after.execute({ ...page, ...cursor })
        : listStatements.first.execute(page);
    },

    /**
     * Applies status reports forward-only and returns the messages that changed. Reports for
     * messages we do not have (sent before the session was linked) are ignored.
     */
    async applyStatuses(
      sessionId: string,
      updates: { waMessageId: string; status: DeliveryStatus }[],
      tx: DbOrTx = db,
    ): Promise<MessageRow[]> {
      const changed: MessageRow[] = [];
      for (const update of updates) {
        const [row] = await tx
          .update(messages)
          .set({ status: update.status, error: null })
          .where(
            and(
              eq(messages.sessionId, sessionId),
              eq(messages.waMessageId, update.waMessageId),
              inArray(messages.status, replaceable(update.status)),
            ),
          )
          .returning();
        if (row) {
          changed.push(row);
        }
      }
      return changed;
    },

    /** Our sends WhatsApp refused after taking them: failed with the reason, unless already further. */
    async applyFailures(
      sessionId: string,
      failures: { waMessageId: string; reason: string }[],
      tx: DbOrTx = db,
    ): Promise<MessageRow[]> {
      const changed: MessageRow[] = [];
      for (const failure of failures) {
        const [row] = await tx
          .update(messages)
          .set({ status: 'failed', error: failure.reason, nextAttemptAt: null })
          .where(
            and(
              eq(messages.sessionId, sessionId),
              eq(messages.waMessageId, failure.waMessageId),
              eq(messages.fromMe, true),
              inArray(messages.status, ['pending', 'sent']),
            ),
          )
          .returning();
        if (row) {
          changed.push(row);
        }
      }
      return changed;
    },

    /** Applies an edit or a revoke by the sender; returns the message if we have it. */
    async applyChange(
      sessionId: string,
      change: MessageChange,
      tx: DbOrTx = db,
    ): Promise<MessageRow | undefined> {
      const set =
        change.kind === 'edit' ? { body: change.body, editedAt: change.editedAt } : { deletedAt: change.at };
      const [row] = await tx
        .update(messages)
        .set(set)
        .where(and(eq(messages.sessionId, sessionId), eq(messages.waMessageId, change.waMessageId)))
        .returning();
      return row;
    },

    /** Incoming messages of a chat not yet marked read; they become read. */
    async markChatRead(companyId: string, chatId: string, tx: DbOrTx = db): Promise<ReadMessage[]> {
      const rows = await tx
        .update(messages)
        .set({ status: 'read' })
        .where(
          and(
            eq(messages.companyId, companyId),
            eq(messages.chatId, chatId),
            eq(messages.fromMe, false),
            eq(messages.status, 'received'),
          ),
        )
        .returning({ waMessageId: messages.waMessageId, senderWaId: messages.senderWaId });
      return rows;
    },
  };
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;
