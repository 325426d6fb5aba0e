import { type proto, type WAMessage, WAMessageStubType } from 'baileys';

import type { EngineMessage, MediaInfo, MessageType } from '../engine.js';
import { personOf, readJid } from './baileys-address.js';

/**
 * The content of one Baileys message read as ours: its type, body and media info; the message it
 * replies to; the readable line of a system stub. Pure, like the rest of the mapping.
 */

// ---------------------------------------------------------------------------------------------
// Messages

export interface Reading {
  type: MessageType;
  body: string | null;
  media: MediaInfo | null;
}

export const SILENT = 'silent';

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
export function readContent(c: proto.IMessage): Reading | typeof SILENT | null {
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
export function quotedIdOf(content: proto.IMessage): string | null {
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

export function systemStub(
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

/**
 * Protobuf int64 fields: a number, a `Long`, or a `Long` that went through JSON (`{low, high,
 * unsigned}`); a decimal string from protobuf's own JSON. Zero and garbage are null.
 */
export function toNumberOrNull(value: unknown): number | null {
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

export function text(value: string | null | undefined): string | null {
  return value ? value : null;
}

/** Media info without the fields WhatsApp left out; null when nothing is left. */
function compact(media: { [K in keyof MediaInfo]?: MediaInfo[K] | undefined }): MediaInfo | null {
  const entries = Object.entries(media).filter(([, v]) => v !== null && v !== undefined && v !== '');
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}
