import type { Rights } from '../modules/access/policy.js';
import type { MessageStatus } from '../modules/chats/messages.table.js';
import type { ChatDto, MessageDto } from '../modules/chats/presenters.js';
import type { SessionStatus } from '../modules/sessions/session-status.js';

/**
 * Facts one module tells the others, after the transaction that made them true has committed.
 * Internal names are `noun.past_tense`; the contract's `whatsapp:*` names live only in realtime.
 * Every payload carries `companyId` so subscribers can scope without a lookup.
 */
export interface DomainEvents {
  /** A user was deactivated: their tokens and sockets must stop working at once. */
  'user.deactivated': { companyId: string; userId: string };
  /** A user's profile or status changed (name, email, active). */
  'user.changed': { companyId: string; userId: string };

  /** A session's status changed (every change, from the engine or an admin). */
  'session.status_changed': { companyId: string; sessionId: string; status: SessionStatus };
  /** A new QR is waiting to be scanned; `qrCode` is its PNG data URL. */
  'session.qr': { companyId: string; sessionId: string; qr: string; qrCode: string; expiresAt: string };
  /** The session is linked and online. */
  'session.ready': { companyId: string; sessionId: string; phoneNumber: string; displayName: string | null };
  /** The connection ended; `loggedOut` when the phone unlinked the device (a new QR is needed). */
  'session.disconnected': { companyId: string; sessionId: string; reason: string; loggedOut: boolean };
  /** The session and its data were deleted. */
  'session.deleted': { companyId: string; sessionId: string };
  /** A linked phone's history is being imported. */
  'session.history_progress': {
    companyId: string;
    sessionId: string;
    progress: number;
    chats: number;
    messages: number;
  };
  /** A manager's rights on a session were granted, changed or revoked (`rights` null). */
  'access.changed': { companyId: string; sessionId: string; userId: string; rights: Rights | null };
  /** A new message in a chat: incoming, or sent from the linked phone itself (live, not history). */
  'message.received': { companyId: string; sessionId: string; chat: ChatDto; message: MessageDto };
  /** A message sent through the API was accepted by WhatsApp. */
  'message.sent': { companyId: string; sessionId: string; chatId: string; message: MessageDto };
  /** A message's delivery status changed (sent, delivered, read, played, failed). */
  'message.status': {
    companyId: string;
    sessionId: string;
    chatId: string;
    messageId: string;
    waMessageId: string;
    status: MessageStatus;
    /** Why, when `status` is `failed`. */
    error: string | null;
  };
  /** A message was edited or deleted for everyone by its sender. */
  'message.updated': { companyId: string; sessionId: string; chatId: string; message: MessageDto };
  /** A chat's counters or flags changed (read, archived, pinned). */
  'chat.updated': { companyId: string; sessionId: string; chat: ChatDto };
}
