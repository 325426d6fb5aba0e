import { type BaileysEventMap, type WAMessage, WAMessageStatus, type WAMessageUpdate } from 'baileys';

import type { EngineEvent, EngineMessage } from '../engine.js';
import type { BaileysAuth } from './baileys-auth-store.js';
import { createHistoryProgress, createPushNames, mapContacts, mapHistoryChats } from './baileys-history.js';
import { createLidMapping } from './baileys-lid-mapping.js';
import {
  mapMessages,
  mapReceipts,
  mapRefusals,
  mapStatusUpdates,
  toContractChatId,
} from './baileys-mapper.js';
import { withMediaRefs } from './baileys-media.js';

const userOf = (jid: string) => jid.replace(/[:@].*$/, '');

/**
 * A receipt or a refusal that reaches Baileys before it flushed its event buffer (within about
 * 100 ms of the send) is folded into the echo of our own message, which then carries the status
 * and no update follows: take it from the echo, or the message stays `sent` for good.
 */
const foldedIntoEchoes = (messages: WAMessage[]): WAMessageUpdate[] =>
  messages
    .filter(
      (m) =>
        m.key.fromMe &&
        (m.status === WAMessageStatus.ERROR || (m.status ?? 0) >= WAMessageStatus.DELIVERY_ACK),
    )
    .map((m) => ({
      key: m.key,
      update: { status: m.status, messageStubParameters: m.messageStubParameters as unknown[] | null },
    }));

export interface InboundDeps {
  emit: (event: EngineEvent) => void;
  /** Emits and resolves once the service stored the event (true) or gave it up (false). */
  emitAndWait: (event: EngineEvent) => Promise<boolean>;
  /** The linked account's own ids, as the current socket knows them. */
  own: () => { ownPhone: string | null; ownLid: string | null };
  auth: () => BaileysAuth | null;
}

/**
 * What WhatsApp tells a linked device, as port events: live messages, the history sync, delivery
 * statuses and receipts, and which hidden id is which phone.
 */
export function createInbound(deps: InboundDeps) {
  const { emit, own } = deps;
  const progress = createHistoryProgress();
  const pushNames = createPushNames();
  const lidMapping = createLidMapping(deps.auth);

  /**
   * Ids WhatsApp gave only as hidden ids get their phone ids from the mapping Baileys has persisted
   * (offline: read from our store, no network): a direct chat's, so the service files it under one
   * chat, and a group sender's, so the message shows who wrote it.
   */
  const withKnownPhones = async (messages: EngineMessage[]): Promise<EngineMessage[]> => {
    const hiddenChat = (m: EngineMessage) => m.chatWaId.endsWith('@lid') && !m.chatAltWaId;
    const hiddenSender = (m: EngineMessage) =>
      m.isGroup && !m.sender.phoneNumber && Boolean(m.sender.waId?.endsWith('@lid'));
    const lidUsers = new Set<string>();
    for (const m of messages) {
      if (hiddenChat(m)) {
        lidUsers.add(userOf(m.chatWaId));
      }
      if (hiddenSender(m)) {
        lidUsers.add(userOf(m.sender.waId!));
      }
    }
    const phones = await lidMapping.phonesOf([...lidUsers]);
    if (phones.size === 0) {
      return messages;
    }
    return messages.map((m) => {
      const chatPhone = hiddenChat(m) ? phones.get(userOf(m.chatWaId)) : undefined;
      const senderPhone = hiddenSender(m) ? phones.get(userOf(m.sender.waId!)) : undefined;
      return {
        ...m,
        ...(chatPhone ? { chatAltWaId: `${chatPhone}@c.us` } : {}),
        ...(senderPhone
          ? { sender: { ...m.sender, waId: `${senderPhone}@c.us`, phoneNumber: senderPhone } }
          : {}),
      };
    });
  };

  const emitMessages = async (raw: WAMessage[], source: 'live' | 'history') => {
    const mapped = mapMessages(raw, { source, ...own() });
    if (mapped.messages.length > 0) {
      const named = source === 'history' ? pushNames.fill(mapped.messages) : mapped.messages;
      const messages = withMediaRefs(await withKnownPhones(named), raw);
      emit({ type: 'messages', source, messages });
    }
    if (mapped.changes.length > 0) {
      emit({ type: 'message_changes', changes: mapped.changes });
    }
    for (const pair of mapped.identities) {
      emit({ type: 'identity', ...pair });
    }
  };

  const emitIdentity = (lid: string, pn: string) => {
    const hidden = toContractChatId(lid);
    const phone = toContractChatId(pn);
    if (hidden && phone) {
      emit({ type: 'identity', lid: hidden, phoneWaId: phone });
    }
  };

  /**
   * One batch of the history sync: who is who, its messages, what the phone shows of its chats and
   * people, then how far the sync is.
   */
  const onHistory = async (history: BaileysEventMap['messaging-history.set']) => {
    const contacts = mapContacts(history.contacts);
    for (const mapping of history.lidPnMappings ?? []) {
      emitIdentity(mapping.lid, mapping.pn);
    }
    for (const contact of contacts) {
      if (contact.altWaId) {
        const hiddenFirst = contact.waId.endsWith('@lid');
        emitIdentity(
          hiddenFirst ? contact.waId : contact.altWaId,
          hiddenFirst ? contact.altWaId : contact.waId,
        );
      }
    }
    pushNames.learn(contacts);
    await emitMessages(history.messages, 'history');
    const chats = mapHistoryChats(history.chats);
    if (chats.length > 0) {
      emit({ type: 'chats', chats });
    }
    const named = contacts.filter((c) => c.name || c.pushName);
    if (named.length > 0) {
      emit({ type: 'contacts', contacts: named });
    }
    emit({
      type: 'history_progress',
      progress: progress.of(history),
      chats: history.chats.length,
      messages: history.messages.length,
    });
  };

  /**
   * Messages stored before their receipt, by WhatsApp id, until Baileys' own upsert of them comes
   * by: that upsert is then not handled a second time (bounded, oldest forgotten first).
   */
  const storedEarly = new Set<string>();
  const STORED_EARLY_MAX = 10_000;

  /**
   * A message just decrypted, before Baileys sends its delivery receipt: stored now, so WhatsApp
   * is never told a message arrived that a crash then loses. False when it could not be stored
   * (the receipt must not go).
   */
  const storeBeforeReceipt = async (raw: WAMessage): Promise<boolean> => {
    const mapped = mapMessages([raw], { source: 'live', ...own() });
    let stored = true;
    if (mapped.messages.length > 0) {
      const messages = withMediaRefs(await withKnownPhones(mapped.messages), [raw]);
      stored = await deps.emitAndWait({ type: 'messages', source: 'live', messages });
    }
    if (stored && mapped.changes.length > 0) {
      stored = await deps.emitAndWait({ type: 'message_changes', changes: mapped.changes });
    }
    if (stored) {
      for (const pair of mapped.identities) {
        emit({ type: 'identity', ...pair });
      }
      if (raw.key.id) {
        storedEarly.add(raw.key.id);
        if (storedEarly.size > STORED_EARLY_MAX) {
          storedEarly.delete(storedEarly.values().next().value!);
        }
      }
    }
    return stored;
  };

  /** What Baileys upserts live, less what was stored before its receipt. */
  const notStoredYet = (messages: WAMessage[]) =>
    messages.filter((m) => !(m.key.id && storedEarly.delete(m.key.id)));

  /** The message events of one batch, in the order the port reports them. */
  const onEvents = async (events: Partial<BaileysEventMap>) => {
    const upsert = events['messages.upsert'];
    if (upsert) {
      await emitMessages(notStoredYet(upsert.messages), 'live');
    }
    const history = events['messaging-history.set'];
    if (history) {
      await onHistory(history);
    }
    const updates = [...foldedIntoEchoes(upsert?.messages ?? []), ...(events['messages.update'] ?? [])];
    const statuses = [
      ...mapStatusUpdates(updates),
      ...mapReceipts(events['message-receipt.update'] ?? [], own()),
    ];
    if (statuses.length > 0) {
      emit({ type: 'message_status', updates: statuses });
    }
    const failures = mapRefusals(updates);
    if (failures.length > 0) {
      emit({ type: 'message_failed', failures });
    }
    // WhatsApp stopped sending history without saying it was done: the import is over.
    const finished = events['messaging-history.status']?.status === 'paused' ? progress.finish() : null;
    if (finished !== null) {
      emit({ type: 'history_progress', progress: finished, chats: 0, messages: 0 });
    }
    const mapping = events['lid-mapping.update'];
    if (mapping) {
      emitIdentity(mapping.lid, mapping.pn);
    }
  };

  return { onEvents, storeBeforeReceipt };
}
