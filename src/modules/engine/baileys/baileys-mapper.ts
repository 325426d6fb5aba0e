import {
  extractMessageContent,
  type MessageUserReceiptUpdate,
  proto,
  type WAMessage,
  WAMessageStatus,
  WAMessageStubType,
  type WAMessageUpdate,
} from 'baileys';

import type { DeliveryStatus, EngineEvent, EngineMessage, MessageChange, MessageFailure } from '../engine.js';
import {
  isOwn,
  locate,
  NO_OWN,
  type Own,
  ownOf,
  personOf,
  readJid,
  waIdOf,
  type Where,
} from './baileys-address.js';
import {
  quotedIdOf,
  readContent,
  type Reading,
  SILENT,
  systemStub,
  text,
  toNumberOrNull,
} from './baileys-content.js';

/**
 * Pure translation of Baileys payloads (`messages.upsert`, `messaging-history.set`,
 * `messages.update`, `message-receipt.update`) into the engine port's types. No I/O, no socket:
 * everything the mapping needs is in the payload or in the context. Baileys types end here.
 *
 * Decisions, so that readers need not rediscover them:
 * - Chat ids are in contract form. A direct chat is keyed by the phone form when the key carries
 *   it (`remoteJid` or its v7 alternate `remoteJidAlt`), else by the hidden `…@lid`; when both are
 *   known the other form goes to `chatAltWaId` and the pair to `identities`. Group senders are
 *   resolved the same way from `participant` / `participantAlt`.
 * - An alternate that is the account's own id is never used. On messages we sent from the phone,
 *   `remoteJidAlt` is the stanza's *sender* alternate (see Baileys' `decodeMessageNode`), which
 *   may be our own id rather than the recipient's; such an alternate is used only when the
 *   account's own id of that form is known (`ownPhone` / `ownLid`) and differs from it.
 * - Messages sent from the phone (`key.fromMe`): sender is the own account when `ownPhone` is
 *   given (else the group `participant` when present, else `ownLid`, else null ids); the name is
 *   the message's `pushName`. Status is what the payload says, 'sent' when it says nothing more.
 * - Reactions are messages of type 'reaction' with their own waMessageId; an empty reaction text
 *   means "reaction removed" and is kept as a reaction with `body: null` and `media.emoji: null`,
 *   so that "the newest reaction of a sender on a message wins" stays true for a reader.
 * - Edits and revokes become `changes`. When Baileys' event buffer has already folded an edit
 *   into a buffered message (`message.editedMessage` without a protocol message), the message is
 *   still reported with the edited content together with the change, so the change has a row to
 *   apply to. A revoke folded into a live message replaces the message's key with the revoke's
 *   own, so the original's id is lost: such a message produces nothing (the revoke reached the
 *   service as a protocol message before its receipt). In history, a REVOKE stub keeps its own id
 *   and is reported as an 'unknown' placeholder with the revoke. The adapter must hand `messages`
 *   to the ingest before `changes`.
 * - Stubs kept as type 'system' with a readable body: group created / renamed / description
 *   changed, participants added / removed / left / joined by link / promoted / demoted, missed
 *   calls. Every other stub is dropped, notably CIPHERTEXT (Baileys retries and the real message
 *   arrives later under the same id, which a stored placeholder would block: the ingest skips ids
 *   it already has) and E2E/security notices.
 * - Produce nothing: protocol messages other than edit/revoke (history sync notifications,
 *   app-state key shares, ephemeral settings…), sender-key-only and context-only messages, poll
 *   votes, encrypted reactions/event responses/comments, keep/pin-in-chat, group call offers.
 *   Identities are only reported for messages that produce something.
 * - Dropped entirely: `status@broadcast`, newsletters, our own broadcast-list sends, ids that
 *   `parseWaAddress` cannot read, keys without an id, messages without a timestamp.
 * - Other content (polls, events, group invites, products…) is type 'unknown' with body null.
 * - `source` does not change the mapping today; history keys simply never carry alternates.
 */

export interface MapContext {
  source: 'live' | 'history';
  /** The linked account's phone, as digits or a jid (`sock.user.id`). */
  ownPhone?: string | null;
  /** The linked account's hidden id (`sock.user.lid`). */
  ownLid?: string | null;
}

export type IdentityPair = Omit<Extract<EngineEvent, { type: 'identity' }>, 'type'>;
export type StatusUpdate = Extract<EngineEvent, { type: 'message_status' }>['updates'][number];

export interface MappedMessages {
  messages: EngineMessage[];
  changes: MessageChange[];
  identities: IdentityPair[];
}

/** A WhatsApp jid (any server, with or without device) in contract form, or null. */
export function toContractChatId(jid: string | null | undefined): string | null {
  const address = readJid(jid);
  if (!address) {
    return null;
  }
  return address.kind === 'lid' ? address.lid : address.waChatId;
}

export function mapMessages(raw: WAMessage[], context: MapContext): MappedMessages {
  const own = ownOf(context);
  const result: MappedMessages = { messages: [], changes: [], identities: [] };
  const pairs = new Set<string>();

  for (const message of raw) {
    const mapped = mapOne(message, own, context.source);
    if (!mapped) {
      continue;
    }
    result.messages.push(...mapped.messages);
    result.changes.push(...mapped.changes);
    for (const person of [mapped.where.peer, mapped.where.author]) {
      if (person?.phone && person.lid && !pairs.has(`${person.lid} ${person.phone.waChatId}`)) {
        pairs.add(`${person.lid} ${person.phone.waChatId}`);
        result.identities.push({ lid: person.lid, phoneWaId: person.phone.waChatId });
      }
    }
  }
  return result;
}

/** `messages.update`: delivery reports of direct chats; one per message, the furthest in the batch. */
export function mapStatusUpdates(updates: WAMessageUpdate[]): StatusUpdate[] {
  const furthest = new Furthest();
  for (const { key, update } of updates) {
    const status = deliveryStatusOf(update.status);
    const where = key.id && status ? locate(key, key.participant, NO_OWN) : null;
    if (where && key.id && status) {
      furthest.add({ waMessageId: key.id, chatWaId: where.chatWaId, status });
    }
  }
  return furthest.list();
}

/** WhatsApp's refusals of a send (the error of its ack), in words for the person who sent it. */
export function refusalReason(code: string | undefined): string {
  switch (code) {
    case '463':
      return (
        'WhatsApp did not deliver this message: the number is not allowed to start new chats ' +
        'right now (WhatsApp limits messages to people who have not written first). Wait until ' +
        'the customer writes, then reply.'
      );
    case '479':
      return 'WhatsApp rejected this message because the recipient’s devices changed; send it again.';
    default:
      return code ? `WhatsApp refused this message (error ${code})` : 'WhatsApp refused this message';
  }
}

/** The error code Baileys puts first among a refused message's stub parameters. */
const codeOf = (parameters: unknown[] | null | undefined): string | undefined => {
  const first: unknown = parameters?.[0];
  return typeof first === 'string' ? first : undefined;
};

/** `messages.update` with status ERROR: our sends WhatsApp refused after taking them. */
export function mapRefusals(updates: WAMessageUpdate[]): MessageFailure[] {
  const failures: MessageFailure[] = [];
  for (const { key, update } of updates) {
    const where = key.fromMe && key.id ? locate(key, key.participant, NO_OWN) : null;
    if (where && key.id && update.status === WAMessageStatus.ERROR) {
      failures.push({
        waMessageId: key.id,
        chatWaId: where.chatWaId,
        reason: refusalReason(codeOf(update.messageStubParameters as unknown[] | null | undefined)),
      });
    }
  }
  return failures;
}

/**
 * `message-receipt.update`: per-participant receipts of group messages; one report per message,
 * the furthest any participant reached (so 'read' means "read by someone"). Receipts from the
 * account itself are skipped: Baileys reports our other devices' `sender` receipts as
 * `readTimestamp`, which is not a read by anyone. Pass the own ids for that filter to work.
 */
export function mapReceipts(
  updates: MessageUserReceiptUpdate[],
  own: Omit<MapContext, 'source'> = {},
): StatusUpdate[] {
  const self = ownOf(own);
  const furthest = new Furthest();
  for (const { key, receipt } of updates) {
    const reader = personOf(readJid(receipt.userJid));
    if (!key.id || (reader && isOwn(reader, self))) {
      continue;
    }
    const status: DeliveryStatus | null =
      toNumberOrNull(receipt.playedTimestamp) !== null
        ? 'played'
        : toNumberOrNull(receipt.readTimestamp) !== null
          ? 'read'
          : toNumberOrNull(receipt.receiptTimestamp) !== null
            ? 'delivered'
            : null;
    const where = status ? locate(key, key.participant, NO_OWN) : null;
    if (where && status) {
      furthest.add({ waMessageId: key.id, chatWaId: where.chatWaId, status });
    }
  }
  return furthest.list();
}

// ---------------------------------------------------------------------------------------------
// Messages

function mapOne(
  message: WAMessage,
  own: Own,
  source: MapContext['source'],
): { where: Where; messages: EngineMessage[]; changes: MessageChange[] } | null {
  const { key } = message;
  const waMessageId = key.id;
  const where = waMessageId ? locate(key, key.participant ?? message.participant, own) : null;
  const seconds = toNumberOrNull(message.messageTimestamp);
  if (!waMessageId || !where || !seconds) {
    return null;
  }
  const timestamp = new Date(seconds * 1000);
  const fromMe = key.fromMe === true;
  const name = text(message.pushName);
  const senderPerson = fromMe
    ? own.phone
      ? { phone: own.phone, lid: own.lid }
      : (where.author ?? (own.lid ? { phone: null, lid: own.lid } : null))
    : where.isGroup
      ? where.author
      : where.peer;
  const sender = {
    waId: senderPerson ? waIdOf(senderPerson) : null,
    phoneNumber: senderPerson?.phone?.phoneNumber ?? null,
    name,
  };
  const build = (reading: Reading, quoted: string | null, chatName: string | null): EngineMessage => ({
    waMessageId,
    chatWaId: where.chatWaId,
    chatAltWaId: where.chatAltWaId,
    fromMe,
    type: reading.type,
    body: reading.body,
    timestamp,
    sender,
    chatName,
    isGroup: where.isGroup,
    quotedWaMessageId: quoted,
    media: reading.media,
    status: fromMe ? (deliveryStatusOf(message.status) ?? 'sent') : null,
  });
  const defaultChatName = where.isGroup || fromMe ? null : name;

  if (
    message.messageStubType === WAMessageStubType.REVOKE ||
    message.messageStubType === WAMessageStubType.ADMIN_REVOKE
  ) {
    if (source === 'live') {
      // Live, this is a message Baileys' buffer folded its deletion into, and the folding gave it
      // the deletion's own key: the original's id is gone. The deletion itself reached the
      // service as a protocol message before its receipt, and was applied there.
      return null;
    }
    return {
      where,
      messages: [build({ type: 'unknown', body: null, media: null }, null, defaultChatName)],
      changes: [{ kind: 'revoke', waMessageId, chatWaId: where.chatWaId, at: timestamp }],
    };
  }

  const content = extractMessageContent(message.message);
  const protocol = content?.protocolMessage;
  if (protocol) {
    const change = protocolChange(protocol, where.chatWaId, timestamp);
    return change ? { where, messages: [], changes: [change] } : null;
  }

  const reading = content ? readContent(content) : null;
  if (reading === SILENT) {
    return null;
  }
  if (reading && content) {
    const changes: MessageChange[] = [];
    if (message.message?.editedMessage && reading.body !== null) {
      // An edit Baileys folded into a still-buffered message: the content is already the new one.
      changes.push({
        kind: 'edit',
        waMessageId,
        chatWaId: where.chatWaId,
        body: reading.body,
        editedAt: timestamp,
      });
    }
    return { where, messages: [build(reading, quotedIdOf(content), defaultChatName)], changes };
  }

  const stub = systemStub(message, sender);
  return stub
    ? {
        where,
        messages: [
          build({ type: 'system', body: stub.body, media: null }, null, stub.chatName ?? defaultChatName),
        ],
        changes: [],
      }
    : null;
}

function protocolChange(
  protocol: proto.Message.IProtocolMessage,
  chatWaId: string,
  at: Date,
): MessageChange | null {
  const target = protocol.key?.id;
  if (!target) {
    return null;
  }
  if (protocol.type === proto.Message.ProtocolMessage.Type.REVOKE) {
    return { kind: 'revoke', waMessageId: target, chatWaId, at };
  }
  if (protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) {
    const edited = extractMessageContent(protocol.editedMessage);
    const reading = edited ? readContent(edited) : null;
    const editedMs = toNumberOrNull(protocol.timestampMs);
    if (reading && reading !== SILENT && reading.body !== null) {
      return {
        kind: 'edit',
        waMessageId: target,
        chatWaId,
        body: reading.body,
        editedAt: editedMs ? new Date(editedMs) : at,
      };
    }
  }
  return null;
}
// ---------------------------------------------------------------------------------------------
// Values

const STATUS_RANK: Record<DeliveryStatus, number> = { sent: 1, delivered: 2, read: 3, played: 4 };

function deliveryStatusOf(status: unknown): DeliveryStatus | null {
  switch (status) {
    case WAMessageStatus.SERVER_ACK:
      return 'sent';
    case WAMessageStatus.DELIVERY_ACK:
      return 'delivered';
    case WAMessageStatus.READ:
      return 'read';
    case WAMessageStatus.PLAYED:
      return 'played';
    default:
      return null; // ERROR, PENDING, or nothing
  }
}

/** Keeps one report per message, the furthest, in order of first appearance. */
class Furthest {
  private readonly byId = new Map<string, StatusUpdate>();

  add(update: StatusUpdate): void {
    const known = this.byId.get(update.waMessageId);
    if (!known || STATUS_RANK[update.status] > STATUS_RANK[known.status]) {
      this.byId.set(update.waMessageId, update);
    }
  }

  list(): StatusUpdate[] {
    return [...this.byId.values()];
  }
}
