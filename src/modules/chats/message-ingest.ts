import type { FastifyBaseLogger } from 'fastify';

import type { Db, DbOrTx, Tx } from '../../db/client.js';
import { isConstraintViolation, isTransientDbError } from '../../db/errors.js';
import type { EventBus } from '../../events/event-bus.js';
import type { EngineMessage } from '../engine/engine.js';
import { parseWaAddress } from '../engine/wa-address.js';
import type { EngineHandlers, SessionRef } from '../sessions/session-supervisor.js';
import { chatIdsOf, toChatState, toContactNames } from './chat-rows.js';
import type { ChatIdentity } from './chats.repository.js';
import type { ChatRow } from './chats.table.js';
import type { IncomingRow, IngestRepository } from './ingest.repository.js';
import { emitMessageStatus } from './message-events.js';
import type { MessagesRepository, NewMessage } from './messages.repository.js';
import { toChatDto, toMessageDto } from './presenters.js';

/** The chat identity a message belongs to: the phone form when known, with the hidden id beside it. */
function identityOf(message: EngineMessage): ChatIdentity {
  const { waChatId, lid, phoneNumber } = chatIdsOf([message.chatWaId, message.chatAltWaId]);
  return {
    waChatId: waChatId ?? message.chatWaId,
    lid,
    phoneNumber,
    name: message.isGroup
      ? (message.chatName ?? null)
      : message.fromMe
        ? null
        : (message.chatName ?? message.sender.name),
    isGroup: message.isGroup,
  };
}

/**
 * Writes what engines report: message batches (live or history) with their chats' counters, one
 * statement per batch; status reports; edits and deletions; identity merges. Emits the domain
 * events after commit.
 */
export function createMessageIngest(deps: {
  db: Db;
  ingest: IngestRepository;
  messages: MessagesRepository;
  events: EventBus;
  log: FastifyBaseLogger;
}): Omit<EngineHandlers, 'ready'> {
  /**
   * Stores one batch in one statement and announces its new live messages after commit. A batch
   * whose hidden ids point at other chats (a remap or a merge) first reconciles them, in a transaction
   * with the statement.
   */
  const store = async (ref: SessionRef, source: 'live' | 'history', batch: EngineMessage[]) => {
    if (batch.length === 0) {
      return;
    }
    const { identities, chatKeyOf } = groupByChat(batch);
    const live = source === 'live';
    const write = (tx: DbOrTx, remap: Map<string, string>) =>
      deps.ingest.store(
        ref,
        [...identities.values()],
        batch.map((m) => {
          const key = chatKeyOf.get(m)!;
          return toIncomingRow(m, remap.get(key) ?? key);
        }),
        { countUnread: live, returnRows: live, keepNames: !live },
        tx,
      );
    /** The batch's hidden ids point at other chats: remap or merge those first, in one transaction. */
    const storeAfterReconciling = () =>
      deps.db.transaction(async (tx) => {
        const { remap, linked } = await reconcileIdentities(deps.ingest, tx, ref, identities);
        const result = await write(tx, remap);
        return { ...result, chats: [...linked, ...result.chats] };
      });
    /** The common case, one statement; null when the batch needs reconciling first. */
    const storeInOneStatement = async () => {
      if ((await lidsToReconcile(deps.ingest, ref, identities)) > 0) {
        return null;
      }
      try {
        return await write(deps.db, new Map());
      } catch (err) {
        // Another writer created one of the chats (or gave one a hidden id) since the statement's
        // snapshot: nothing was written, and the reconciling path reads them afresh.
        if (isConstraintViolation(err)) {
          return null;
        }
        throw err;
      }
    };
    const { stored, inserted, chats } = (await storeInOneStatement()) ?? (await storeAfterReconciling());
    const touched = new Map(chats.map((c) => [c.id, c]));

    deps.log.info(
      {
        companyId: ref.companyId,
        sessionId: ref.sessionId,
        source,
        received: batch.length,
        stored,
      },
      'messages saved',
    );
    if (source !== 'live') {
      return;
    }
    for (const row of inserted) {
      deps.log.debug({ sessionId: ref.sessionId, messageId: row.id, body: row.body }, 'message saved');
      const chat = touched.get(row.chatId);
      if (chat) {
        deps.events.emit('message.received', {
          ...ref,
          chat: toChatDto(chat),
          message: toMessageDto(row),
        });
      }
    }
  };

  return {
    async messages(ref: SessionRef, source, batch) {
      const clean = batch.map(withoutNul);
      try {
        await store(ref, source, clean);
      } catch (err) {
        // An unreachable database fails every message alike: the supervisor tries the batch again.
        if (clean.length <= 1 || isTransientDbError(err)) {
          throw err;
        }
        // One bad message must not take its batch with it: store them one by one.
        deps.log.error(
          { err, sessionId: ref.sessionId, size: clean.length },
          'batch not stored; storing one by one',
        );
        for (const message of clean) {
          try {
            await store(ref, source, [message]);
          } catch (single) {
            if (isTransientDbError(single)) {
              throw single; // those stored already are skipped as duplicates when the batch comes again
            }
            deps.log.error(
              { err: single, sessionId: ref.sessionId, waMessageId: message.waMessageId },
              'message not stored',
            );
          }
        }
      }
    },

    async statuses(ref, updates) {
      const changed = await deps.messages.applyStatuses(ref.sessionId, updates);
      for (const row of changed) {
        emitMessageStatus(deps.events, row);
      }
    },

    /** Sends WhatsApp refused after taking them: failed, with the reason, for whoever watches the chat. */
    async failures(ref, failures) {
      const changed = await deps.messages.applyFailures(ref.sessionId, failures);
      for (const row of changed) {
        emitMessageStatus(deps.events, row);
      }
    },

    /** Edits and "delete for everyone": the stored message changes, and so does the preview if it was the last. */
    async changes(ref, changes) {
      for (const change of changes) {
        const result = await deps.db.transaction(async (tx) => {
          const row = await deps.messages.applyChange(ref.sessionId, change, tx);
          return row ? { row, chat: await deps.ingest.refreshPreview(row, tx) } : null;
        });
        if (!result) {
          continue; // a change to a message from before the session was linked
        }
        deps.events.emit('message.updated', {
          ...ref,
          chatId: result.row.chatId,
          message: toMessageDto(result.row),
        });
        if (result.chat) {
          deps.events.emit('chat.updated', { ...ref, chat: toChatDto(result.chat) });
        }
      }
    },

    /**
     * The phone's names, unread counts, archive and pin of chats it sent the messages of (history):
     * stored quietly, like the history's messages; clients read the chats once the import is done.
     */
    async chats(ref, reported) {
      const states = reported.flatMap(toChatState);
      const changed = await deps.ingest.applyChatStates(ref, states);
      deps.log.info(
        { sessionId: ref.sessionId, received: reported.length, changed: changed.length },
        'chat details saved',
      );
    },

    /** People's names: their chats and their messages that have no sender name yet. */
    async contacts(ref, contacts) {
      const names = contacts.flatMap(toContactNames);
      const changed = await deps.ingest.applyContactNames(ref, names);
      deps.log.info(
        { sessionId: ref.sessionId, received: contacts.length, ...changed },
        'contact names saved',
      );
    },

    async identity(ref, lid, phoneWaId) {
      const merged = await deps.db.transaction((tx) => linkIdentity(deps.ingest, tx, ref, lid, phoneWaId));
      if (merged) {
        deps.log.info({ sessionId: ref.sessionId, chatId: merged.id }, 'chat identities merged');
        deps.events.emit('chat.updated', { ...ref, chat: toChatDto(merged) });
      }
    },
  };
}

/** See `IngestRepository.linkIdentity`; nothing to link unless the ids are a hidden id and a phone. */
function linkIdentity(
  ingest: IngestRepository,
  tx: Tx,
  ref: SessionRef,
  lid: string,
  phoneWaId: string,
): Promise<ChatRow | null> {
  const phone = parseWaAddress(phoneWaId);
  const hidden = parseWaAddress(lid);
  if (phone?.kind !== 'person' || hidden?.kind !== 'lid') {
    return Promise.resolve(null);
  }
  return ingest.linkIdentity(
    ref,
    hidden.lid,
    { waChatId: phone.waChatId, phoneNumber: phone.phoneNumber },
    tx,
  );
}

/** The chat key (WhatsApp id) of each existing chat that holds one of the batch's hidden ids. */
function chatsOfLids(
  ingest: IngestRepository,
  ref: SessionRef,
  identities: Map<string, ChatIdentity>,
  tx?: Tx,
): Promise<Map<string, string>> {
  const lids = [...new Set([...identities.values()].flatMap((i) => (i.lid ? [i.lid] : [])))];
  return ingest.chatsHoldingLids(ref, lids, tx);
}

/** The identities whose hidden id another chat already holds: they need a remap or a merge first. */
function needingReconcile(identities: Map<string, ChatIdentity>, chatOfLid: Map<string, string>) {
  return [...identities].filter(([key, identity]) => {
    const existing = identity.lid ? chatOfLid.get(identity.lid) : undefined;
    return existing !== undefined && existing !== key;
  });
}

/** How many of the batch's chats need reconciling (see `reconcileIdentities`); a read, no writes. */
async function lidsToReconcile(
  ingest: IngestRepository,
  ref: SessionRef,
  identities: Map<string, ChatIdentity>,
) {
  return needingReconcile(identities, await chatsOfLids(ingest, ref, identities)).length;
}

/**
 * Points a batch's chat identities at the chats that already exist for their hidden ids: a message
 * addressed by the hidden id joins the chat that knows it, and a message that brings both ids links
 * (or merges) the chats first. Returns the remapping of chat keys.
 */
async function reconcileIdentities(
  ingest: IngestRepository,
  tx: Tx,
  ref: SessionRef,
  identities: Map<string, ChatIdentity>,
): Promise<{ remap: Map<string, string>; linked: ChatRow[] }> {
  const remap = new Map<string, string>();
  const linked: ChatRow[] = [];
  const chatOfLid = await chatsOfLids(ingest, ref, identities, tx);
  for (const [key, identity] of needingReconcile(identities, chatOfLid)) {
    const existing = chatOfLid.get(identity.lid!)!;
    if (key === identity.lid) {
      // Only the hidden id is on this message: it belongs to the chat that already has it.
      remap.set(key, existing);
      identities.delete(key);
      const target = identities.get(existing);
      identities.set(existing, {
        ...identity,
        ...target,
        waChatId: existing,
        name: target?.name ?? identity.name,
      });
      continue;
    }
    const row = await linkIdentity(ingest, tx, ref, identity.lid!, key);
    if (row) {
      linked.push(row);
    }
  }
  return { remap, linked };
}

/** PostgreSQL text cannot hold NUL; a message carrying one is stored without it. */
function withoutNul(message: EngineMessage): EngineMessage {
  const strip = (v: string | null | undefined) => (v ? v.replaceAll('\u0000', '') : (v ?? null));
  return {
    ...message,
    body: strip(message.body),
    chatName: strip(message.chatName),
    sender: { ...message.sender, name: strip(message.sender.name) },
  };
}

/**
 * Each message's chat key, and one identity per chat. A message addressed only by a hidden id
 * joins the phone chat when another message of the same batch shows both ids.
 */
function groupByChat(batch: EngineMessage[]) {
  const perMessage = batch.map((message) => ({ message, identity: identityOf(message) }));
  const phoneOfLid = new Map<string, ChatIdentity>();
  for (const { identity } of perMessage) {
    if (identity.lid && identity.waChatId !== identity.lid) {
      phoneOfLid.set(identity.lid, identity);
    }
  }
  const identities = new Map<string, ChatIdentity>();
  const chatKeyOf = new Map<EngineMessage, string>();
  for (const { message, identity: own } of perMessage) {
    const linked = own.lid && own.waChatId === own.lid ? phoneOfLid.get(own.lid) : undefined;
    const identity = linked ? { ...own, waChatId: linked.waChatId, phoneNumber: linked.phoneNumber } : own;
    chatKeyOf.set(message, identity.waChatId);
    const known = identities.get(identity.waChatId);
    identities.set(identity.waChatId, {
      ...identity,
      lid: known?.lid ?? identity.lid,
      name: identity.name ?? known?.name ?? null,
    });
  }
  return { identities, chatKeyOf };
}

/** The stored row of an engine message in a given chat. */
export function toMessageRow(ref: SessionRef, chatId: string, m: EngineMessage): NewMessage {
  const { chatKey: _, ...row } = toIncomingRow(m, '');
  return { ...row, sessionId: ref.sessionId, companyId: ref.companyId, chatId };
}

/** The row to store for an engine message, addressed to its chat by the chat's WhatsApp id. */
function toIncomingRow(m: EngineMessage, chatKey: string): IncomingRow {
  return {
    chatKey,
    waMessageId: m.waMessageId,
    fromMe: m.fromMe,
    type: m.type,
    body: m.body,
    senderWaId: m.sender.waId,
    senderPhone: m.sender.phoneNumber,
    senderName: m.sender.name,
    timestamp: m.timestamp,
    status: m.fromMe ? (m.status ?? 'sent') : 'received',
    quotedWaMessageId: m.quotedWaMessageId ?? null,
    media: m.media ?? null,
    mediaRef: m.mediaRef ?? null,
  };
}
