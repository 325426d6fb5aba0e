import type { Boom } from '@hapi/boom';
import type { WAMessage } from 'baileys';

import { EngineError, type SendTextInput } from '../engine.js';
import { parseWaAddress } from '../wa-address.js';
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

/** Sends under the id we chose, quoting when asked; a refusal that retrying cannot fix is not transient. */
export async function sendBaileysText(
  socket: Pick<SocketLike, 'sendMessage'>,
  input: SendTextInput,
): Promise<{ timestamp: Date }> {
  const jid = toBaileysJid(input.to);
  const quoted = input.quoted
    ? ({
        key: { remoteJid: jid, fromMe: input.quoted.fromMe, id: input.quoted.waMessageId },
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
