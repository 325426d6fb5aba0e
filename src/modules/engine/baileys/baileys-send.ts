import type { Boom } from '@hapi/boom';
import type { WAMessage } from 'baileys';

import { EngineError, type SendTextInput } from '../engine.js';
import { parseWaAddress } from '../wa-address.js';
import type { LidMapping } from './baileys-lid-mapping.js';
import type { SocketLike } from './baileys-socket.js';

/** Our chat id (`…@c.us`) in the form Baileys sends to (`…@s.whatsapp.net`). */
export function toBaileysJid(chatWaId: string): string {
  const address = parseWaAddress(chatWaId);
  if (!address) {
    throw new EngineError(`'${chatWaId}' is not a WhatsApp chat`, false);
  }
  if (address.kind === 'person') {
    return `${address.phoneNumber}@s.whatsapp.net`;
  }
  return address.kind === 'group' ? address.waChatId : address.lid;
}

/**
 * Who wrote a message of a group, for the keys of read receipts and quotes (WhatsApp needs it
 * there; without it Baileys names the group itself). Groups name their members by hidden id now,
 * so a sender we know by number is named by the hidden id Baileys has stored for it, and by number
 * when none is known. Undefined outside groups, where the chat says who, and for an unknown sender.
 */
export async function groupParticipant(
  chatJid: string,
  senderWaId: string | null,
  lidMapping: Pick<LidMapping, 'lidOf'>,
): Promise<string | undefined> {
  const sender = chatJid.endsWith('@g.us') && senderWaId ? parseWaAddress(senderWaId) : null;
  if (sender?.kind === 'lid') {
    return sender.lid;
  }
  if (sender?.kind !== 'person') {
    return undefined;
  }
  const lid = await lidMapping.lidOf(sender.phoneNumber);
  return lid ? `${lid}@lid` : `${sender.phoneNumber}@s.whatsapp.net`;
}

/** Sends under the id we chose, quoting when asked; a refusal that retrying cannot fix is not transient. */
export async function sendBaileysText(
  socket: Pick<SocketLike, 'sendMessage'>,
  input: SendTextInput,
  lidMapping: Pick<LidMapping, 'lidOf'>,
): Promise<{ timestamp: Date }> {
  const jid = toBaileysJid(input.to);
  // Our own quoted messages need no participant: Baileys names the account itself for them.
  const participant =
    input.quoted && !input.quoted.fromMe
      ? await groupParticipant(jid, input.quoted.senderWaId, lidMapping)
      : undefined;
  const quoted = input.quoted
    ? ({
        key: {
          remoteJid: jid,
          fromMe: input.quoted.fromMe,
          id: input.quoted.waMessageId,
          ...(participant ? { participant } : {}),
        },
        message: { conversation: input.quoted.body ?? '' },
      } satisfies WAMessage)
    : undefined;
  try {
    await socket.sendMessage(
      jid,
      { text: input.text },
      { messageId: input.waMessageId, ...(quoted ? { quoted } : {}) },
    );
  } catch (err) {
    const code = (err as Boom | undefined)?.output?.statusCode;
    // 4xx from WhatsApp (bad recipient, restricted account) will not improve by retrying.
    throw new EngineError(
      err instanceof Error ? err.message : 'send failed',
      !(code && code >= 400 && code < 500 && code !== 408 && code !== 428),
    );
  }
  return { timestamp: new Date() };
}
