import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { FastifyBaseLogger } from 'fastify';

import { NotFoundError, ServiceUnavailableError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';
import type { AccessPolicy } from '../access/policy.js';
import { EngineError } from '../engine/engine.js';
import type { SessionSupervisor } from '../sessions/session-supervisor.js';
import type { MessagesRepository } from './messages.repository.js';

export interface MediaFile {
  stream: Readable;
  mimetype: string;
  size: number;
  fileName: string | null;
}

/**
 * A message's media: downloaded from WhatsApp on first request (the engine asks the phone to
 * upload it again if it expired) and kept under DATA_DIR/media, so later requests need neither
 * WhatsApp nor a connected session.
 */
export function createMediaService(deps: {
  messages: Pick<MessagesRepository, 'find'>;
  policy: AccessPolicy;
  supervisor: Pick<SessionSupervisor, 'readyEngine'>;
  dataDir: string;
  log: FastifyBaseLogger;
}) {
  return {
    /** The media of a message the actor may read. */
    async open(actor: Actor, sessionId: string, messageId: string): Promise<MediaFile> {
      await deps.policy.require(actor, sessionId, 'read');
      const message = await deps.messages.find(actor.companyId, sessionId, messageId);
      if (!message) {
        throw new NotFoundError('MESSAGE_NOT_FOUND', `Message '${messageId}' not found`);
      }
      if (!message.mediaRef || message.deletedAt) {
        throw new NotFoundError('NO_MEDIA', `Message '${messageId}' has no media`);
      }
      const folder = join(deps.dataDir, 'media', sessionId);
      const file = join(folder, messageId);
      const fileName = message.media?.fileName ?? null;

      const cached = await cachedMimetype(file);
      if (cached === null) {
        const engine = deps.supervisor.readyEngine(sessionId);
        let download: Awaited<ReturnType<typeof engine.downloadMedia>>;
        try {
          download = await engine.downloadMedia(message.mediaRef);
        } catch (err) {
          if (err instanceof EngineError) {
            deps.log.warn({ err, sessionId, messageId }, 'media download failed');
            throw new ServiceUnavailableError(
              'MEDIA_UNAVAILABLE',
              'WhatsApp did not deliver this media; try again later',
            );
          }
          throw err;
        }
        await mkdir(folder, { recursive: true });
        // Written aside and renamed, so a reader never sees half a file.
        const partial = `${file}.${randomBytes(4).toString('hex')}.part`;
        await pipeline(download.stream, createWriteStream(partial));
        const mimetype = download.mimetype ?? message.media?.mimetype ?? 'application/octet-stream';
        await writeFile(`${file}.type`, mimetype);
        await rename(partial, file);
        return { stream: createReadStream(file), mimetype, size: (await stat(file)).size, fileName };
      }
      return { stream: createReadStream(file), mimetype: cached, size: (await stat(file)).size, fileName };
    },
  };
}

async function cachedMimetype(file: string): Promise<string | null> {
  try {
    await stat(file);
    return (await readFile(`${file}.type`, 'utf8')).trim() || 'application/octet-stream';
  } catch {
    return null;
  }
}

export type MediaService = ReturnType<typeof createMediaService>;
