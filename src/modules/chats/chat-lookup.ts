import type { FastifyBaseLogger } from 'fastify';

import { NotFoundError, UnprocessableError } from '../../http/errors.js';
import { isUuid } from '../../shared/ids.js';
import { parseWaAddress } from '../engine/wa-address.js';
import type { SessionSupervisor } from '../sessions/session-supervisor.js';
import type { ChatsRepository } from './chats.repository.js';
import type { ChatRow } from './chats.table.js';
import type { MessagesRepository } from './messages.repository.js';

function chatNotFound(chatId: string) {
  return new NotFoundError('CHAT_NOT_FOUND', `Chat '${chatId}' not found`);
}

/** How a request names a chat or a message to quote, resolved within one company's session. */
export function createChatLookup(deps: {
  chats: ChatsRepository;
  messages: MessagesRepository;
  supervisor: Pick<SessionSupervisor, 'isReady' | 'readyEngine'>;
  log: FastifyBaseLogger;
}) {
  /** `{chatId}` is our id, a WhatsApp id in any form, or a bare phone number. */
  const find = async (companyId: string, sessionId: string, ref: string): Promise<ChatRow | undefined> => {
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

  return {
    find,

    async require(companyId: string, sessionId: string, ref: string): Promise<ChatRow> {
      const chat = await find(companyId, sessionId, ref);
      if (!chat) {
        throw chatNotFound(ref);
      }
      return chat;
    },

    /** The chat to send to; a phone number without a chat yet starts one, if it is on WhatsApp. */
    async toSendTo(companyId: string, sessionId: string, ref: string): Promise<ChatRow> {
      const existing = await find(companyId, sessionId, ref);
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
    },

    /**
     * The WhatsApp id of the message a send quotes: ours by id (404 if the session has none such),
     * or a WhatsApp id as given. Null when nothing is quoted.
     */
    async quotedWaMessageId(
      companyId: string,
      sessionId: string,
      quotedMessageId: string | undefined,
    ): Promise<string | null> {
      if (!quotedMessageId) {
        return null;
      }
      if (!isUuid(quotedMessageId)) {
        return quotedMessageId;
      }
      const quoted = await deps.messages.find(companyId, sessionId, quotedMessageId);
      if (!quoted) {
        throw new NotFoundError('MESSAGE_NOT_FOUND', `Message '${quotedMessageId}' not found`);
      }
      return quoted.waMessageId;
    },
  };
}

export type ChatLookup = ReturnType<typeof createChatLookup>;
