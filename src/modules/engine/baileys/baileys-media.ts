import type { Readable } from 'node:stream';

import {
  assertMediaContent,
  BufferJSON,
  downloadMediaMessage,
  normalizeMessageContent,
  proto,
  type WAMessage,
  type WAMessageKey,
  type WASocket,
} from 'baileys';
import type { Logger } from 'pino';

import { EngineError, type EngineMessage } from '../engine.js';
import { serialize } from './baileys-auth-store.js';

const DOWNLOADABLE = new Set(['image', 'video', 'audio', 'voice', 'document', 'sticker']);
/** Asking the phone to re-upload expired media has no timeout of its own in Baileys. */
const REUPLOAD_TIMEOUT_MS = 30_000;

/**
 * Media messages keep their raw form (keys, paths): downloading needs it, later and on demand.
 * A message Baileys decoded is a protobuf object, which turns itself into protobuf's JSON form
 * (bytes as base64, 64-bit numbers as strings): `readMediaRef` reads it back.
 */
export function withMediaRefs(messages: EngineMessage[], raw: WAMessage[]): EngineMessage[] {
  const byId = new Map(raw.map((m) => [m.key.id, m]));
  return messages.map((m) => {
    const original = DOWNLOADABLE.has(m.type) ? byId.get(m.waMessageId) : undefined;
    return original ? { ...m, mediaRef: serialize({ key: original.key, message: original.message }) } : m;
  });
}

/**
 * A message kept by `withMediaRefs`, with its content a protobuf message again: every binary field
 * (media key, hashes, thumbnails) is bytes, as Baileys' key derivations need. A media key read as
 * text still decrypts the download (Baileys decodes base64 there) but not the phone's answer to a
 * re-upload request, whose key is derived from the bytes as given.
 */
export function readMediaRef(mediaRef: string): WAMessage {
  const { key, message } = JSON.parse(mediaRef, reviveBuffers) as {
    key: WAMessageKey;
    message?: Record<string, unknown> | null;
  };
  return { key, message: message ? proto.Message.fromObject(message) : null };
}

/** Baileys' reviver, and Node's own JSON form of a Buffer (`{type: 'Buffer', data: [bytes]}`). */
const reviveBuffers = (name: string, value: unknown): unknown =>
  typeof value === 'object' &&
  value !== null &&
  (value as { type?: unknown }).type === 'Buffer' &&
  Array.isArray((value as { data?: unknown }).data)
    ? Buffer.from((value as { data: number[] }).data)
    : (BufferJSON.reviver(name, value) as unknown);

/** The media of a message kept by `withMediaRefs`, through an open socket. */
export async function downloadBaileysMedia(
  socket: Pick<WASocket, 'updateMediaMessage'>,
  mediaRef: string,
  log: Logger,
): Promise<{ stream: Readable; mimetype: string | null }> {
  const message = readMediaRef(mediaRef);
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
