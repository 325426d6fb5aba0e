import { and, eq, inArray, or, sql } from 'drizzle-orm';

import type { DbOrTx, Tx } from '../../db/client.js';
import { prepareSql } from '../../db/prepared.js';
import { rowsOf } from '../../db/rows.js';
import { newId } from '../../shared/ids.js';
import type { ChatIdentity } from './chats.repository.js';
import { type ChatRow, chats } from './chats.table.js';
import {
  type ChatState,
  chatStatesStatement,
  type ContactName,
  contactsStatement,
} from './history-state.sql.js';
import type { NewMessage } from './messages.repository.js';
import { type MessageRow, messages } from './messages.table.js';

export type { ChatState, ContactName } from './history-state.sql.js';

/** Kinds that are not conversation: they neither become a chat's last message nor count as unread. */
export const NOT_CONVERSATION = ['reaction', 'system'] as const;

/** A message to store, addressed to its chat by the chat's WhatsApp id (one of the batch's identities). */
export type IncomingRow = Omit<NewMessage, 'chatId' | 'sessionId' | 'companyId'> & { chatKey: string };

/** The session whose chats and messages are written. */
export interface IngestScope {
  companyId: string;
  sessionId: string;
}

const p = (name: string) => sql.placeholder(name);

/** The batch (`excluded`) brings a message at least as new as the chat's last one. */
const BATCH_IS_NEWER =
  'excluded.last_message_at is not null and (chats.last_message_at is null or excluded.last_message_at >= chats.last_message_at)';
/** The chat's "last message" column takes the batch's value only when the batch is newer. */
const newerOr = (column: string) =>
  sql.raw(`${column} = case when ${BATCH_IS_NEWER} then excluded.${column} else chats.${column} end`);

/**
 * One statement stores a batch and moves its chats forward, so a live message costs one round trip,
 * not a transaction of four:
 *
 * 1. `ident`: each chat of the batch, with its id if it exists (or a new id);
 * 2. `m`: the messages, skipping those already stored (same session and WhatsApp id);
 * 3. `latest`, `unread`: per chat, the newest new conversational message and how many new incoming
 *    ones are unread (only when `countUnread`: live messages, not history);
 * 4. `c`: the chats upserted with those: the name follows the messages' (with `keepNames`, as history
 *    does, it only fills one we lacked), the last message only moves forward, unread adds up and
 *    unarchives.
 *
 * Every part sees the same snapshot and foreign keys are checked at the end of the statement, so a
 * message may point at the chat `c` creates. Chats must be free of hidden-id conflicts (the caller
 * reconciles those first, in a transaction). If another writer creates one of the chats meanwhile,
 * the statement fails on the foreign key and can simply be run again.
 */
const ingestStatement = prepareSql(
  'messages_ingest',
  sql`
  with ident as (
    select i.wa_chat_id, i.lid, i.phone_number, i.name, i.is_group, coalesce(c.id, i.new_id) as chat_id
    from unnest(${p('chatWaIds')}::text[], ${p('chatLids')}::text[], ${p('chatPhones')}::text[],
                ${p('chatNames')}::text[], ${p('chatGroups')}::boolean[], ${p('chatNewIds')}::uuid[])
      as i(wa_chat_id, lid, phone_number, name, is_group, new_id)
    left join ${chats} c on c.session_id = ${p('sessionId')}::uuid and c.wa_chat_id = i.wa_chat_id
  ),
  m as (
    insert into ${messages} (id, session_id, company_id, chat_id, wa_message_id, from_me, type, body,
      sender_wa_id, sender_phone, sender_name, "timestamp", status, quoted_wa_message_id, media, media_ref,
      sent_by_user_id)
    select v.id, ${p('sessionId')}::uuid, ${p('companyId')}::uuid, ident.chat_id, v.wa_message_id, v.from_me,
      v.type, v.body, v.sender_wa_id, v.sender_phone, v.sender_name, v.ts, v.status::message_status, v.quoted,
      v.media::jsonb, v.media_ref, v.sent_by
    from unnest(${p('ids')}::uuid[], ${p('chatKeys')}::text[], ${p('waIds')}::text[], ${p('fromMe')}::boolean[],
                ${p('types')}::text[], ${p('bodies')}::text[], ${p('senderWaIds')}::text[],
                ${p('senderPhones')}::text[], ${p('senderNames')}::text[], ${p('timestamps')}::timestamptz[],
                ${p('statuses')}::text[], ${p('quoted')}::text[], ${p('media')}::text[], ${p('mediaRefs')}::text[],
                ${p('sentBy')}::uuid[])
      with ordinality as v(id, chat_key, wa_message_id, from_me, type, body, sender_wa_id, sender_phone,
                           sender_name, ts, status, quoted, media, media_ref, sent_by, n)
    join ident on ident.wa_chat_id = v.chat_key
    order by v.n
    on conflict (session_id, wa_message_id) do nothing
    returning *
  ),
  latest as (
    select distinct on (chat_id) chat_id, id, body, type, from_me, "timestamp"
    from m
    where type <> all(${p('notConversation')}::text[])
    order by chat_id, "timestamp" desc, id desc
  ),
  unread as (
    select chat_id, count(*)::int as n
    from m
    where ${p('countUnread')}::boolean and not from_me and type <> all(${p('notConversation')}::text[])
    group by chat_id
  ),
  c as (
    insert into ${chats} (id, company_id, session_id, wa_chat_id, lid, phone_number, name, is_group,
      last_message_id, last_message_body, last_message_type, last_message_from_me, last_message_at,
      last_activity_at, unread_count)
    select ident.chat_id, ${p('companyId')}::uuid, ${p('sessionId')}::uuid, ident.wa_chat_id, ident.lid,
      ident.phone_number, ident.name, ident.is_group, l.id, left(l.body, 500), l.type, l.from_me,
      l."timestamp", coalesce(l."timestamp", now()), coalesce(u.n, 0)
    from ident
    left join latest l on l.chat_id = ident.chat_id
    left join unread u on u.chat_id = ident.chat_id
    on conflict (session_id, wa_chat_id) do update set
      name = case when ${p('keepNames')}::boolean then coalesce(chats.name, excluded.name)
                  else coalesce(excluded.name, chats.name) end,
      lid = coalesce(chats.lid, excluded.lid),
      phone_number = coalesce(chats.phone_number, excluded.phone_number),
      ${newerOr('last_message_id')},
      ${newerOr('last_message_body')},
      ${newerOr('last_message_type')},
      ${newerOr('last_message_from_me')},
      last_message_at = greatest(chats.last_message_at, excluded.last_message_at),
      last_activity_at = greatest(chats.last_activity_at, excluded.last_message_at),
      unread_count = chats.unread_count + excluded.unread_count,
      archived = chats.archived and excluded.unread_count = 0,
      updated_at = case when excluded.last_message_id is null then chats.updated_at else now() end
    returning *
  )
  select
    (select count(*)::int from m) as stored,
    case when ${p('returnRows')}::boolean then (select coalesce(json_agg(m), '[]'::json) from m) end as messages,
    case when ${p('returnRows')}::boolean then (select coalesce(json_agg(c), '[]'::json) from c) end as chats
`,
);

/** json_agg's rows: already parsed by the driver, or text on a driver that leaves json alone. */
function jsonRows(value: unknown): Record<string, unknown>[] {
  if (value === null || value === undefined) {
    return [];
  }
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>[];
}

/** The chat with this WhatsApp id (`waChatId`) or hidden id (`lid`) in the session, if any. */
async function chatBy(tx: Tx, scope: IngestScope, where: { waChatId: string } | { lid: string }) {
  const inSession = and(eq(chats.companyId, scope.companyId), eq(chats.sessionId, scope.sessionId));
  const [row] = await tx
    .select()
    .from(chats)
    .where(
      and(
        inSession,
        'lid' in where
          ? or(eq(chats.waChatId, where.lid), eq(chats.lid, where.lid))
          : eq(chats.waChatId, where.waChatId),
      ),
    );
  return row;
}

/**
 * Two chats of one person become one: `from`'s messages move into `into`, `from` is removed, and
 * `into` takes the hidden id, the sum of the unread counts and, if `from` had the newer message,
 * its preview.
 */
async function mergeChats(
  tx: Tx,
  scope: IngestScope,
  { into, from }: { into: ChatRow; from: ChatRow },
  lid: string,
): Promise<ChatRow | null> {
  const inSession = and(eq(chats.companyId, scope.companyId), eq(chats.sessionId, scope.sessionId));
  await tx
    .update(messages)
    .set({ chatId: into.id })
    .where(
      and(
        eq(messages.companyId, scope.companyId),
        eq(messages.sessionId, scope.sessionId),
        eq(messages.chatId, from.id),
      ),
    );
  await tx.delete(chats).where(and(inSession, eq(chats.id, from.id)));
  const fromIsNewer = (from.lastMessageAt?.getTime() ?? 0) > (into.lastMessageAt?.getTime() ?? 0);
  const [row] = await tx
    .update(chats)
    .set({
      lid,
      name: into.name ?? from.name,
      unreadCount: into.unreadCount + from.unreadCount,
      ...(fromIsNewer
        ? {
            lastMessageId: from.lastMessageId,
            lastMessageBody: from.lastMessageBody,
            lastMessageType: from.lastMessageType,
            lastMessageFromMe: from.lastMessageFromMe,
            lastMessageAt: from.lastMessageAt,
            lastActivityAt: from.lastActivityAt,
          }
        : {}),
      updatedAt: new Date(),
    })
    .where(and(inSession, eq(chats.id, into.id)))
    .returning();
  return row ?? null;
}

export function createIngestRepository(db: DbOrTx) {
  return {
    /**
     * Stores a batch of messages and their chats in one statement (see `ingestStatement`).
     * `countUnread` adds the new incoming messages to their chats' unread counts (live messages do,
     * history and our own sends do not). `keepNames` leaves the names chats have (history: the
     * phone's names come separately and must not give way to older messages' push names). With
     * `returnRows`, returns the messages inserted (in batch order) and every chat of the batch as
     * stored now; without, only how many messages were new.
     */
    async store(
      scope: IngestScope,
      identities: ChatIdentity[],
      rows: IncomingRow[],
      options: { countUnread: boolean; returnRows: boolean; keepNames?: boolean },
      tx: DbOrTx = db,
    ): Promise<{ stored: number; inserted: MessageRow[]; chats: ChatRow[] }> {
      const ids = rows.map((r) => r.id ?? newId());
      const result = await ingestStatement(tx, {
        ...scope,
        chatWaIds: identities.map((c) => c.waChatId),
        chatLids: identities.map((c) => c.lid ?? null),
        chatPhones: identities.map((c) => c.phoneNumber ?? null),
        chatNames: identities.map((c) => c.name ?? null),
        chatGroups: identities.map((c) => c.isGroup),
        chatNewIds: identities.map(() => newId()),
        ids,
        chatKeys: rows.map((r) => r.chatKey),
        waIds: rows.map((r) => r.waMessageId),
        fromMe: rows.map((r) => r.fromMe),
        types: rows.map((r) => r.type),
        bodies: rows.map((r) => r.body ?? null),
        senderWaIds: rows.map((r) => r.senderWaId ?? null),
        senderPhones: rows.map((r) => r.senderPhone ?? null),
        senderNames: rows.map((r) => r.senderName ?? null),
        timestamps: rows.map((r) => r.timestamp.toISOString()),
        statuses: rows.map((r) => r.status),
        quoted: rows.map((r) => r.quotedWaMessageId ?? null),
        media: rows.map((r) => (r.media ? JSON.stringify(r.media) : null)),
        mediaRefs: rows.map((r) => r.mediaRef ?? null),
        sentBy: rows.map((r) => r.sentByUserId ?? null),
        notConversation: NOT_CONVERSATION,
        countUnread: options.countUnread,
        keepNames: options.keepNames ?? false,
        returnRows: options.returnRows,
      });
      const [out] = result.rows;
      const byId = new Map(rowsOf(messages, { rows: jsonRows(out?.messages) }).map((m) => [m.id, m]));
      return {
        stored: Number(out?.stored ?? 0),
        inserted: ids.flatMap((id) => byId.get(id) ?? []),
        chats: rowsOf(chats, { rows: jsonRows(out?.chats) }),
      };
    },

    /** The chat key (WhatsApp id) of each existing chat of the session that holds one of `lids`. */
    async chatsHoldingLids(
      scope: IngestScope,
      lids: string[],
      tx: DbOrTx = db,
    ): Promise<Map<string, string>> {
      if (lids.length === 0) {
        return new Map();
      }
      const known = await tx
        .select({ waChatId: chats.waChatId, lid: chats.lid })
        .from(chats)
        .where(
          and(
            eq(chats.companyId, scope.companyId),
            eq(chats.sessionId, scope.sessionId),
            inArray(chats.lid, lids),
          ),
        );
      return new Map(known.map((k) => [k.lid!, k.waChatId]));
    },

    /**
     * The hidden id and the phone id are one person: one chat. A chat known only by the hidden id
     * takes the phone id; if both chats exist, the hidden-id chat's messages move into the phone chat
     * and it is removed, with counters added up. Returns the chat when it changed. Several
     * statements: run it in a transaction.
     */
    async linkIdentity(
      scope: IngestScope,
      lid: string,
      phone: { waChatId: string; phoneNumber: string },
      tx: Tx,
    ): Promise<ChatRow | null> {
      const byLid = await chatBy(tx, scope, { lid });
      const byPhone = await chatBy(tx, scope, { waChatId: phone.waChatId });
      const inSession = and(eq(chats.companyId, scope.companyId), eq(chats.sessionId, scope.sessionId));
      if (!byLid || byLid.id === byPhone?.id) {
        if (byPhone && !byPhone.lid) {
          const [row] = await tx
            .update(chats)
            .set({ lid })
            .where(and(inSession, eq(chats.id, byPhone.id)))
            .returning();
          return row ?? null;
        }
        return null;
      }
      if (!byPhone) {
        const [row] = await tx
          .update(chats)
          .set({ waChatId: phone.waChatId, phoneNumber: phone.phoneNumber, lid, updatedAt: new Date() })
          .where(and(inSession, eq(chats.id, byLid.id)))
          .returning();
        return row ?? null;
      }
      return mergeChats(tx, scope, { into: byPhone, from: byLid }, lid);
    },

    /** Lays the phone's view of chats over the stored ones (see `chatStatesStatement`); returns the chats changed. */
    async applyChatStates(scope: IngestScope, states: ChatState[], tx: DbOrTx = db): Promise<ChatRow[]> {
      if (states.length === 0) {
        return [];
      }
      const result = await chatStatesStatement(tx, {
        ...scope,
        waChatIds: states.map((c) => c.waChatId),
        lids: states.map((c) => c.lid ?? null),
        names: states.map((c) => c.name ?? null),
        unread: states.map((c) => c.unreadCount ?? null),
        archived: states.map((c) => c.archived ?? null),
        pinned: states.map((c) => c.pinned ?? null),
        asOf: states.map((c) => c.asOf?.toISOString() ?? null),
        notConversation: NOT_CONVERSATION,
      });
      return rowsOf(chats, result);
    },

    /** Names people's chats and messages (see `contactsStatement`); how many of each changed. */
    async applyContactNames(
      scope: IngestScope,
      names: ContactName[],
      tx: DbOrTx = db,
    ): Promise<{ senders: number; chats: number }> {
      if (names.length === 0) {
        return { senders: 0, chats: 0 };
      }
      const result = await contactsStatement(tx, {
        ...scope,
        waIds: names.map((c) => c.waId),
        names: names.map((c) => c.name ?? null),
        pushNames: names.map((c) => c.pushName ?? null),
      });
      const [out] = result.rows;
      return { senders: Number(out?.senders ?? 0), chats: Number(out?.chats ?? 0) };
    },

    /** An edited or deleted message that is its chat's last one changes the chat's preview. */
    async refreshPreview(message: MessageRow, tx: DbOrTx = db): Promise<ChatRow | undefined> {
      const [chat] = await tx
        .update(chats)
        .set({ lastMessageBody: message.deletedAt ? null : message.body, updatedAt: new Date() })
        .where(
          and(
            eq(chats.companyId, message.companyId),
            eq(chats.sessionId, message.sessionId),
            eq(chats.id, message.chatId),
            eq(chats.lastMessageId, message.id),
          ),
        )
        .returning();
      return chat;
    },
  };
}

export type IngestRepository = ReturnType<typeof createIngestRepository>;
