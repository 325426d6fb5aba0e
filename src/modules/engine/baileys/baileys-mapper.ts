import {
  extractMessageContent,
  isJidBroadcast,
  isJidNewsletter,
  isJidStatusBroadcast,
  type MessageUserReceiptUpdate,
  proto,
  type WAMessage,
  type WAMessageKey,
  WAMessageStatus,
  WAMessageStubType,
  type WAMessageUpdate,
} from 'baileys';

import type {
  DeliveryStatus,
  EngineEvent,
  EngineMessage,
  MediaInfo,
  MessageChange,
  MessageType,
} from '../engine.js';
import { parseWaAddress, type WaAddress } from '../wa-address.js';

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
 * - Edits and revokes become `changes`. When Baileys' event buffer has already folded an edit or
 *   a revoke into a buffered message (`message.editedMessage` without a protocol message, or
 *   `messageStubType` REVOKE with no content), the message is still reported (with the edited
 *   content, or as an 'unknown' placeholder) together with the change, so the change has a row
 *   to apply to. The adapter must hand `messages` to the ingest before `changes`.
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
    const mapped = mapOne(message, own);
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
// Addresses

interface Person {
  phone: { waChatId: string; phoneNumber: string } | null;
  lid: string | null;
}

interface Own {
  phone: { waChatId: string; phoneNumber: string } | null;
  lid: string | null;
}

const NO_OWN: Own = { phone: null, lid: null };

/** Where a message belongs: the chat, and the person on the other side (direct) or the author (group). */
interface Where {
  chatWaId: string;
  chatAltWaId: string | null;
  isGroup: boolean;
  peer: Person | null;
  author: Person | null;
}

function readJid(jid: string | null | undefined): WaAddress | null {
  return jid?.includes('@') ? parseWaAddress(jid) : null;
}

function personOf(address: WaAddress | null): Person | null {
  if (address?.kind === 'person') {
    return { phone: { waChatId: address.waChatId, phoneNumber: address.phoneNumber }, lid: null };
  }
  return address?.kind === 'lid' ? { phone: null, lid: address.lid } : null;
}

function ownOf(context: { ownPhone?: string | null; ownLid?: string | null }): Own {
  const phone = personOf(context.ownPhone ? parseWaAddress(context.ownPhone) : null)?.phone ?? null;
  const lid = personOf(readJid(context.ownLid))?.lid ?? null;
  return { phone, lid };
}

function isOwn(person: Person, own: Own): boolean {
  return (
    (person.phone !== null && person.phone.phoneNumber === own.phone?.phoneNumber) ||
    (person.lid !== null && person.lid === own.lid)
  );
}

/** The primary id completed by its alternate, when that is the other form and may be trusted. */
function withAlt(primary: Person, alt: Person | null, trust: (alt: Person) => boolean): Person {
  if (!alt || !trust(alt)) {
    return primary;
  }
  if (!primary.phone && alt.phone) {
    return { phone: alt.phone, lid: primary.lid };
  }
  if (!primary.lid && alt.lid) {
    return { phone: primary.phone, lid: alt.lid };
  }
  return primary;
}

function waIdOf(person: Person): string {
  return person.phone?.waChatId ?? person.lid ?? '';
}

function direct(peer: Person): Where {
  return {
    chatWaId: waIdOf(peer),
    chatAltWaId: peer.phone && peer.lid ? peer.lid : null,
    isGroup: false,
    peer,
    author: null,
  };
}

function locate(key: WAMessageKey, participant: string | null | undefined, own: Own): Where | null {
  const remoteJid = key.remoteJid;
  if (!remoteJid || isJidStatusBroadcast(remoteJid) || isJidNewsletter(remoteJid)) {
    return null;
  }
  const fromMe = key.fromMe === true;
  if (isJidBroadcast(remoteJid)) {
    // A broadcast list reaches each recipient as a direct message from the sender (Baileys'
    // getChatId); what we sent to a list has no chat of its own.
    const sender = fromMe ? null : personOf(readJid(participant));
    if (!sender) {
      return null;
    }
    const alt = personOf(readJid(key.participantAlt ?? key.remoteJidAlt));
    return direct(withAlt(sender, alt, (a) => !isOwn(a, own)));
  }
  const address = readJid(remoteJid);
  if (address?.kind === 'group') {
    const sender = personOf(readJid(participant));
    const author = sender ? withAlt(sender, personOf(readJid(key.participantAlt)), () => true) : null;
    return { chatWaId: address.waChatId, chatAltWaId: null, isGroup: true, peer: null, author };
  }
  const primary = personOf(address);
  if (!primary) {
    return null;
  }
  const ownKnown = (a: Person) => (a.phone ? own.phone !== null : own.lid !== null);
  const alt = personOf(readJid(key.remoteJidAlt));
  return direct(withAlt(primary, alt, (a) => !isOwn(a, own) && (!fromMe || ownKnown(a))));
}

// ---------------------------------------------------------------------------------------------
// Messages

interface Reading {
  type: MessageType;
  body: string | null;
  media: MediaInfo | null;
}

const SILENT = 'silent';

/** Content that is bookkeeping between devices, not something anyone wrote. */
const SILENT_KEYS = new Set<keyof proto.IMessage>([
  'protocolMessage',
  'pollUpdateMessage',
  'encReactionMessage',
  'encEventResponseMessage',
  'encCommentMessage',
  'keepInChatMessage',
  'pinInChatMessage',
  'stickerSyncRmrMessage',
  'secretEncryptedMessage',
  'call',
]);

/** Keys that ride along with real content and say nothing by themselves. */
const CARRIER_KEYS = new Set<string>([
  'messageContextInfo',
  'senderKeyDistributionMessage',
  'fastRatchetKeySenderKeyDistributionMessage',
]);

function mapOne(
  message: WAMessage,
  own: Own,
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

function readContent(c: proto.IMessage): Reading | typeof SILENT | null {
  if (c.conversation != null) {
    return { type: 'text', body: text(c.conversation), media: null };
  }
  if (c.extendedTextMessage) {
    return { type: 'text', body: text(c.extendedTextMessage.text), media: null };
  }
  if (c.imageMessage) {
    const m = c.imageMessage;
    return {
      type: 'image',
      body: text(m.caption),
      media: compact({
        mimetype: m.mimetype,
        size: toNumberOrNull(m.fileLength),
        width: m.width,
        height: m.height,
      }),
    };
  }
  const video = c.videoMessage ?? c.ptvMessage;
  if (video) {
    return {
      type: 'video',
      body: text(video.caption),
      media: compact({
        mimetype: video.mimetype,
        size: toNumberOrNull(video.fileLength),
        duration: video.seconds,
        width: video.width,
        height: video.height,
      }),
    };
  }
  if (c.audioMessage) {
    const m = c.audioMessage;
    return {
      type: m.ptt ? 'voice' : 'audio',
      body: null,
      media: compact({ mimetype: m.mimetype, size: toNumberOrNull(m.fileLength), duration: m.seconds }),
    };
  }
  if (c.documentMessage) {
    const m = c.documentMessage;
    return {
      type: 'document',
      body: text(m.caption),
      media: compact({
        mimetype: m.mimetype,
        size: toNumberOrNull(m.fileLength),
        fileName: text(m.fileName) ?? text(m.title),
      }),
    };
  }
  if (c.stickerMessage) {
    const m = c.stickerMessage;
    return {
      type: 'sticker',
      body: null,
      media: compact({
        mimetype: m.mimetype,
        size: toNumberOrNull(m.fileLength),
        width: m.width,
        height: m.height,
      }),
    };
  }
  if (c.locationMessage) {
    const m = c.locationMessage;
    const label = [text(m.name), text(m.address)].filter(Boolean).join(', ');
    return location(label, m.degreesLatitude, m.degreesLongitude);
  }
  if (c.liveLocationMessage) {
    const m = c.liveLocationMessage;
    return location(text(m.caption) ?? 'Live location', m.degreesLatitude, m.degreesLongitude);
  }
  if (c.contactMessage) {
    const m = c.contactMessage;
    return { type: 'contact', body: text(m.displayName), media: compact({ vcard: text(m.vcard) }) };
  }
  if (c.contactsArrayMessage) {
    const contacts = c.contactsArrayMessage.contacts ?? [];
    const names = contacts.map((contact) => text(contact.displayName)).filter((n): n is string => n !== null);
    const vcards = contacts.map((contact) => text(contact.vcard)?.trimEnd()).filter((v): v is string => !!v);
    return {
      type: 'contact',
      body: names.length > 0 ? names.join(', ') : text(c.contactsArrayMessage.displayName),
      media: compact({ vcard: vcards.length > 0 ? vcards.join('\n') : null }),
    };
  }
  if (c.reactionMessage) {
    const target = c.reactionMessage.key?.id;
    const emoji = text(c.reactionMessage.text);
    return target ? { type: 'reaction', body: emoji, media: { emoji, targetWaMessageId: target } } : SILENT;
  }
  // A tapped button or list row of a business message reads as what the person tapped.
  const tapped =
    c.buttonsResponseMessage?.selectedDisplayText ??
    c.templateButtonReplyMessage?.selectedDisplayText ??
    c.listResponseMessage?.title ??
    c.interactiveResponseMessage?.body?.text;
  if (tapped != null) {
    return { type: 'text', body: text(tapped), media: null };
  }
  const keys = Object.keys(c).filter(
    (k) => c[k as keyof proto.IMessage] != null && !CARRIER_KEYS.has(k) && !k.startsWith('$'),
  );
  if (keys.some((k) => SILENT_KEYS.has(k as keyof proto.IMessage))) {
    return SILENT;
  }
  return keys.length > 0 ? { type: 'unknown', body: null, media: null } : null;
}

function location(label: string, latitude?: number | null, longitude?: number | null): Reading {
  const known = typeof latitude === 'number' && typeof longitude === 'number';
  const coordinates = known ? `${round(latitude)}, ${round(longitude)}` : '';
  const body = label && coordinates ? `${label} (${coordinates})` : label || coordinates || null;
  return {
    type: 'location',
    body,
    media: known ? { latitude, longitude } : null,
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** The replied-to message: `contextInfo.stanzaId` of whichever content the message carries. */
function quotedIdOf(content: proto.IMessage): string | null {
  for (const value of Object.values(content) as unknown[]) {
    if (typeof value === 'object' && value !== null && 'contextInfo' in value) {
      const info = (value as { contextInfo?: proto.IContextInfo | null }).contextInfo;
      if (info?.stanzaId) {
        return info.stanzaId;
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Stubs (system events)

const STUB = WAMessageStubType;

function systemStub(
  message: WAMessage,
  sender: EngineMessage['sender'],
): { body: string; chatName?: string } | null {
  const params = stubParameters(message.messageStubParameters);
  const actor = sender.name ?? (sender.phoneNumber ? `+${sender.phoneNumber}` : sender.waId) ?? 'Someone';
  const people = params.map(describePerson).join(', ');
  const first = params[0] ?? '';
  switch (message.messageStubType) {
    case STUB.GROUP_CREATE:
      return { body: `${actor} created the group “${first}”`, chatName: first || undefined };
    case STUB.GROUP_CHANGE_SUBJECT:
      return { body: `${actor} changed the group name to “${first}”`, chatName: first || undefined };
    case STUB.GROUP_CHANGE_DESCRIPTION:
      return { body: `${actor} changed the group description` };
    case STUB.GROUP_PARTICIPANT_ADD:
      return { body: `${actor} added ${people}` };
    case STUB.GROUP_PARTICIPANT_REMOVE:
      return { body: `${actor} removed ${people}` };
    case STUB.GROUP_PARTICIPANT_LEAVE:
      return { body: `${people || actor} left` };
    case STUB.GROUP_PARTICIPANT_INVITE:
      return { body: `${people || actor} joined using an invite link` };
    case STUB.GROUP_PARTICIPANT_PROMOTE:
      return { body: `${actor} made ${people} an admin` };
    case STUB.GROUP_PARTICIPANT_DEMOTE:
      return { body: `${actor} removed ${people} as admin` };
    case STUB.CALL_MISSED_VOICE:
      return { body: 'Missed voice call' };
    case STUB.CALL_MISSED_VIDEO:
      return { body: 'Missed video call' };
    case STUB.CALL_MISSED_GROUP_VOICE:
      return { body: 'Missed group voice call' };
    case STUB.CALL_MISSED_GROUP_VIDEO:
      return { body: 'Missed group video call' };
    default:
      return null;
  }
}

function stubParameters(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : [];
}

/** A participant of a group stub: v7 writes `{"id","phoneNumber","lid",…}` JSON, older payloads a jid. */
function describePerson(param: string): string {
  let jid = param;
  if (param.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(param);
      if (typeof parsed === 'object' && parsed !== null) {
        const { id, phoneNumber } = parsed as { id?: unknown; phoneNumber?: unknown };
        jid = typeof phoneNumber === 'string' ? phoneNumber : typeof id === 'string' ? id : param;
      }
    } catch {
      return param;
    }
  }
  const person = personOf(readJid(jid));
  return person?.phone ? `+${person.phone.phoneNumber}` : (person?.lid ?? jid);
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

/**
 * Protobuf int64 fields: a number, a `Long`, or a `Long` that went through JSON (`{low, high,
 * unsigned}`); a decimal string from protobuf's own JSON. Zero and garbage are null.
 */
function toNumberOrNull(value: unknown): number | null {
  let n: number | null = null;
  if (typeof value === 'number') {
    n = value;
  } else if (typeof value === 'string' && /^\d+$/.test(value)) {
    n = Number(value);
  } else if (typeof value === 'object' && value !== null) {
    const long = value as { low?: unknown; high?: unknown; toNumber?: unknown };
    if (typeof long.toNumber === 'function') {
      n = (long.toNumber as () => number).call(value);
    } else if (typeof long.low === 'number' && typeof long.high === 'number') {
      n = long.high * 2 ** 32 + (long.low >>> 0);
    }
  }
  return n !== null && Number.isFinite(n) && n > 0 ? n : null;
}

function text(value: string | null | undefined): string | null {
  return value ? value : null;
}

/** Media info without the fields WhatsApp left out; null when nothing is left. */
function compact(media: { [K in keyof MediaInfo]?: MediaInfo[K] | undefined }): MediaInfo | null {
  const entries = Object.entries(media).filter(([, v]) => v !== null && v !== undefined && v !== '');
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}
