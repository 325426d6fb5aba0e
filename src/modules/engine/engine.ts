import type { Readable } from 'node:stream';

/**
 * The port between the service and a WhatsApp implementation. Adapters (the real engine, the
 * simulator) turn their own payloads into these types; nothing outside an adapter's folder sees
 * an adapter's types, and no service asks which engine runs.
 */

export type MessageType =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'voice'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contact'
  | 'reaction'
  | 'system'
  | 'unknown';

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'played';

export interface MediaInfo {
  mimetype?: string | null;
  size?: number | null;
  fileName?: string | null;
  /** Seconds, for audio, voice and video. */
  duration?: number | null;
  width?: number | null;
  height?: number | null;
  latitude?: number | null;
  longitude?: number | null;
  /** vCard text of a shared contact. */
  vcard?: string | null;
  /** For reactions: the emoji and the waMessageId reacted to. */
  emoji?: string | null;
  targetWaMessageId?: string | null;
}

/** One message as an engine reports it: received, or sent from the linked phone itself. */
export interface EngineMessage {
  waMessageId: string;
  /** The chat in contract form: `number@c.us`, `…@g.us`; or `…@lid` when only the hidden id is known. */
  chatWaId: string;
  /** The other form of the chat's id when the engine knows both (phone id ↔ hidden id). */
  chatAltWaId?: string | null;
  fromMe: boolean;
  type: MessageType;
  /** Text, caption, or a readable summary for non-text kinds. */
  body: string | null;
  timestamp: Date;
  sender: { waId: string | null; phoneNumber: string | null; name: string | null };
  /** Display name of the chat (contact push name or group subject) when the engine knows it. */
  chatName?: string | null;
  isGroup: boolean;
  quotedWaMessageId?: string | null;
  media?: MediaInfo | null;
  /** For outgoing messages sent from the phone: what WhatsApp reported last. */
  status?: DeliveryStatus | null;
  /** Opaque to the service: what this engine needs to download the message's media later. */
  mediaRef?: string | null;
}

/**
 * A chat as the account's phone shows it (the history sync): what the service keeps of it besides
 * its messages. Fields the engine was not told are left out.
 */
export interface EngineChat {
  /** The chat in contract form, as `EngineMessage.chatWaId`. */
  chatWaId: string;
  chatAltWaId?: string | null;
  isGroup: boolean;
  /** The contact's name in the phone's address book, or the group's subject. */
  name?: string | null;
  /** Unread messages as the phone counts them (a chat marked unread counts at least one). */
  unreadCount?: number | null;
  archived?: boolean | null;
  pinned?: boolean | null;
  /** The newest activity the phone's figures take into account. */
  asOf?: Date | null;
}

/** A person as WhatsApp knows them: both ids when known, their name in the address book, their own. */
export interface EngineContact {
  /** Contract form: `number@c.us` or `…@lid`. */
  waId: string;
  altWaId?: string | null;
  /** The name the account saved for them. */
  name?: string | null;
  /** The name they gave themselves (WhatsApp's push name). */
  pushName?: string | null;
}

/** A sent message WhatsApp refused, with the reason in words a person understands. */
export interface MessageFailure {
  waMessageId: string;
  chatWaId: string;
  reason: string;
}

/** A change to a message already sent: WhatsApp's edit and "delete for everyone". */
export type MessageChange =
  | { kind: 'edit'; waMessageId: string; chatWaId: string; body: string; editedAt: Date }
  | { kind: 'revoke'; waMessageId: string; chatWaId: string; at: Date };

export type EngineEvent =
  | { type: 'qr'; qr: string; expiresAt: Date }
  | { type: 'pairing_code'; code: string }
  | { type: 'connecting' }
  | { type: 'ready'; phoneNumber: string; displayName: string | null }
  /** The account's own name became known or changed after `ready` (WhatsApp sends it after linking). */
  | { type: 'profile'; displayName: string }
  | {
      type: 'disconnected';
      reason: string;
      /** The phone unlinked this device: credentials are gone and a new QR is needed. */
      loggedOut: boolean;
      /** Reconnecting cannot help: another client took over these credentials, or the engine cannot run here. */
      permanent?: boolean;
    }
  | { type: 'messages'; source: 'live' | 'history'; messages: EngineMessage[] }
  | { type: 'message_status'; updates: { waMessageId: string; chatWaId: string; status: DeliveryStatus }[] }
  /** WhatsApp refused messages it had taken (its ack carried an error): they were not delivered. */
  | { type: 'message_failed'; failures: MessageFailure[] }
  | { type: 'message_changes'; changes: MessageChange[] }
  /** The phone's view of chats whose messages were reported before (names, unread counts, archive, pin). */
  | { type: 'chats'; chats: EngineChat[] }
  /** Names of people: for their chats and their messages that have none. */
  | { type: 'contacts'; contacts: EngineContact[] }
  /** How far the import of a linked phone's history is: 0–100, never less than reported before. */
  | { type: 'history_progress'; progress: number; chats: number; messages: number }
  /** The engine learned that a hidden id and a phone id are the same person. */
  | { type: 'identity'; lid: string; phoneWaId: string };

export interface SendTextInput {
  /** Chat id in contract form (`number@c.us`, `…@g.us`). */
  to: string;
  text: string;
  /**
   * Chosen by us before the first attempt and reused on every retry, so a send that reached
   * WhatsApp before a crash is not delivered twice.
   */
  waMessageId: string;
  /**
   * The message this one replies to. In a group, WhatsApp needs to know whose message it was
   * (`senderWaId`, as the engine reported it); elsewhere the chat says it.
   */
  quoted?: { waMessageId: string; fromMe: boolean; body: string | null; senderWaId: string | null } | null;
}

/** An incoming message to send a read receipt for, with its sender (needed in groups). */
export interface ReadMessage {
  waMessageId: string;
  /** The sender as the engine reported it (`EngineMessage.sender.waId`). */
  senderWaId: string | null;
}

export interface WhatsAppEngine {
  /** Connects with stored credentials, or starts linking (QR) without them. Events follow. */
  start(): Promise<void>;
  /** Closes the connection and keeps the credentials: the session resumes on the next start. */
  stop(): Promise<void>;
  /** Unlinks the device and deletes the credentials. */
  logout(): Promise<void>;
  /** Resolves once WhatsApp has accepted the message; rejects with an `EngineError` otherwise. */
  sendText(input: SendTextInput): Promise<{ timestamp: Date }>;
  /** Sends read receipts for these incoming messages of a chat (in a group, to each one's sender). */
  markRead(chatWaId: string, messages: ReadMessage[]): Promise<void>;
  /** Links by an 8-character code typed on the phone instead of a QR. */
  requestPairingCode(phoneNumber: string): Promise<string>;
  /** Whether a phone number has a WhatsApp account. */
  isOnWhatsApp(phoneNumber: string): Promise<boolean>;
  /** The media of a message, from the `mediaRef` the engine gave it. Needs a ready session. */
  downloadMedia(mediaRef: string): Promise<{ stream: Readable; mimetype: string | null }>;
}

/** Why an engine call failed, so the sender can tell a retry from a lost cause. */
export class EngineError extends Error {
  constructor(
    message: string,
    /** Worth retrying later (offline, timeout); false for a refused message (blocked, invalid). */
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/**
 * Credentials an engine keeps between runs: key/value entries of text the engine serializes
 * itself, stored encrypted by us.
 */
export interface CredentialStore {
  get(keys: string[]): Promise<Map<string, string>>;
  /** Writes all entries in one transaction; `null` deletes. */
  set(entries: Record<string, string | null>): Promise<void>;
  clear(): Promise<void>;
  /** Whether any credentials exist (a session that can resume without a QR). */
  exists(): Promise<boolean>;
}

export interface EngineContext {
  sessionId: string;
  companyId: string;
  credentials: CredentialStore;
  emit(event: EngineEvent): void;
  /**
   * Emits like `emit` and resolves once the service handled the event: true when it is stored,
   * false when it was given up. For what must be stored before WhatsApp is told it arrived.
   */
  emitAndWait(event: EngineEvent): Promise<boolean>;
  /** The text of a message this session sent, for WhatsApp's requests to send it again. */
  sentText(waMessageId: string): Promise<string | null>;
}

export type EngineFactory = (context: EngineContext) => WhatsAppEngine;
