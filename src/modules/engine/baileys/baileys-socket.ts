import NodeCache from '@cacheable/node-cache';
import {
  type BaileysEventMap,
  Browsers,
  type CacheStore,
  type GroupMetadata,
  type UserFacingSocketConfig,
  type WAMessage,
  type WASocket,
} from 'baileys';
import type { Logger } from 'pino';

import type { EngineContext } from '../engine.js';
import type { BaileysAuth } from './baileys-auth-store.js';

/** The slice of Baileys' socket the adapter uses; tests give a fake with Baileys' own event buffer. */
export type SocketLike = Pick<
  WASocket,
  | 'ev'
  | 'user'
  | 'end'
  | 'logout'
  | 'sendMessage'
  | 'readMessages'
  | 'requestPairingCode'
  | 'onWhatsApp'
  | 'updateMediaMessage'
  | 'groupMetadata'
>;
export type SocketFactory = (config: UserFacingSocketConfig) => SocketLike;

/**
 * What Baileys would otherwise rebuild with every socket, kept by the engine across reconnects:
 * how often a recipient asked for a message again (so a retry is not answered forever), each
 * contact's device list (no device query before every send), and group metadata (no metadata
 * query before every group send; dropped when the group changes).
 */
export interface EngineCaches {
  msgRetryCounter: CacheStore;
  userDevices: CacheStore;
  groupMetadata: NodeCache<GroupMetadata>;
}

/** Baileys' cache interface over the cache library it uses itself. */
function cacheStore(ttlSeconds: number): CacheStore {
  const cache = new NodeCache<unknown>({ stdTTL: ttlSeconds, useClones: false });
  return {
    get: <T>(key: string) => cache.get(key) as T | undefined,
    set: (key, value) => cache.set(key, value),
    del: (key) => cache.del(key),
    flushAll: () => cache.flushAll(),
  };
}

export function createEngineCaches(): EngineCaches {
  return {
    msgRetryCounter: cacheStore(60 * 60),
    userDevices: cacheStore(5 * 60),
    groupMetadata: new NodeCache<GroupMetadata>({ stdTTL: 5 * 60, useClones: false }),
  };
}

export interface SocketSetup {
  socketFactory: SocketFactory;
  auth: BaileysAuth;
  log: Logger;
  sentText: EngineContext['sentText'];
  version?: [number, number, number] | undefined;
  caches: EngineCaches;
  webSocketUrl?: string | undefined;
  /** Runs the handling of one batch after the batches before it, any socket's. */
  inTurn: (handle: () => Promise<void>) => Promise<void>;
  onEvents: (socket: SocketLike, events: Partial<BaileysEventMap>) => Promise<void>;
  /** Stores a decrypted message before Baileys acknowledges it to WhatsApp (throws when it cannot). */
  beforeReceipt: (message: WAMessage) => Promise<void>;
}

/** A socket over the session's credentials, each batch of its events handled in turn. */
export function openBaileysSocket(setup: SocketSetup): SocketLike {
  // Baileys is chatty below warn; a quieter service level (error, silent) still wins.
  const level = setup.log.levelVal > setup.log.levels.values.warn! ? setup.log.level : 'warn';
  const socket = setup.socketFactory({
    auth: setup.auth.state,
    logger: setup.log.child({ module: 'baileys' }, { level }),
    browser: Browsers.ubuntu('Chrome'),
    // With true the phone stops showing notifications while we are connected.
    markOnlineOnConnect: false,
    // Our patch of Baileys awaits this before the delivery receipt: nothing is acknowledged to
    // WhatsApp that is not stored (patches/baileys+7.0.0-rc14.patch).
    beforeMessageReceipt: setup.beforeReceipt,
    msgRetryCounterCache: setup.caches.msgRetryCounter,
    userDevicesCache: setup.caches.userDevices,
    cachedGroupMetadata: async (jid) => {
      const cached = setup.caches.groupMetadata.get(jid);
      if (cached) {
        return cached;
      }
      const fetched = await socket.groupMetadata(jid);
      setup.caches.groupMetadata.set(jid, fetched);
      return fetched;
    },
    syncFullHistory: false,
    // A recipient that could not decrypt asks for the message again: it is rebuilt from what we stored.
    getMessage: async (key) => {
      const text = key.id ? await setup.sentText(key.id) : null;
      return text === null ? undefined : { conversation: text };
    },
    ...(setup.version ? { version: setup.version } : {}),
    ...(setup.webSocketUrl ? { waWebSocketUrl: setup.webSocketUrl } : {}),
  });
  // Baileys neither awaits handlers nor orders them, and turns a throw into an unhandled
  // rejection: handle each batch in turn (the caller catches).
  socket.ev.process((events) => setup.inTurn(() => setup.onEvents(socket, events)));
  return socket;
}

/** Ends a socket no longer wanted; a failure to end it changes nothing. */
export async function closeBaileysSocket(socket: SocketLike | null, log: Logger): Promise<void> {
  if (!socket) {
    return;
  }
  try {
    await socket.end(undefined);
  } catch (err) {
    log.debug({ err }, 'socket end failed');
  }
}
