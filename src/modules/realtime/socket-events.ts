import type { Actor } from '../../shared/actor.js';
import type { Rights } from '../access/policy.js';
import type { MessageStatus } from '../chats/messages.table.js';
import type { ChatDto, MessageDto } from '../chats/presenters.js';
import type { SessionStatus } from '../sessions/session-status.js';

/**
 * What the server sends a socket: the events of the contract's "Real-time (socket.io)" table
 * (CONTRACT.md), then our additions. Who hears each one is written once, in `fan-out.ts`'s
 * SOCKET_EVENTS, which also sends them there. Every session event carries `sessionId`.
 */
export interface ServerToClientEvents {
  /** `qrCode` is a PNG data URL, as in GET qr */
  'whatsapp:qr': (payload: { sessionId: string; qrCode: string; qr: string; expiresAt: string }) => void;
  'whatsapp:ready': (payload: { sessionId: string; phoneNumber: string; displayName: string | null }) => void;
  /** every new incoming message, and messages sent from the phone itself */
  'whatsapp:message': (payload: {
    sessionId: string;
    chatId: string;
    chat: ChatDto;
    message: MessageDto;
  }) => void;
  /** a message sent through the API was accepted by WhatsApp */
  'whatsapp:message_sent': (payload: { sessionId: string; chatId: string; message: MessageDto }) => void;
  'whatsapp:message_status': (payload: {
    sessionId: string;
    chatId: string;
    messageId: string;
    waMessageId: string;
    status: MessageStatus;
    /** why, when `status` is `failed` */
    error: string | null;
  }) => void;
  'whatsapp:disconnected': (payload: { sessionId: string; reason: string; loggedOut: boolean }) => void;
  /** on every status change */
  'whatsapp:session_status': (payload: { sessionId: string; status: SessionStatus }) => void;
  /** while a linked phone's history is imported (`progress` 0–100, never back within an import, 100 at its end) */
  'whatsapp:history_progress': (payload: {
    sessionId: string;
    progress: number;
    chats: number;
    messages: number;
  }) => void;

  // Additions to the contract.

  /** a chat's counters or flags changed (read, archived, pinned) */
  'whatsapp:chat_updated': (payload: { sessionId: string; chat: ChatDto }) => void;
  /** a message was edited or deleted for everyone by its sender */
  'whatsapp:message_updated': (payload: { sessionId: string; chatId: string; message: MessageDto }) => void;
  /**
   * a manager's rights on a session changed: the new rights, or null when access was revoked. By
   * the time it arrives, the socket already hears the session's events or no longer does, so a
   * client can drop the session from view, or load it, at once.
   */
  'whatsapp:access_changed': (payload: { sessionId: string; rights: Rights | null }) => void;
  /**
   * sent on every connection (fresh or recovered). It is not about a session, so it has no
   * `sessionId`. Being a broadcast, it gives the client a recovery offset at once, so even a client
   * that drops before its first session event gets what it missed when it comes back.
   */
  'realtime:connected': (payload: { recovered: boolean }) => void;
}

/** Clients only listen: nothing they send is handled. */
export type ClientToServerEvents = Record<never, never>;

/** One process; no events between servers. */
export type InterServerEvents = Record<never, never>;

/** Set by the handshake, restored with the socket on connection-state recovery. */
export interface SocketData {
  actor: Actor;
  /** The rights version this socket's rooms were last computed at (see rights-clock.ts). */
  roomsComputedAt: number;
}
