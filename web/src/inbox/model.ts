/**
 * The inbox's data rules, free of React: ordering, status merging, display names and filters.
 * Everything here is a pure function of API objects.
 */
import type { ApiError, Chat, Message } from '../api/client';
import { formatPhone } from '../shared/phone';

export type MessageStatus = Message['status'];

/** A message in the thread: a server row, or one being sent (`localKey`, until the server answers). */
export type ThreadMessage = Message & {
  /** The Idempotency-Key of a message this console is sending; set until the server's row replaces it. */
  localKey?: string;
  /** Why the last attempt to hand it to the server failed (it may be retried with the same key). */
  submitError?: ApiError | null;
};

// --- Delivery status ----------------------------------------------------------------------------

const STATUS_RANK: Record<MessageStatus, number> = {
  pending: 0,
  received: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  played: 4,
  failed: -1,
};

/**
 * The status to show when `next` arrives for a message that shows `current`. Events and HTTP answers
 * can cross (a `read` report may come before the send's answer), so a status never goes back; a
 * failure counts only before delivery, and a later success overrides a failure.
 */
export function mergeStatus(current: MessageStatus, next: MessageStatus): MessageStatus {
  if (next === 'failed') {
    return STATUS_RANK[current] <= STATUS_RANK.sent ? 'failed' : current;
  }
  if (current === 'failed') {
    return next;
  }
  return STATUS_RANK[next] >= STATUS_RANK[current] ? next : current;
}

// --- Ordering -----------------------------------------------------------------------------------------

/** The chat list's sort key: the last message's time, else the chat's last change. */
export function activityOf(chat: Chat): string {
  return chat.lastMessage?.timestamp ?? chat.updatedAt;
}

/** Newest activity first, as the API lists them. */
export function sortChats(chats: Chat[]): Chat[] {
  return [...chats].sort((a, b) => compare(activityOf(b), activityOf(a)) || compare(b.id, a.id));
}

/** Oldest first, the thread's reading order; messages being sent go last. */
export function sortMessages(messages: ThreadMessage[]): ThreadMessage[] {
  return [...messages].sort(
    (a, b) =>
      Number(Boolean(a.localKey)) - Number(Boolean(b.localKey)) ||
      compare(a.timestamp, b.timestamp) ||
      compare(a.id, b.id),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Adds or replaces messages by id; a replaced message keeps the furthest status seen. */
export function upsertMessages(current: ThreadMessage[], incoming: ThreadMessage[]): ThreadMessage[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const message of incoming) {
    const existing = byId.get(message.id);
    byId.set(
      message.id,
      existing ? { ...existing, ...message, status: mergeStatus(existing.status, message.status) } : message,
    );
  }
  return sortMessages([...byId.values()]);
}

/**
 * Whether `row` (from the server) is the message `local` tried to send: a send whose answer was
 * lost may still have been stored, and its row then arrives as an event.
 */
export function isSameSend(local: ThreadMessage, row: Message, userId: string): boolean {
  const window = 10 * 60 * 1000;
  return (
    row.fromMe &&
    row.sentByUserId === userId &&
    row.body === local.body &&
    (row.quotedMessageId ?? null) === (local.quotedMessageId ?? null) &&
    Math.abs(Date.parse(row.timestamp) - Date.parse(local.timestamp)) < window
  );
}

/** A message whose hand-over failed on the way (no answer): the server may have stored it anyway. */
export function lostInTransit(message: ThreadMessage): boolean {
  return Boolean(message.localKey && message.submitError?.status === 0);
}

// --- Names and filters ----------------------------------------------------------------------------

/** What a chat is called: its name, else its number, else its WhatsApp id. */
export function chatTitle(chat: Pick<Chat, 'name' | 'phoneNumber' | 'waChatId'>): string {
  return chat.name?.trim() || formatPhone(chat.phoneNumber) || chat.waChatId;
}

/** Whether the chat is the one `ref` (an id or a phone number) names. */
export function isChat(chat: Chat, ref: string): boolean {
  return chat.id === ref || (chat.phoneNumber !== null && chat.phoneNumber === ref);
}

/** Whether a chat belongs in a list filtered like the API's (`archived`, `search` on name or number). */
export function matchesFilter(chat: Chat, archived: boolean, search: string): boolean {
  if (chat.archived !== archived) {
    return false;
  }
  const query = search.trim().toLowerCase();
  if (!query) {
    return true;
  }
  const digits = query.replace(/\D/g, '');
  return (
    (chat.name ?? '').toLowerCase().includes(query) ||
    (digits !== '' && (chat.phoneNumber ?? '').includes(digits)) ||
    chat.waChatId.toLowerCase().includes(query)
  );
}

/** Up to two letters for an avatar. */
export function initials(title: string): string {
  const words = title
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .split(/\s+/)
    .filter(Boolean);
  if (words.length === 0) {
    return '#';
  }
  const first = words[0]!;
  if (/^\d/.test(first)) {
    return first.slice(-2);
  }
  return ((words[0]?.[0] ?? '') + (words[1]?.[0] ?? '')).toUpperCase();
}

/** A stable hue per chat, so avatars are told apart at a glance. */
export function hueOf(id: string): number {
  let hash = 0;
  for (const char of id) {
    hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  }
  return hash % 360;
}

/**
 * A new Idempotency-Key. `crypto.randomUUID` exists only in secure contexts (https, localhost);
 * the console may be opened over plain http on a network address, where `getRandomValues` still is.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
