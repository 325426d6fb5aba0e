import type { ChatRow } from './chats.table.js';
import type { MessageRow } from './messages.table.js';

/** `…@lid` ids are WhatsApp-internal; the API shows the phone form once it is known. */
export function toChatDto(row: ChatRow) {
  return {
    id: row.id,
    sessionId: row.sessionId,
    waChatId: row.waChatId,
    phoneNumber: row.phoneNumber,
    name: row.name,
    isGroup: row.isGroup,
    unreadCount: row.unreadCount,
    archived: row.archived,
    pinned: row.pinned,
    lastMessage:
      row.lastMessageId && row.lastMessageAt
        ? {
            id: row.lastMessageId,
            body: row.lastMessageBody,
            type: row.lastMessageType ?? 'text',
            fromMe: row.lastMessageFromMe ?? false,
            timestamp: row.lastMessageAt.toISOString(),
          }
        : null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toMessageDto(row: MessageRow) {
  return {
    id: row.id,
    sessionId: row.sessionId,
    chatId: row.chatId,
    waMessageId: row.waMessageId,
    fromMe: row.fromMe,
    direction: row.fromMe ? ('outgoing' as const) : ('incoming' as const),
    type: row.type,
    body: row.deletedAt ? null : row.body,
    sender: { waId: row.senderWaId, phoneNumber: row.senderPhone, name: row.senderName },
    timestamp: row.timestamp.toISOString(),
    status: row.status,
    sentByUserId: row.sentByUserId,
    quotedMessageId: row.quotedWaMessageId,
    media: row.media ?? null,
    error: row.error,
    editedAt: row.editedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
  };
}

export type ChatDto = ReturnType<typeof toChatDto>;
export type MessageDto = ReturnType<typeof toMessageDto>;
