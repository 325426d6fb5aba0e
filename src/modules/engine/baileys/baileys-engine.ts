import type { Boom } from '@hapi/boom';
import {
  type BaileysEventMap,
  Browsers,
  DisconnectReason,
  makeWASocket,
  type UserFacingSocketConfig,
  type WAMessage,
  type WASocket,
} from 'baileys';
import type { Logger } from 'pino';

import {
  type EngineContext,
  EngineError,
  type EngineEvent,
  type EngineFactory,
  type EngineMessage,
  type WhatsAppEngine,
} from '../engine.js';
import { parseWaAddress } from '../wa-address.js';
import { type BaileysAuth, loadBaileysAuth } from './baileys-auth-store.js';
import { mapMessages, mapReceipts, mapStatusUpdates, toContractChatId } from './baileys-mapper.js';
import { downloadBaileysMedia, withMediaRefs } from './baileys-media.js';

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
>;
export type SocketFactory = (config: UserFacingSocketConfig) => SocketLike;

export interface BaileysOptions {
  logger: Logger;
  /** WhatsApp Web version; the one bundled with the package when unset (no network needed to start). */
  version?: [number, number, number] | undefined;
  /** Where to connect; WhatsApp's own endpoint unless set. */
  webSocketUrl?: string | undefined;
  /** For tests: builds the socket. Defaults to Baileys' makeWASocket. */
  socketFactory?: SocketFactory;
}

/** What to do after Baileys closed a socket. */
export type CloseOutcome =
  | { kind: 'restart' }
  | { kind: 'logged_out'; reason: string }
  | { kind: 'permanent'; reason: string }
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
      return { kind: 'permanent', reason: 'This WhatsApp Web version is too old; update the service' };
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

const QR_LIFETIME_MS = 20_000;

const userOf = (jid: string) => jid.replace(/[:@].*$/, '');

/**
 * The real engine: WhatsApp Web through Baileys, with credentials in our encrypted store. One
 * engine per session; every reconnect makes a new socket with the same auth state and caches.
 */
export function createBaileysEngineFactory(options: BaileysOptions): EngineFactory {
  const socketFactory: SocketFactory = options.socketFactory ?? ((config) => makeWASocket(config));
  return (context) => createBaileysEngine(context, options, socketFactory);
}

function createBaileysEngine(
  context: EngineContext,
  options: BaileysOptions,
  socketFactory: SocketFactory,
): WhatsAppEngine {
  const log = options.logger.child({ sessionId: context.sessionId });
  let auth: BaileysAuth | null = null;
  let sock: SocketLike | null = null;
  let open = false;
  let queue: Promise<void> = Promise.resolve();

  const own = () => ({ ownPhone: sock?.user?.id ?? null, ownLid: sock?.user?.lid ?? null });
  const emit = (event: EngineEvent) => context.emit(event);

  /**
   * A chat WhatsApp addresses only by its hidden id gets its phone id from the mapping Baileys has
   * persisted (offline: read from our store, no network), so the service files it under one chat.
   */
  const withKnownPhones = async (messages: EngineMessage[]): Promise<EngineMessage[]> => {
    const lidUsers = [
      ...new Set(
        messages.filter((m) => m.chatWaId.endsWith('@lid') && !m.chatAltWaId).map((m) => userOf(m.chatWaId)),
      ),
    ];
    if (lidUsers.length === 0 || !auth) {
      return messages;
    }
    const found = await auth.state.keys.get(
      'lid-mapping',
      lidUsers.map((user) => `${user}_reverse`),
    );
    return messages.map((m) => {
      const pnUser =
        m.chatWaId.endsWith('@lid') && !m.chatAltWaId ? found[`${userOf(m.chatWaId)}_reverse`] : undefined;
      return pnUser ? { ...m, chatAltWaId: `${pnUser}@c.us` } : m;
    });
  };

  const emitMessages = async (raw: WAMessage[], source: 'live' | 'history') => {
    const mapped = mapMessages(raw, { source, ...own() });
    if (mapped.messages.length > 0) {
      const messages = withMediaRefs(await withKnownPhones(mapped.messages), raw);
      emit({ type: 'messages', source, messages });
    }
    if (mapped.changes.length > 0) {
      emit({ type: 'message_changes', changes: mapped.changes });
    }
    for (const pair of mapped.identities) {
      emit({ type: 'identity', ...pair });
    }
  };

  const emitIdentity = (lid: string, pn: string) => {
    const hidden = toContractChatId(lid);
    const phone = toContractChatId(pn);
    if (hidden && phone) {
      emit({ type: 'identity', lid: hidden, phoneWaId: phone });
    }
  };

  const onEvents = async (socket: SocketLike, events: Partial<BaileysEventMap>) => {
    if (socket !== sock) {
      return; // a replaced socket's last words
    }
    const update = events['connection.update'];
    if (update) {
      await onConnection(socket, update);
    }
    if (events['creds.update'] && auth) {
      await auth.saveCreds();
    }
    const upsert = events['messages.upsert'];
    if (upsert) {
      await emitMessages(upsert.messages, 'live');
    }
    const history = events['messaging-history.set'];
    if (history) {
      for (const mapping of history.lidPnMappings ?? []) {
        emitIdentity(mapping.lid, mapping.pn);
      }
      await emitMessages(history.messages, 'history');
      emit({
        type: 'history_progress',
        progress: Math.max(0, Math.min(100, Math.round(history.progress ?? 0))),
        chats: history.chats.length,
        messages: history.messages.length,
      });
    }
    const statuses = [
      ...mapStatusUpdates(events['messages.update'] ?? []),
      ...mapReceipts(events['message-receipt.update'] ?? [], own()),
    ];
    if (statuses.length > 0) {
      emit({ type: 'message_status', updates: statuses });
    }
    const mapping = events['lid-mapping.update'];
    if (mapping) {
      emitIdentity(mapping.lid, mapping.pn);
    }
  };

  const onConnection = async (socket: SocketLike, update: Partial<BaileysEventMap['connection.update']>) => {
    if (update.qr) {
      emit({ type: 'qr', qr: update.qr, expiresAt: new Date(Date.now() + QR_LIFETIME_MS) });
    }
    if (update.connection === 'connecting') {
      emit({ type: 'connecting' });
    }
    if (update.connection === 'open') {
      open = true;
      const phone = toContractChatId(socket.user?.id);
      emit({
        type: 'ready',
        phoneNumber: phone ? phone.replace(/@.*$/, '') : '',
        displayName: socket.user?.name ?? socket.user?.notify ?? null,
      });
    }
    if (update.connection === 'close') {
      open = false;
      sock = null;
      const outcome = classifyClose(update.lastDisconnect?.error, auth?.paired() ?? false);
      log.info({ outcome: outcome.kind }, 'WhatsApp connection closed');
      if (outcome.kind === 'restart') {
        // Normal right after pairing: a new socket at once, with the same credentials.
        await connect();
        return;
      }
      if (outcome.kind === 'logged_out') {
        auth = null; // the supervisor deletes the stored credentials
      }
      emit({
        type: 'disconnected',
        reason: outcome.reason,
        loggedOut: outcome.kind === 'logged_out',
        permanent: outcome.kind === 'permanent',
      });
    }
  };

  const connect = async () => {
    auth ??= await loadBaileysAuth(context.credentials, log);
    const socket = socketFactory({
      auth: auth.state,
      logger: log.child({ module: 'baileys' }, { level: 'warn' }),
      browser: Browsers.ubuntu('Chrome'),
      // With true the phone stops showing notifications while we are connected.
      markOnlineOnConnect: false,
      syncFullHistory: false,
      // A recipient that could not decrypt asks for the message again: it is rebuilt from what we stored.
      getMessage: async (key) => {
        const text = key.id ? await context.sentText(key.id) : null;
        return text === null ? undefined : { conversation: text };
      },
      ...(options.version ? { version: options.version } : {}),
      ...(options.webSocketUrl ? { waWebSocketUrl: options.webSocketUrl } : {}),
    });
    sock = socket;
    // Baileys neither awaits handlers nor orders them, and turns a throw into an unhandled
    // rejection: handle each batch in turn, and catch here.
    socket.ev.process((events) => {
      queue = queue
        .then(() => onEvents(socket, events))
        .catch((err: unknown) => log.error({ err }, 'WhatsApp event handling failed'));
      return queue;
    });
  };

  const close = async (socket: SocketLike | null) => {
    if (!socket) {
      return;
    }
    try {
      await socket.end(undefined);
    } catch (err) {
      log.debug({ err }, 'socket end failed');
    }
  };

  const requireOpen = (): SocketLike => {
    if (!sock || !open) {
      throw new EngineError('not connected to WhatsApp', true);
    }
    return sock;
  };

  return {
    async start() {
      const previous = sock;
      sock = null;
      open = false;
      await close(previous);
      await connect();
    },

    async stop() {
      const previous = sock;
      sock = null;
      open = false;
      await close(previous);
    },

    async logout() {
      const previous = sock;
      sock = null;
      open = false;
      auth = null;
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
      const socket = requireOpen();
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
    },

    async markRead(chatWaId, waMessageIds) {
      const socket = requireOpen();
      const remoteJid = toBaileysJid(chatWaId);
      await socket.readMessages(waMessageIds.map((id) => ({ remoteJid, id, fromMe: false })));
    },

    async requestPairingCode(phoneNumber) {
      if (!sock) {
        throw new EngineError('pairing is only possible while the session waits for a link', false);
      }
      return sock.requestPairingCode(phoneNumber);
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
