import type { FastifyBaseLogger } from 'fastify';

import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { EventBus } from '../../events/event-bus.js';
import { NotFoundError, ServiceUnavailableError, UnprocessableError } from '../../http/errors.js';
import { fingerprint, type IdempotencyStore } from '../../http/idempotency.js';
import type { PageQuery } from '../../http/pagination.js';
import { decodeCursor, toPage } from '../../http/pagination.js';
import type { Actor } from '../../shared/actor.js';
import { isUuid } from '../../shared/ids.js';
import type { AccessPolicy } from '../access/policy.js';
import type { AuditService } from '../audit/audit.service.js';
import { EngineError } from '../engine/engine.js';
import { newWaMessageId } from '../engine/message-id.js';
import { parseWaAddress } from '../engine/wa-address.js';
import type { SessionSupervisor } from '../sessions/session-supervisor.js';
import type { ChatsRepository } from './chats.repository.js';
import type { ChatListQuery, SendInput } from './chats.schemas.js';
import type { ChatRow } from './chats.table.js';
import type { IngestRepository } from './ingest.repository.js';
import type { MessagesRepository } from './messages.repository.js';
import { type MessageDto, toChatDto, toMessageDto } from './presenters.js';
import type { Sender } from './sender.js';

function chatNotFound(chatId: string) {
  return new NotFoundError('CHAT_NOT_FOUND', `Chat '${chatId}' not found`);
}

/** Chats and messages of a session, for the actors the policy lets in. */
export function createChatsService(deps: {
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
}) {
  /** `{chatId}` is our id, a WhatsApp id in any form, or a bare phone number. */
  const findChat = async (
    companyId: string,
    sessionId: string,
    ref: string,
  ): Promise<ChatRow | undefined> => {
    if (isUuid(ref)) {
      return deps.chats.find(companyId, sessionId, ref);
    }
    const address = parseWaAddress(ref);
    if (!address) {
      return undefined;
    }
    return deps.chats.findByWaId(
      companyId,
      sessionId,
      address.kind === 'lid' ? address.lid : address.waChatId,
    );
  };

  const requireChat = async (companyId: string, sessionId: string, ref: string): Promise<ChatRow> => {
    const chat = await findChat(companyId, sessionId, ref);
    if (!chat) {
      throw chatNotFound(ref);
    }
    return chat;
  };

  /** The chat to send to; a phone number without a chat yet starts one, if it is on WhatsApp. */
  const chatToSendTo = async (companyId: string, sessionId: string, ref: string): Promise<ChatRow> => {
    const existing = await findChat(companyId, sessionId, ref);
    if (existing) {
      return existing;
    }
    const address = isUuid(ref) ? null : parseWaAddress(ref);
    if (address?.kind !== 'person') {
      throw chatNotFound(ref);
    }
    if (deps.supervisor.isReady(sessionId)) {
      let onWhatsApp = true;
      try {
        onWhatsApp = await deps.supervisor.readyEngine(sessionId).isOnWhatsApp(address.phoneNumber);
      } catch (err) {
        // Unknown now (connection trouble): accept, the sender will try.
        deps.log.warn({ err, sessionId }, 'could not check whether the number is on WhatsApp');
      }
      if (!onWhatsApp) {
        throw new UnprocessableError(
          'NOT_ON_WHATSAPP',
          `The number ${address.phoneNumber} is not on WhatsApp`,
        );
      }
    }
    const [chat] = await deps.chats.upsertMany(companyId, sessionId, [
      { waChatId: address.waChatId, phoneNumber: address.phoneNumber, isGroup: false },
    ]);
    return chat!;
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
      const chatId = byId ? chatRef : (await requireChat(actor.companyId, sessionId, chatRef)).id;
      const after = query.cursor ? decodeCursor(query.cursor, 'time') : null;
      const rows = await deps.messages.list(actor.companyId, sessionId, chatId, query, after);
      if (byId && rows.length === 0) {
        await requireChat(actor.companyId, sessionId, chatRef);
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
      if (idempotencyKey) {
        const replay = await deps.idempotency.replay<{ message: MessageDto }>(
          actor.userId,
          idempotencyKey,
          print,
        );
        if (replay) {
          return replay.response;
        }
      }
      // A session that is linking, reconnecting or being taken over takes messages (they wait as
      // pending); one that was disconnected, logged out or gave up would keep them forever.
      if (!(await deps.supervisor.takesSends({ companyId: actor.companyId, sessionId }))) {
        throw new ServiceUnavailableError(
          'SESSION_NOT_READY',
          `Session '${sessionId}' is not connected to WhatsApp; reconnect it first`,
        );
      }
      const chat = await chatToSendTo(actor.companyId, sessionId, chatRef);
      const quoted = input.quotedMessageId
        ? await (isUuid(input.quotedMessageId)
            ? deps.messages.find(actor.companyId, sessionId, input.quotedMessageId)
            : Promise.resolve({ waMessageId: input.quotedMessageId }))
        : null;
      if (input.quotedMessageId && !quoted) {
        throw new NotFoundError('MESSAGE_NOT_FOUND', `Message '${input.quotedMessageId}' not found`);
      }
      try {
        const { result, updatedChat } = await deps.db.transaction(async (tx) => {
          // The same statement as a message the engine reports: the chat's preview moves forward.
          const stored = await deps.ingest.store(
            { companyId: actor.companyId, sessionId },
            [{ waChatId: chat.waChatId, isGroup: chat.isGroup }],
            [
              {
                chatKey: chat.waChatId,
                waMessageId: newWaMessageId(),
                fromMe: true,
                type: 'text',
                body: input.message,
                timestamp: new Date(),
                status: 'pending',
                sentByUserId: actor.userId,
                quotedWaMessageId: quoted?.waMessageId ?? null,
              },
            ],
            { live: false, returnRows: true },
            tx,
          );
          const row = stored.inserted[0];
          const updatedChat = stored.chats[0];
          const result = { message: toMessageDto(row!) };
          if (idempotencyKey) {
            await deps.idempotency.save(
              {
                userId: actor.userId,
                companyId: actor.companyId,
                key: idempotencyKey,
                fingerprint: print,
                statusCode: 201,
                response: result,
              },
              tx,
            );
          }
          await deps.audit.record(
            {
              companyId: actor.companyId,
              actorUserId: actor.userId,
              action: 'message.sent',
              targetType: 'message',
              targetId: row!.id,
              details: { sessionId, chatId: chat.id },
            },
            tx,
          );
          return { result, updatedChat };
        });
        deps.log.debug({ sessionId, messageId: result.message.id, body: input.message }, 'message accepted');
        if (updatedChat) {
          deps.events.emit('chat.updated', {
            companyId: actor.companyId,
            sessionId,
            chat: toChatDto(updatedChat),
          });
        }
        deps.sender.kick({ companyId: actor.companyId, sessionId });
        return result;
      } catch (err) {
        // A concurrent request with the same key committed first: answer as it did.
        if (idempotencyKey && isUniqueViolation(err)) {
          const replay = await deps.idempotency.replay<{ message: MessageDto }>(
            actor.userId,
            idempotencyKey,
            print,
          );
          if (replay) {
            return replay.response;
          }
        }
        throw err;
      }
    },

    /** Unread count to 0 and read receipts to the contact (sent when the session is online). */
    async markRead(actor: Actor, sessionId: string, chatRef: string) {
      await deps.policy.require(actor, sessionId, 'manageChats');
      const chat = await requireChat(actor.companyId, sessionId, chatRef);
      const { waMessageIds, updated } = await deps.db.transaction(async (tx) => {
        const waMessageIds = await deps.messages.markChatRead(actor.companyId, chat.id, tx);
        const updated = await deps.chats.update(actor.companyId, sessionId, chat.id, { unreadCount: 0 }, tx);
        return { waMessageIds, updated };
      });
      if (waMessageIds.length > 0 && deps.supervisor.isReady(sessionId)) {
        try {
          await deps.supervisor.readyEngine(sessionId).markRead(chat.waChatId, waMessageIds);
        } catch (err) {
          const level = err instanceof EngineError && err.transient ? 'info' : 'warn';
          deps.log[level]({ err, sessionId, chatId: chat.id }, 'read receipts not sent');
        }
      }
      const dto = toChatDto(updated ?? chat);
      deps.events.emit('chat.updated', { companyId: actor.companyId, sessionId, chat: dto });
      return dto;
    },

    /** Archive or pin. */
    async update(
      actor: Actor,
      sessionId: string,
      chatRef: string,
      patch: { archived?: boolean | undefined; pinned?: boolean | undefined },
    ) {
      await deps.policy.require(actor, sessionId, 'manageChats');
      const chat = await requireChat(actor.companyId, sessionId, chatRef);
      const updated = await deps.chats.update(actor.companyId, sessionId, chat.id, {
        ...(patch.archived !== undefined ? { archived: patch.archived } : {}),
        ...(patch.pinned !== undefined ? { pinned: patch.pinned } : {}),
      });
      const dto = toChatDto(updated ?? chat);
      deps.events.emit('chat.updated', { companyId: actor.companyId, sessionId, chat: dto });
      return dto;
    },
  };
}

export type ChatsService = ReturnType<typeof createChatsService>;
