import type { Boom } from '@hapi/boom';
import { type BaileysEventMap, DisconnectReason } from 'baileys';
import type { Logger } from 'pino';

import type { EngineEvent } from '../engine.js';
import type { BaileysAuth } from './baileys-auth-store.js';
import { toContractChatId } from './baileys-mapper.js';
import type { SocketLike } from './baileys-socket.js';

/** Baileys shows a socket's first QR for 60 s and each later one for 20 s. */
const FIRST_QR_LIFETIME_MS = 60_000;
const QR_LIFETIME_MS = 20_000;

/** What one engine holds across its sockets: the credentials, the current socket, whether it is open. */
export interface BaileysConnection {
  auth: BaileysAuth | null;
  sock: SocketLike | null;
  open: boolean;
  /** The account's name as last learned, so a new one is reported once. */
  ownName: string | null;
  /** QRs the current socket has shown (its first lives longer). */
  qrsShown: number;
}

/** What to do after Baileys closed a socket. */
export type CloseOutcome =
  | { kind: 'restart' }
  | { kind: 'logged_out'; reason: string }
  /** `outdated`: WhatsApp refused our WhatsApp Web version as too old (405); a newer one may do. */
  | { kind: 'permanent'; reason: string; outdated?: true }
  | { kind: 'retry'; reason: string };

/** Baileys' close codes, as the supervisor should see them. */
export function classifyClose(error: unknown, paired: boolean): CloseOutcome {
  const code = (error as Boom | undefined)?.output?.statusCode;
  const message = error instanceof Error ? error.message : 'connection closed';
  switch (code) {
    case DisconnectReason.restartRequired:
      return { kind: 'restart' };
    case DisconnectReason.loggedOut:
      return { kind: 'logged_out', reason: 'The phone unlinked this device' };
    case DisconnectReason.connectionReplaced:
      return {
        kind: 'permanent',
        reason: 'Another client is using this WhatsApp link; reconnect when it has stopped',
      };
    case DisconnectReason.forbidden:
      return { kind: 'permanent', reason: 'WhatsApp refused this account (403)' };
    case DisconnectReason.multideviceMismatch:
      return { kind: 'permanent', reason: 'WhatsApp refused this device (multi-device mismatch)' };
    case 405:
      return {
        kind: 'permanent',
        reason: 'WhatsApp refused this WhatsApp Web version as too old; update the service',
        outdated: true,
      };
    case DisconnectReason.timedOut:
      if (!paired && message === 'QR refs attempts ended') {
        return {
          kind: 'permanent',
          reason: 'The QR code expired before it was scanned; reconnect for a new one',
        };
      }
      return { kind: 'retry', reason: message };
    default:
      return { kind: 'retry', reason: message };
  }
}

/**
 * One `connection.update`: a QR, connecting, open (ready), or closed. A close the engine recovers
 * from by itself (a restart right after pairing, a version refused as too old while a newer one
 * exists) reconnects at once; any other is reported.
 */
export async function onConnectionUpdate(
  connection: BaileysConnection,
  socket: SocketLike,
  update: Partial<BaileysEventMap['connection.update']>,
  deps: {
    emit: (event: EngineEvent) => void;
    log: Logger;
    reconnect: () => Promise<void>;
    /** After a 405: null when a newer version was found for the next socket, else why not. */
    outdated: () => Promise<string | null>;
  },
): Promise<void> {
  const { emit } = deps;
  if (update.qr) {
    const lifetime = connection.qrsShown++ === 0 ? FIRST_QR_LIFETIME_MS : QR_LIFETIME_MS;
    emit({ type: 'qr', qr: update.qr, expiresAt: new Date(Date.now() + lifetime) });
  }
  if (update.connection === 'connecting') {
    emit({ type: 'connecting' });
  }
  if (update.connection === 'open') {
    connection.open = true;
    connection.ownName = socket.user?.name ?? socket.user?.notify ?? connection.ownName;
    const phone = toContractChatId(socket.user?.id);
    emit({
      type: 'ready',
      phoneNumber: phone ? phone.replace(/@.*$/, '') : '',
      displayName: connection.ownName,
    });
  }
  if (update.connection === 'close') {
    connection.open = false;
    connection.sock = null;
    let outcome = classifyClose(update.lastDisconnect?.error, connection.auth?.paired() ?? false);
    deps.log.info({ outcome: outcome.kind }, 'WhatsApp connection closed');
    if (outcome.kind === 'restart') {
      // Normal right after pairing: a new socket at once, with the same credentials.
      await deps.reconnect();
      return;
    }
    if (outcome.kind === 'permanent' && outcome.outdated) {
      // WhatsApp moved on: with a newer version, a new socket at once (once per version).
      const reason = await deps.outdated();
      if (reason === null) {
        await deps.reconnect();
        return;
      }
      outcome = { kind: 'permanent', reason };
    }
    if (outcome.kind === 'logged_out') {
      // The supervisor deletes the stored credentials: nothing may write them again.
      await connection.auth?.close();
      connection.auth = null;
    }
    emit({
      type: 'disconnected',
      reason: outcome.reason,
      loggedOut: outcome.kind === 'logged_out',
      permanent: outcome.kind === 'permanent',
    });
  }
}

/**
 * The account's name arrives as the push name of the phone's own messages to a new device (the
 * history sync), around `open`: kept, and reported once it differs from what `ready` said. Taken
 * from those messages rather than Baileys' credentials: when they arrive while Baileys buffers
 * events, its own `me` update of the login overwrites the name in the merged batch.
 */
export function onOwnName(
  connection: BaileysConnection,
  name: string | null | undefined,
  emit: (event: EngineEvent) => void,
): void {
  if (!name || name === connection.ownName) {
    return;
  }
  connection.ownName = name;
  if (connection.open) {
    emit({ type: 'profile', displayName: name });
  }
}
