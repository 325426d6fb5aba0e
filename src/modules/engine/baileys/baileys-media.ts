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

/**
 * The media of a message kept by `withMediaRefs`, through an open socket. Media the CDN no longer
 * has (404/410) is asked of the phone once more (it uploads it again to a new path), then
 * downloaded from there. Baileys' own retry in `downloadMediaMessage` never fires: it looks for
 * `status` on the error, and its HTTP errors carry `output.statusCode`.
 */
export async function downloadBaileysMedia(
  socket: Pick<WASocket, 'updateMediaMessage'>,
  mediaRef: string,
  log: Logger,
): Promise<{ stream: Readable; mimetype: string | null }> {
  const message = readMediaRef(mediaRef);
  const content = assertMediaContent(normalizeMessageContent(message.message));
  try {
    let stream: Readable;
    try {
      stream = await downloadMediaMessage(message, 'stream', {});
    } catch (err) {
      if (!isGone(err)) {
        throw err;
      }
      log.info(
        { waMessageId: message.key.id },
        'media expired on WhatsApp; asking the phone to upload it again',
      );
      const uploaded = await timeout(socket.updateMediaMessage(message), REUPLOAD_TIMEOUT_MS);
      stream = await downloadMediaMessage(uploaded, 'stream', {});
    }
    return { stream, mimetype: content.mimetype ?? null };
  } catch (err) {
    throw new EngineError(err instanceof Error ? err.message : 'media download failed', true);
  }
}

/** The CDN's "not here (any more)": Baileys' Boom carries the HTTP status as `output.statusCode`. */
function isGone(err: unknown): boolean {
  const error = err as { output?: { statusCode?: unknown }; status?: unknown } | null | undefined;
  const status = error?.output?.statusCode ?? error?.status;
  return status === 404 || status === 410;
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
