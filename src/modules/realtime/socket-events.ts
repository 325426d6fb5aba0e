import type { Actor } from '../../shared/actor.js';
import type { Rights } from '../access/policy.js';
import type { MessageStatus } from '../chats/messages.table.js';
import type { ChatDto, MessageDto } from '../chats/presenters.js';
import type { SessionStatus } from '../sessions/session-status.js';

/**
 * What the server sends a socket: a line-for-line copy of the contract's "Real-time (socket.io)"
 * table (CONTRACT.md), then our additions. The comment on each line is the contract's "to" column;
 * `fan-out.ts` is where that audience is enforced. Every session event carries `sessionId`.
 */
export interface ServerToClientEvents {
  /** the company's admins; `qrCode` is a PNG data URL, as in GET qr */
  'whatsapp:qr': (payload: { sessionId: string; qrCode: string; qr: string; expiresAt: string }) => void;
  /** admins; managers with access */
  'whatsapp:ready': (payload: { sessionId: string; phoneNumber: string; displayName: string | null }) => void;
  /** admins; managers with canRead: every new incoming message, and messages sent from the phone itself */
  'whatsapp:message': (payload: {
    sessionId: string;
    chatId: string;
    chat: ChatDto;
    message: MessageDto;
  }) => void;
  /** admins; managers with canRead: a message sent through the API was accepted by WhatsApp */
  'whatsapp:message_sent': (payload: { sessionId: string; chatId: string; message: MessageDto }) => void;
  /** admins; managers with canRead */
  'whatsapp:message_status': (payload: {
    sessionId: string;
    chatId: string;
    messageId: string;
    waMessageId: string;
    status: MessageStatus;
  }) => void;
  /** admins; managers with access */
  'whatsapp:disconnected': (payload: { sessionId: string; reason: string; loggedOut: boolean }) => void;
  /** admins; managers with access: on every status change */
  'whatsapp:session_status': (payload: { sessionId: string; status: SessionStatus }) => void;
  /** admins: while a linked phone's history is imported (`progress` 0–100) */
  'whatsapp:history_progress': (payload: {
    sessionId: string;
    progress: number;
    chats: number;
    messages: number;
  }) => void;

  // Additions to the contract.

  /** admins; managers with canRead: a chat's counters or flags changed (read, archived, pinned) */
  'whatsapp:chat_updated': (payload: { sessionId: string; chat: ChatDto }) => void;
  /** admins; managers with canRead: a message was edited or deleted for everyone by its sender */
  'whatsapp:message_updated': (payload: { sessionId: string; chatId: string; message: MessageDto }) => void;
  /**
   * the manager whose rights on a session changed (all their sockets): the new rights, or null when
   * access was revoked. By the time it arrives, the socket already hears the session's events or no
   * longer does, so a client can drop the session from view, or load it, at once.
   */
  'whatsapp:access_changed': (payload: { sessionId: string; rights: Rights | null }) => void;
  /**
   * this socket only, on every connection (fresh or recovered). It is not about a session, so it has
   * no `sessionId`. Being a broadcast, it gives the client a recovery offset at once, so even a client
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
  /** The membership clock when this socket's rooms were last computed (see realtime.ts). */
  epoch: number;
}
