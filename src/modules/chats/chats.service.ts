import type { FastifyBaseLogger } from 'fastify';

import type { Db } from '../../db/client.js';
import type { EventBus } from '../../events/event-bus.js';
import { ServiceUnavailableError } from '../../http/errors.js';
import { fingerprint, type IdempotencyStore, type RememberResponse } from '../../http/idempotency.js';
import type { PageQuery } from '../../http/pagination.js';
import { decodeCursor, toPage } from '../../http/pagination.js';
import type { Actor } from '../../shared/actor.js';
import { isUuid } from '../../shared/ids.js';
import type { AccessPolicy } from '../access/policy.js';
import type { AuditService } from '../audit/audit.service.js';
import { EngineError } from '../engine/engine.js';
import { newWaMessageId } from '../engine/message-id.js';
import type { SessionSupervisor } from '../sessions/session-supervisor.js';
import { createChatLookup } from './chat-lookup.js';
import type { ChatsRepository } from './chats.repository.js';
import type { ChatListQuery, SendInput } from './chats.schemas.js';
import type { ChatRow } from './chats.table.js';
import type { IncomingRow, IngestRepository } from './ingest.repository.js';
import type { MessagesRepository } from './messages.repository.js';
import { type MessageDto, toChatDto, toMessageDto } from './presenters.js';
import type { Sender } from './sender.js';

/** Ours, accepted now, waiting for the session's sender; its WhatsApp id is chosen up front. */
function pendingRow(
  chat: ChatRow,
  body: string,
  userId: string,
  quotedWaMessageId: string | null,
): IncomingRow {
  return {
    chatKey: chat.waChatId,
    waMessageId: newWaMessageId(),
    fromMe: true,
    type: 'text',
    body,
    timestamp: new Date(),
    status: 'pending',
    sentByUserId: userId,
    quotedWaMessageId,
  };
}

type Sent = { message: MessageDto };

interface ChatsServiceDeps {
  db: Db;
  chats: ChatsRepository;
  messages: MessagesRepository;
  ingest: IngestRepository;
  policy: AccessPolicy;
  supervisor: Pick<SessionSupervisor, 'isReady' | 'readyEngine' | 'takesSends'>;
  sender: Pick<Sender, 'kick'>;
  idempotency: IdempotencyStore;
  audit: AuditService;
  events: EventBus;
  log: FastifyBaseLogger;
}

/** Chats and messages of a session, for the actors the policy lets in. */
export function createChatsService(deps: ChatsServiceDeps) {
  const lookup = createChatLookup(deps);

  /** Tells the session's readers how the chat is now; returns what they were told. */
  const announce = (companyId: string, sessionId: string, chat: ChatRow) => {
    const dto = toChatDto(chat);
    deps.events.emit('chat.updated', { companyId, sessionId, chat: dto });
    return dto;
  };

  return {
    /** Newest activity first; `archived` picks archived or active chats; `search` matches name or number. */
    async list(actor: Actor, sessionId: string, query: ChatListQuery) {
      await deps.policy.require(actor, sessionId, 'read');
      const after = query.cursor ? decodeCursor(query.cursor, 'time') : null;
      const rows = await deps.chats.list(
        actor.companyId,
        sessionId,
        { archived: query.archived, search: query.search },
        query,
        after,
      );
      const { items, pagination } = toPage(rows, query, (c) => ({
        k: c.lastActivityAt.toISOString(),
        id: c.id,
      }));
      return { items: items.map(toChatDto), pagination };
    },

    /** A chat's messages, newest first. */
    async messages(actor: Actor, sessionId: string, chatRef: string, query: PageQuery) {
      await deps.policy.require(actor, sessionId, 'read');
      // A message's session and company are its chat's (one foreign key), so a page of messages
      // scoped by session proves the chat is in it: only an empty page needs the chat looked up.
      const byId = isUuid(chatRef);
      const chatId = byId ? chatRef : (await lookup.require(actor.companyId, sessionId, chatRef)).id;
      const after = query.cursor ? decodeCursor(query.cursor, 'time') : null;
      const rows = await deps.messages.list(actor.companyId, sessionId, chatId, query, after);
      if (byId && rows.length === 0) {
        await lookup.require(actor.companyId, sessionId, chatRef);
      }
      const { items, pagination } = toPage(rows, query, (m) => ({ k: m.timestamp.toISOString(), id: m.id }));
      return { items: items.map(toMessageDto), pagination };
    },

    /**
     * Accepts a message: stored as `pending` in the same transaction as its Idempotency-Key record,
     * then delivered by the session's sender. A retried request with the same key gets the first
     * answer back; the message is never stored or sent twice.
     */
    async send(
      actor: Actor,
      sessionId: string,
      chatRef: string,
      input: SendInput,
      idempotencyKey: string | null,
    ) {
      await deps.policy.require(actor, sessionId, 'write');
      const print = fingerprint(`send:${sessionId}:${chatRef}`, input);
      const ref = { companyId: actor.companyId, sessionId };
      return deps.idempotency.once(actor, idempotencyKey, print, async (remember: RememberResponse<Sent>) => {
        // A session that is linking, reconnecting or being taken over takes messages (they wait as
        // pending); one that was disconnected, logged out or gave up would keep them forever.
        if (!(await deps.supervisor.takesSends(ref))) {
          throw new ServiceUnavailableError(
            'SESSION_NOT_READY',
            `Session '${sessionId}' is not connected to WhatsApp; reconnect it first`,
          );
        }
        const chat = await lookup.toSendTo(actor.companyId, sessionId, chatRef);
        const quoted = await lookup.quotedWaMessageId(actor.companyId, sessionId, input.quotedMessageId);
        const { result, updatedChat } = await deps.db.transaction(async (tx) => {
          // The same statement as a message the engine reports: the chat's preview moves forward.
          const stored = await deps.ingest.store(
            ref,
            [{ waChatId: chat.waChatId, isGroup: chat.isGroup }],
            [pendingRow(chat, input.message, actor.userId, quoted)],
            { countUnread: false, returnRows: true },
            tx,
          );
          const row = stored.inserted[0]!;
          const result = { message: toMessageDto(row) };
          await remember(result, tx);
          await deps.audit.record(
            actor,
            'message.sent',
            { type: 'message', id: row.id },
            { sessionId, chatId: chat.id },
            tx,
          );
          return { result, updatedChat: stored.chats[0] };
        });
        deps.log.debug({ sessionId, messageId: result.message.id, body: input.message }, 'message accepted');
        if (updatedChat) {
          announce(actor.companyId, sessionId, updatedChat);
        }
        deps.sender.kick(ref);
        return result;
      });
    },

    /** Unread count to 0 and read receipts to the contact (sent when the session is online). */
    async markRead(actor: Actor, sessionId: string, chatRef: string) {
      await deps.policy.require(actor, sessionId, 'manageChats');
      const chat = await lookup.require(actor.companyId, sessionId, chatRef);
      const { read, updated } = await deps.db.transaction(async (tx) => {
        const read = await deps.messages.markChatRead(actor.companyId, chat.id, tx);
        const updated = await deps.chats.update(actor.companyId, sessionId, chat.id, { unreadCount: 0 }, tx);
        return { read, updated };
      });
      if (read.length > 0 && deps.supervisor.isReady(sessionId)) {
        try {
          await deps.supervisor.readyEngine(sessionId).markRead(chat.waChatId, read);
        } catch (err) {
          const level = err instanceof EngineError && err.transient ? 'info' : 'warn';
          deps.log[level]({ err, sessionId, chatId: chat.id }, 'read receipts not sent');
        }
      }
      return announce(actor.companyId, sessionId, updated ?? chat);
    },

    /** Archive or pin. */
    async update(
      actor: Actor,
      sessionId: string,
      chatRef: string,
      patch: { archived?: boolean | undefined; pinned?: boolean | undefined },
    ) {
      await deps.policy.require(actor, sessionId, 'manageChats');
      const chat = await lookup.require(actor.companyId, sessionId, chatRef);
      const updated = await deps.chats.update(actor.companyId, sessionId, chat.id, {
        ...(patch.archived !== undefined ? { archived: patch.archived } : {}),
        ...(patch.pinned !== undefined ? { pinned: patch.pinned } : {}),
      });
      return announce(actor.companyId, sessionId, updated ?? chat);
    },
  };
}

export type ChatsService = ReturnType<typeof createChatsService>;
