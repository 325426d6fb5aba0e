import type { EngineChat, EngineContact } from '../engine/engine.js';
import { parseWaAddress } from '../engine/wa-address.js';
import type { ChatState, ContactName } from './history-state.sql.js';

/**
 * What the engine reports about chats and people, in the forms the store keys them by: a chat's
 * ids, the phone's view of a chat (history sync), a person's names under each id.
 */

/** A chat's ids in stored form: the phone (or group) form when known, else the hidden id; the hidden id. */
export function chatIdsOf(ids: (string | null | undefined)[]) {
  let waChatId: string | null = null;
  let lid: string | null = null;
  let phoneNumber: string | null = null;
  for (const id of ids) {
    const address = id ? parseWaAddress(id) : null;
    if (address?.kind === 'lid') {
      lid ??= address.lid;
    } else if (address && !waChatId) {
      waChatId = address.waChatId;
      phoneNumber = address.kind === 'person' ? address.phoneNumber : null;
    }
  }
  return { waChatId: waChatId ?? lid, lid, phoneNumber };
}

/** PostgreSQL text cannot hold NUL. */
const noNul = (v: string | null | undefined) => (v ? v.replaceAll('\u0000', '') || null : null);

export function toChatState(chat: EngineChat): ChatState[] {
  const { waChatId, lid } = chatIdsOf([chat.chatWaId, chat.chatAltWaId]);
  if (!waChatId) {
    return [];
  }
  return [
    {
      waChatId,
      lid,
      name: noNul(chat.name),
      unreadCount: chat.unreadCount ?? null,
      archived: chat.archived ?? null,
      pinned: chat.pinned ?? null,
      asOf: chat.asOf ?? null,
    },
  ];
}

/** One row per id the person goes by, so that either finds their chat and their messages. */
export function toContactNames(contact: EngineContact): ContactName[] {
  const name = noNul(contact.name);
  const pushName = noNul(contact.pushName);
  if (!name && !pushName) {
    return [];
  }
  const { waChatId, lid } = chatIdsOf([contact.waId, contact.altWaId]);
  return [...new Set([waChatId, lid])].flatMap((waId) => (waId ? [{ waId, name, pushName }] : []));
}
