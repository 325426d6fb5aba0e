import type { Readable } from 'node:stream';

import {
  assertMediaContent,
  downloadMediaMessage,
  normalizeMessageContent,
  type WAMessage,
  type WASocket,
} from 'baileys';
import type { Logger } from 'pino';

import { EngineError, type EngineMessage } from '../engine.js';
import { deserialize, serialize } from './baileys-auth-store.js';

const DOWNLOADABLE = new Set(['image', 'video', 'audio', 'voice', 'document', 'sticker']);
/** Asking the phone to re-upload expired media has no timeout of its own in Baileys. */
const REUPLOAD_TIMEOUT_MS = 30_000;

/** Media messages keep their raw form (keys, paths): downloading needs it, later and on demand. */
export function withMediaRefs(messages: EngineMessage[], raw: WAMessage[]): EngineMessage[] {
  const byId = new Map(raw.map((m) => [m.key.id, m]));
  return messages.map((m) => {
    const original = DOWNLOADABLE.has(m.type) ? byId.get(m.waMessageId) : undefined;
    return original ? { ...m, mediaRef: serialize({ key: original.key, message: original.message }) } : m;
  });
}

/** The media of a message kept by `withMediaRefs`, through an open socket. */
export async function downloadBaileysMedia(
  socket: Pick<WASocket, 'updateMediaMessage'>,
  mediaRef: string,
  log: Logger,
): Promise<{ stream: Readable; mimetype: string | null }> {
  const message = deserialize<WAMessage>(mediaRef);
  const content = assertMediaContent(normalizeMessageContent(message.message));
  try {
    const stream = await downloadMediaMessage(
      message,
      'stream',
      {},
      {
        logger: log,
        // Expired media (404/410): the phone is asked once to upload it again.
        reuploadRequest: (m) => timeout(socket.updateMediaMessage(m), REUPLOAD_TIMEOUT_MS),
      },
    );
    return { stream, mimetype: content.mimetype ?? null };
  } catch (err) {
    throw new EngineError(err instanceof Error ? err.message : 'media download failed', true);
  }
}

function timeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
