import type { BaileysEventMap, Chat, Contact } from 'baileys';

import type { EngineChat, EngineContact, EngineMessage } from '../engine.js';
import { readJid } from './baileys-address.js';
import { text, toNumberOrNull } from './baileys-content.js';
import { toContractChatId } from './baileys-mapper.js';

/**
 * The history sync (`messaging-history.set`) besides its messages, as port types: the phone's chats
 * (names, unread counts, archive, pin), the people it knows (saved names, push names, both ids) and
 * how far the sync is. Pure, except for the two small memories a sync needs (`createHistoryProgress`,
 * `createPushNames`).
 *
 * - A chat's name is what the phone shows: the contact's saved name (`displayName`, else `name`), or
 *   a group's subject (`name`). Its unread count is the phone's `unreadCount`, at least 1 when it is
 *   `markedAsUnread`; `asOf` is the newest activity the phone knew of (the conversation's timestamp,
 *   its last received or its newest message), so that what arrived since can be added to it.
 * - A chat the phone says nothing about (no name, count, archive or pin) is left out.
 * - People come from the chunk's contacts: `name` (saved), `notify` (push name; PUSH_NAME chunks)
 *   or `verifiedName`, with the other id from `lid` / `phoneNumber`. Groups are chats, not people.
 */

export type HistorySet = BaileysEventMap['messaging-history.set'];

/** The alternate form of an id (hidden id ↔ phone id), when it is the other form. */
function altOf(primary: string | null | undefined, candidates: (string | null | undefined)[]): string | null {
  const kind = readJid(primary)?.kind;
  for (const candidate of candidates) {
    const address = readJid(candidate);
    if (address && address.kind !== 'group' && address.kind !== kind) {
      return toContractChatId(candidate);
    }
  }
  return null;
}

const seconds = (value: unknown): number => toNumberOrNull(value) ?? 0;

export function mapHistoryChats(chats: Chat[]): EngineChat[] {
  const result: EngineChat[] = [];
  for (const chat of chats) {
    const address = readJid(chat.id);
    const chatWaId = toContractChatId(chat.id);
    if (!address || !chatWaId) {
      continue;
    }
    const isGroup = address.kind === 'group';
    const name = isGroup
      ? (text(chat.name) ?? text(chat.displayName))
      : (text(chat.displayName) ?? text(chat.name));
    const marked = chat.markedAsUnread === true ? 1 : 0;
    const unreadCount =
      chat.unreadCount === null || chat.unreadCount === undefined
        ? chat.markedAsUnread === null || chat.markedAsUnread === undefined
          ? null
          : marked
        : Math.max(chat.unreadCount, marked);
    const archived = typeof chat.archived === 'boolean' ? chat.archived : null;
    const pinned = chat.pinned === null || chat.pinned === undefined ? null : seconds(chat.pinned) > 0;
    if (name === null && unreadCount === null && archived === null && pinned === null) {
      continue;
    }
    const newest = Math.max(
      seconds(chat.conversationTimestamp),
      seconds(chat.lastMessageRecvTimestamp),
      ...(chat.messages ?? []).map((m) => seconds(m.message?.messageTimestamp)),
    );
    result.push({
      chatWaId,
      chatAltWaId: isGroup ? null : altOf(chat.id, [chat.pnJid, chat.lidJid]),
      isGroup,
      name,
      unreadCount,
      archived,
      pinned,
      asOf: newest > 0 ? new Date(newest * 1000) : null,
    });
  }
  return result;
}

export function mapContacts(contacts: Contact[]): EngineContact[] {
  const result: EngineContact[] = [];
  for (const contact of contacts) {
    const address = readJid(contact.id);
    const waId = toContractChatId(contact.id);
    if (!address || address.kind === 'group' || !waId) {
      continue;
    }
    result.push({
      waId,
      altWaId: altOf(contact.id, [contact.lid, contact.phoneNumber]),
      name: text(contact.name),
      pushName: text(contact.notify) ?? text(contact.verifiedName),
    });
  }
  return result;
}

/**
 * The progress a person watching the import should see: it only moves forward within a sync (a
 * chunk that says nothing keeps the last value), reaches 100 with the chunk that says so or when
 * WhatsApp stops sending (Baileys' `messaging-history.status` "paused"), and starts again from 0
 * only for a new sync (`isLatest`, the first history of a new login) after a finished one.
 */
export function createHistoryProgress() {
  let last = 0;
  return {
    /** The progress to report with this history batch. */
    of(history: Pick<HistorySet, 'progress' | 'isLatest'>): number {
      if (history.isLatest && last === 100) {
        last = 0;
      }
      const said = toNumberOrNull(history.progress);
      if (said !== null) {
        last = Math.max(last, Math.min(100, Math.max(0, Math.round(said))));
      }
      return last;
    },
    /** The sync is over: 100, or null when 100 was reported already. */
    finish(): number | null {
      if (last === 100) {
        return null;
      }
      last = 100;
      return last;
    },
  };
}

/**
 * Push names learned from the history (PUSH_NAME chunks come apart from the messages), for history
 * messages that arrive without their sender's name.
 */
export function createPushNames() {
  const names = new Map<string, string>();
  return {
    learn(contacts: EngineContact[]): void {
      for (const contact of contacts) {
        if (contact.pushName) {
          names.set(contact.waId, contact.pushName);
          if (contact.altWaId) {
            names.set(contact.altWaId, contact.pushName);
          }
        }
      }
    },
    fill(messages: EngineMessage[]): EngineMessage[] {
      return messages.map((m) => {
        const name = !m.fromMe && !m.sender.name && m.sender.waId ? names.get(m.sender.waId) : undefined;
        return name ? { ...m, sender: { ...m.sender, name } } : m;
      });
    },
  };
}
