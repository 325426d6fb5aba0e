import { type BaileysEventMap, makeWASocket, type WAMessage } from 'baileys';
import type { Logger } from 'pino';

import {
  type EngineContext,
  EngineError,
  type EngineEvent,
  type EngineFactory,
  type WhatsAppEngine,
} from '../engine.js';
import { loadBaileysAuth } from './baileys-auth-store.js';
import { type BaileysConnection, onConnectionUpdate, onOwnName } from './baileys-connection.js';
import { createInbound } from './baileys-inbound.js';
import { createLidMapping } from './baileys-lid-mapping.js';
import { downloadBaileysMedia } from './baileys-media.js';
import { groupParticipant, sendBaileysText, toBaileysJid } from './baileys-send.js';
import {
  closeBaileysSocket,
  createEngineCaches,
  openBaileysSocket,
  type SocketFactory,
  type SocketLike,
} from './baileys-socket.js';
import {
  createVersionSource,
  formatWaVersion,
  type VersionSource,
  type WaVersion,
} from './baileys-version.js';

export { classifyClose, type CloseOutcome } from './baileys-connection.js';
export { toBaileysJid } from './baileys-send.js';
export type { SocketFactory, SocketLike } from './baileys-socket.js';

export interface BaileysOptions {
  logger: Logger;
  /**
   * WhatsApp Web version (WA_WEB_VERSION), used as is. Unset: the current one is fetched when the
   * engine starts and hourly, and after WhatsApp refuses one as too old; the one bundled with the
   * package while none could be fetched.
   */
  version?: WaVersion | undefined;
  /** Where to connect; WhatsApp's own endpoint unless set. */
  webSocketUrl?: string | undefined;
  /** For tests: builds the socket. Defaults to Baileys' makeWASocket. */
  socketFactory?: SocketFactory;
}

/**
 * The real engine: WhatsApp Web through Baileys, with credentials in our encrypted store. One
 * engine per session; every reconnect makes a new socket with the same auth state and caches.
 */
export function createBaileysEngineFactory(options: BaileysOptions): EngineFactory {
  const socketFactory: SocketFactory = options.socketFactory ?? ((config) => makeWASocket(config));
  const versions = createVersionSource({ log: options.logger, pinned: options.version });
  void versions.current(); // asked now, so the first session finds it ready
  return (context) => createBaileysEngine(context, options, socketFactory, versions);
}

function createBaileysEngine(
  context: EngineContext,
  options: BaileysOptions,
  socketFactory: SocketFactory,
  versions: VersionSource,
): WhatsAppEngine {
  const log = options.logger.child({ sessionId: context.sessionId });
  const connection: BaileysConnection = { auth: null, sock: null, open: false, ownName: null, qrsShown: 0 };
  let queue: Promise<void> = Promise.resolve();
  const caches = createEngineCaches();
  /** The current socket's WhatsApp Web version, and those WhatsApp refused since the last start. */
  let version: WaVersion | null = null;
  const refused = new Set<string>();
  /** Bumped when the socket is dropped: a connect still waiting for its version opens nothing. */
  let generation = 0;

  const emit = (event: EngineEvent) => context.emit(event);
  const lidMapping = createLidMapping(() => connection.auth);
  const inbound = createInbound({
    emit,
    emitAndWait: (event) => context.emitAndWait(event),
    own: () => ({ ownPhone: connection.sock?.user?.id ?? null, ownLid: connection.sock?.user?.lid ?? null }),
    auth: () => connection.auth,
  });

  const onEvents = async (socket: SocketLike, events: Partial<BaileysEventMap>) => {
    if (socket !== connection.sock) {
      return; // a replaced socket's last words
    }
    const update = events['connection.update'];
    if (update) {
      await onConnectionUpdate(connection, socket, update, { emit, log, reconnect: connect, outdated });
    }
    if (events['creds.update'] && connection.auth) {
      await connection.auth.saveCreds();
    }
    const ownMessages = events['messages.upsert']?.messages.filter((m) => m.key.fromMe && m.pushName);
    onOwnName(connection, ownMessages?.at(-1)?.pushName, emit);
    for (const changed of [
      ...(events['groups.update'] ?? []),
      ...(events['group-participants.update'] ? [events['group-participants.update']] : []),
    ]) {
      if (changed.id) {
        caches.groupMetadata.del(changed.id);
      }
    }
    await inbound.onEvents(events);
  };

  /** Baileys awaits this before it sends a message's delivery receipt. */
  const beforeReceipt = async (message: WAMessage) => {
    if (!(await inbound.storeBeforeReceipt(message))) {
      throw new EngineError('the message could not be stored; WhatsApp will deliver it again', true);
    }
  };

  const inTurn = (handle: () => Promise<void>) => {
    queue = queue.then(handle).catch((err: unknown) => log.error({ err }, 'WhatsApp event handling failed'));
    return queue;
  };

  const connect = async () => {
    const started = generation;
    connection.auth ??= await loadBaileysAuth(context.credentials, log);
    // A code asked on a closed socket cannot be entered any more: this socket registers anew.
    connection.auth.forgetUnfinishedPairing();
    const next = await versions.current();
    if (started !== generation) {
      return; // stopped meanwhile
    }
    version = next;
    connection.qrsShown = 0;
    connection.sock = openBaileysSocket({
      socketFactory,
      auth: connection.auth,
      log,
      sentText: (waMessageId) => context.sentText(waMessageId),
      version,
      caches,
      webSocketUrl: options.webSocketUrl,
      inTurn,
      onEvents,
      beforeReceipt,
    });
  };

  /** WhatsApp refused the current version as too old: a newer one for the next socket, once per version. */
  const outdated = async (): Promise<string | null> => {
    const used = version ?? (await versions.current());
    refused.add(formatWaVersion(used));
    const newer = await versions.newerThan(used);
    if (newer && !refused.has(formatWaVersion(newer))) {
      log.info(
        { refused: formatWaVersion(used), version: formatWaVersion(newer) },
        'WhatsApp refused this WhatsApp Web version as too old; retrying with a newer one',
      );
      return null;
    }
    return versions.pinned
      ? `WhatsApp refused WhatsApp Web version ${formatWaVersion(used)} (set in WA_WEB_VERSION) as too old; ` +
          'set the current version there or remove it, then reconnect'
      : `WhatsApp refused WhatsApp Web version ${formatWaVersion(used)} as too old, and no newer version ` +
          'could be fetched from web.whatsapp.com; set WA_WEB_VERSION to the current version or update ' +
          'the service, then reconnect';
  };

  /** Forgets the current socket (its late events are ignored) and hands it back to be closed. */
  const detach = (): SocketLike | null => {
    generation++;
    const previous = connection.sock;
    connection.sock = null;
    connection.open = false;
    return previous;
  };

  const requireOpen = (): SocketLike => {
    if (!connection.sock || !connection.open) {
      throw new EngineError('not connected to WhatsApp', true);
    }
    return connection.sock;
  };

  return {
    async start() {
      await closeBaileysSocket(detach(), log);
      refused.clear();
      await connect();
    },

    async stop() {
      await closeBaileysSocket(detach(), log);
    },

    async logout() {
      const previous = detach();
      const auth = connection.auth;
      connection.auth = null;
      await auth?.close();
      if (previous) {
        try {
          await previous.logout();
        } catch (err) {
          log.debug({ err }, 'logout failed; credentials are removed anyway');
        }
      }
      await context.credentials.clear();
    },

    async sendText(input) {
      return sendBaileysText(requireOpen(), input, lidMapping);
    },

    async markRead(chatWaId, messages) {
      const socket = requireOpen();
      const remoteJid = toBaileysJid(chatWaId);
      // Baileys sends one receipt per chat and participant: in a group, one per sender.
      const keys = await Promise.all(
        messages.map(async ({ waMessageId, senderWaId }) => {
          const participant = await groupParticipant(remoteJid, senderWaId, lidMapping);
          return { remoteJid, id: waMessageId, fromMe: false, ...(participant ? { participant } : {}) };
        }),
      );
      await socket.readMessages(keys);
    },

    async requestPairingCode(phoneNumber) {
      if (!connection.sock) {
        throw new EngineError('pairing is only possible while the session waits for a link', false);
      }
      let code: string;
      try {
        code = await connection.sock.requestPairingCode(phoneNumber);
      } catch (err) {
        // The socket closed before its close was handled (Baileys: "Connection Closed").
        log.warn({ err }, 'could not ask WhatsApp for a pairing code');
        throw new EngineError(
          'WhatsApp could not be asked for a pairing code; try again with the next QR',
          true,
        );
      }
      emit({ type: 'pairing_code', code });
      return code;
    },

    async downloadMedia(mediaRef) {
      return downloadBaileysMedia(requireOpen(), mediaRef, log);
    },

    async isOnWhatsApp(phoneNumber) {
      const socket = requireOpen();
      const [result] = (await socket.onWhatsApp(phoneNumber)) ?? [];
      return Boolean(result?.exists);
    },
  };
}
