import { createHash, randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import QRCode from 'qrcode';

import { ConflictError, NotFoundError } from '../../../http/errors.js';
import {
  type DeliveryStatus,
  type EngineContext,
  EngineError,
  type EngineEvent,
  type EngineFactory,
  type EngineMessage,
  type MessageType,
  type SendTextInput,
  type WhatsAppEngine,
} from '../engine.js';
import { newWaMessageId } from '../message-id.js';
import { parseWaAddress } from '../wa-address.js';

/**
 * An in-process stand-in for WhatsApp: the simulated phone and network of every session. It
 * behaves like the network where it matters to us: a QR that rotates, a link by scanning it,
 * drops with reconnects, messages that can arrive twice, sends that are acknowledged only when the
 * send call returns, and faults on demand.
 */

export interface SimulatorOptions {
  /** How often a pending QR is replaced (WhatsApp: about 20 s). */
  qrRotateMs: number;
  /** How many already-delivered messages are delivered again after a reconnect. */
  redeliverOnReconnect: number;
  /**
   * Where the network keeps what it received, one file per session, so that the record outlives
   * the process (a restarted process knows which message ids the network already has). In
   * memory only when null.
   */
  recordDir: string | null;
}

export interface Faults {
  /** The network is unreachable: the connection drops and reconnects fail until cleared. */
  offline: boolean;
  /** Share of sends that fail with a transient error, 0..1. */
  sendFailRate: number;
  /** Delay before a send is acknowledged. */
  sendLatencyMs: number;
}

export interface OutgoingRecord {
  waMessageId: string;
  to: string;
  text: string;
  quotedWaMessageId: string | null;
  at: string;
}

/** A message the network received, with how many times it received that id. */
export interface OutgoingView extends OutgoingRecord {
  /** 1 for a message sent once; more when the same id was sent again (one message on the phone). */
  deliveries: number;
}

export interface IncomingInput {
  from: string;
  pushName?: string | undefined;
  text: string;
  type?: MessageType | undefined;
  waMessageId?: string | undefined;
  timestamp?: Date | undefined;
  /** The linked phone itself wrote this to `from` (WhatsApp reports our own messages too). */
  fromMe?: boolean | undefined;
}

export interface HistoryInput {
  chats: number;
  messagesPerChat: number;
  /** Messages per history batch (WhatsApp sends history in chunks). */
  batchSize: number;
}

interface Account {
  phoneNumber: string;
  displayName: string | null;
}

type State = 'idle' | 'qr' | 'connecting' | 'ready';

interface SimEngine extends WhatsAppEngine {
  state(): State;
  emit(event: EngineEvent): void;
  link(account: Account): Promise<void>;
  drop(reason: string, loggedOut: boolean): Promise<void>;
}

interface Phone {
  engine: SimEngine | null;
  faults: Faults;
  /** Distinct messages the network received, first receipt of each id, in order. */
  outgoing: OutgoingRecord[];
  /** How many times the network received each id. */
  deliveries: Map<string, number>;
  receipts: { chatWaId: string; waMessageIds: string[]; at: string }[];
  /** Delivered incoming messages, newest last (bounded): what a reconnect may deliver again. */
  delivered: EngineMessage[];
  /** Events that happened while the session was not connected; delivered on the next ready. */
  backlog: EngineEvent[];
}

const ACCOUNT_KEY = 'simulator:account';
const DOWNLOADABLE = new Set<MessageType>(['image', 'video', 'audio', 'voice', 'document', 'sticker']);
const MAX_REMEMBERED = 50;

const MEDIA_SAMPLES: Partial<Record<MessageType, EngineMessage['media']>> = {
  image: { mimetype: 'image/png', size: 48_213, width: 320, height: 320 },
  video: { mimetype: 'video/mp4', size: 1_532_888, duration: 14, width: 720, height: 1280 },
  audio: { mimetype: 'audio/mpeg', size: 402_112, duration: 25 },
  voice: { mimetype: 'audio/ogg; codecs=opus', size: 18_940, duration: 7 },
  document: { mimetype: 'application/pdf', size: 220_471, fileName: 'invoice.pdf' },
  sticker: { mimetype: 'image/webp', size: 21_004, width: 512, height: 512 },
  location: { latitude: 55.7558, longitude: 37.6173 },
  contact: { vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ivan Petrov\nTEL;type=CELL:+79990001122\nEND:VCARD' },
};

/**
 * What the network received, as a file of one JSON line per receipt: appended synchronously
 * before the send is acknowledged, so a process killed right after cannot lose it.
 */
function createOutgoingRecord(dir: string | null) {
  const fileOf = (sessionId: string) => {
    // Session ids are UUIDs; anything else still maps to one safe file name.
    const name = /^[\w-]{1,128}$/.test(sessionId)
      ? sessionId
      : createHash('sha256').update(sessionId).digest('hex');
    return join(dir!, `${name}.jsonl`);
  };
  let dirMade = false;
  return {
    load(sessionId: string): OutgoingRecord[] {
      if (!dir) {
        return [];
      }
      let text: string;
      try {
        text = readFileSync(fileOf(sessionId), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          return [];
        }
        throw err;
      }
      if (text !== '' && !text.endsWith('\n')) {
        // End the cut line, so that the next receipt starts a line of its own.
        appendFileSync(fileOf(sessionId), '\n');
      }
      const records: OutgoingRecord[] = [];
      for (const line of text.split('\n')) {
        if (line.trim() === '') {
          continue;
        }
        try {
          records.push(JSON.parse(line) as OutgoingRecord);
        } catch {
          // A line cut short by a crash mid-write: the send it belonged to was never acknowledged.
        }
      }
      return records;
    },
    append(sessionId: string, record: OutgoingRecord) {
      if (!dir) {
        return;
      }
      if (!dirMade) {
        mkdirSync(dir, { recursive: true });
        dirMade = true;
      }
      appendFileSync(fileOf(sessionId), `${JSON.stringify(record)}\n`);
    },
    remove(sessionId: string) {
      if (dir) {
        rmSync(fileOf(sessionId), { force: true });
      }
    },
  };
}

type OutgoingStore = ReturnType<typeof createOutgoingRecord>;

function receive(p: Phone, record: OutgoingRecord) {
  const seen = p.deliveries.get(record.waMessageId) ?? 0;
  p.deliveries.set(record.waMessageId, seen + 1);
  // The network knows each message id once: a retried send is not a second message.
  if (seen === 0) {
    p.outgoing.push(record);
  }
}

export function createSimulatorNetwork(options: SimulatorOptions) {
  const phones = new Map<string, Phone>();
  const record = createOutgoingRecord(options.recordDir);

  const phone = (sessionId: string): Phone => {
    let p = phones.get(sessionId);
    if (!p) {
      p = {
        engine: null,
        faults: { offline: false, sendFailRate: 0, sendLatencyMs: 0 },
        outgoing: [],
        deliveries: new Map(),
        receipts: [],
        delivered: [],
        backlog: [],
      };
      for (const received of record.load(sessionId)) {
        receive(p, received);
      }
      phones.set(sessionId, p);
    }
    return p;
  };

  /** Delivers now when connected, otherwise when the session next becomes ready. */
  const deliver = (p: Phone, event: EngineEvent) => {
    if (p.engine?.state() === 'ready' && !p.faults.offline) {
      p.engine.emit(event);
    } else {
      p.backlog.push(event);
    }
  };

  const engineFactory: EngineFactory = (context) => {
    const p = phone(context.sessionId);
    const engine = createSimulatorEngine(context, p, options, record);
    p.engine = engine;
    return engine;
  };

  return {
    engineFactory,

    /** The phone scans the pending QR (or confirms a pairing code): the session links. */
    async scan(
      sessionId: string,
      account: { phoneNumber?: string | undefined; displayName?: string | undefined },
    ) {
      const engine = phones.get(sessionId)?.engine;
      if (engine?.state() !== 'qr') {
        throw new ConflictError('NO_QR_PENDING', `Session '${sessionId}' is not waiting for a QR scan`);
      }
      const phoneNumber = account.phoneNumber ?? `7999${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
      await engine.link({ phoneNumber, displayName: account.displayName ?? null });
      return { phoneNumber };
    },

    /** A contact sends a message to the session's number. */
    incoming(sessionId: string, input: IncomingInput): EngineMessage {
      const p = phone(sessionId);
      const address = parseWaAddress(input.from);
      if (!address || address.kind === 'lid') {
        throw new ConflictError('INVALID_SENDER', `'${input.from}' is not a phone number or a chat id`);
      }
      const type = input.type ?? 'text';
      const sender =
        address.kind === 'person'
          ? { waId: address.waChatId, phoneNumber: address.phoneNumber, name: input.pushName ?? null }
          : { waId: null, phoneNumber: null, name: input.pushName ?? null };
      const fromMe = input.fromMe ?? false;
      const waMessageId = input.waMessageId ?? newWaMessageId();
      const message: EngineMessage = {
        waMessageId,
        chatWaId: address.waChatId,
        fromMe,
        status: fromMe ? 'sent' : null,
        type,
        body: input.text,
        timestamp: input.timestamp ?? new Date(),
        sender: fromMe ? { waId: null, phoneNumber: null, name: null } : sender,
        chatName: address.kind === 'person' && !fromMe ? (input.pushName ?? null) : null,
        isGroup: address.kind === 'group',
        media: MEDIA_SAMPLES[type] ?? null,
        mediaRef: DOWNLOADABLE.has(type) ? JSON.stringify({ type, waMessageId }) : null,
      };
      p.delivered.push(message);
      if (p.delivered.length > MAX_REMEMBERED) {
        p.delivered.shift();
      }
      deliver(p, { type: 'messages', source: 'live', messages: [message] });
      return message;
    },

    /** WhatsApp reports delivery, reading or playing of a message the session sent. */
    status(sessionId: string, waMessageId: string, status: DeliveryStatus) {
      const p = phone(sessionId);
      const sent = p.outgoing.find((o) => o.waMessageId === waMessageId);
      if (!sent) {
        throw new NotFoundError('MESSAGE_NOT_FOUND', `The network never received a message '${waMessageId}'`);
      }
      deliver(p, { type: 'message_status', updates: [{ waMessageId, chatWaId: sent.to, status }] });
    },

    /** The connection drops; it reconnects by itself unless the phone logged the device out. */
    async drop(sessionId: string, input: { loggedOut?: boolean | undefined; reason?: string | undefined }) {
      const engine = phones.get(sessionId)?.engine;
      if (!engine || engine.state() === 'idle') {
        throw new ConflictError('NOT_CONNECTED', `Session '${sessionId}' has no connection to drop`);
      }
      const loggedOut = input.loggedOut ?? false;
      await engine.drop(
        input.reason ?? (loggedOut ? 'logged out from the phone' : 'connection lost'),
        loggedOut,
      );
    },

    /** Distinct messages the network received, in order, each with how often its id arrived. */
    outgoing(sessionId: string): OutgoingView[] {
      const p = phone(sessionId);
      return p.outgoing.map((o) => ({ ...o, deliveries: p.deliveries.get(o.waMessageId) ?? 1 }));
    },

    receipts(sessionId: string) {
      return [...phone(sessionId).receipts];
    },

    async setFaults(sessionId: string, faults: Partial<Faults>): Promise<Faults> {
      const p = phone(sessionId);
      p.faults = { ...p.faults, ...faults };
      if (p.faults.offline && p.engine && p.engine.state() !== 'idle') {
        await p.engine.drop('network unreachable', false);
      }
      return { ...p.faults };
    },

    /**
     * The linked phone sends its chat history, as WhatsApp does after linking: batches of
     * messages (both directions) with progress reports. Returns how many messages were sent.
     */
    history(sessionId: string, input: HistoryInput): { chats: number; messages: number } {
      const p = phone(sessionId);
      if (p.engine?.state() !== 'ready') {
        throw new ConflictError('NOT_CONNECTED', `Session '${sessionId}' is not connected`);
      }
      const total = input.chats * input.messagesPerChat;
      const start = Date.now() - total * 1000;
      const batches: EngineMessage[][] = [];
      let batch: EngineMessage[] = [];
      for (let c = 0; c < input.chats; c++) {
        const phoneNumber = `7900${String(c).padStart(7, '0')}`;
        const chatWaId = `${phoneNumber}@c.us`;
        for (let m = 0; m < input.messagesPerChat; m++) {
          const fromMe = m % 3 === 2;
          batch.push({
            waMessageId: `HIST${sessionId.slice(0, 8).toUpperCase()}${String(c * input.messagesPerChat + m).padStart(10, '0')}`,
            chatWaId,
            fromMe,
            type: 'text',
            body: `History message ${m + 1} with contact ${c + 1}`,
            timestamp: new Date(start + (c * input.messagesPerChat + m) * 1000),
            sender: fromMe
              ? { waId: null, phoneNumber: null, name: null }
              : { waId: chatWaId, phoneNumber, name: `Contact ${c + 1}` },
            chatName: `Contact ${c + 1}`,
            isGroup: false,
            status: fromMe ? 'read' : null,
          });
          if (batch.length === input.batchSize) {
            batches.push(batch);
            batch = [];
          }
        }
      }
      if (batch.length > 0) {
        batches.push(batch);
      }
      let sent = 0;
      for (const messages of batches) {
        sent += messages.length;
        p.engine.emit({ type: 'messages', source: 'history', messages });
        p.engine.emit({
          type: 'history_progress',
          progress: Math.round((sent / Math.max(1, total)) * 100),
          chats: input.chats,
          messages: sent,
        });
      }
      return { chats: input.chats, messages: total };
    },

    /** Forgets a deleted session's phone, and what its network received. */
    forget(sessionId: string) {
      phones.delete(sessionId);
      record.remove(sessionId);
    },
  };
}

export type SimulatorNetwork = ReturnType<typeof createSimulatorNetwork>;

function createSimulatorEngine(
  context: EngineContext,
  phone: Phone,
  options: SimulatorOptions,
  record: OutgoingStore,
): SimEngine {
  let state: State = 'idle';
  let qrTimer: NodeJS.Timeout | undefined;
  let linkedBefore = false;

  const emit = (event: EngineEvent) => {
    if (state !== 'idle') {
      context.emit(event);
    }
  };

  const clearQr = () => {
    clearInterval(qrTimer);
    qrTimer = undefined;
  };

  const showQr = () => {
    const qr = `sim-wa:${randomBytes(24).toString('base64url')}`;
    emit({ type: 'qr', qr, expiresAt: new Date(Date.now() + options.qrRotateMs) });
  };

  const becomeReady = (account: Account) => {
    state = 'ready';
    emit({ type: 'ready', phoneNumber: account.phoneNumber, displayName: account.displayName });
    // Like WhatsApp's offline backlog: what arrived while away, and a few messages again.
    const backlog = phone.backlog.splice(0);
    if (linkedBefore && options.redeliverOnReconnect > 0) {
      const again = phone.delivered.slice(-options.redeliverOnReconnect);
      if (again.length > 0) {
        emit({ type: 'messages', source: 'live', messages: again });
      }
    }
    for (const event of backlog) {
      emit(event);
    }
    linkedBefore = true;
  };

  const readAccount = async (): Promise<Account | null> => {
    const stored = (await context.credentials.get([ACCOUNT_KEY])).get(ACCOUNT_KEY);
    return stored ? (JSON.parse(stored) as Account) : null;
  };

  const engine: SimEngine = {
    state: () => state,
    emit,

    async start() {
      clearQr();
      state = 'connecting';
      const account = await readAccount();
      if (phone.faults.offline) {
        state = 'idle';
        context.emit({ type: 'disconnected', reason: 'network unreachable', loggedOut: false });
        return;
      }
      if (account) {
        emit({ type: 'connecting' });
        // The handshake completes on a later tick, as a real connection would.
        setImmediate(() => {
          if (state === 'connecting') {
            becomeReady(account);
          }
        });
        return;
      }
      state = 'qr';
      showQr();
      qrTimer = setInterval(showQr, options.qrRotateMs);
      qrTimer.unref();
    },

    async link(account) {
      clearQr();
      await context.credentials.set({ [ACCOUNT_KEY]: JSON.stringify(account) });
      state = 'connecting';
      emit({ type: 'connecting' });
      becomeReady(account);
    },

    async drop(reason, loggedOut) {
      clearQr();
      if (loggedOut) {
        await context.credentials.clear();
      }
      state = 'idle';
      context.emit({ type: 'disconnected', reason, loggedOut });
    },

    stop() {
      clearQr();
      state = 'idle';
      return Promise.resolve();
    },

    async logout() {
      clearQr();
      state = 'idle';
      await context.credentials.clear();
    },

    async sendText(input: SendTextInput) {
      if (state !== 'ready' || phone.faults.offline) {
        throw new EngineError('not connected to WhatsApp', true);
      }
      if (phone.faults.sendLatencyMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, phone.faults.sendLatencyMs));
        if (state !== 'ready') {
          throw new EngineError('connection lost while sending', true);
        }
      }
      if (phone.faults.sendFailRate > 0 && Math.random() < phone.faults.sendFailRate) {
        throw new EngineError('simulated send failure', true);
      }
      const received: OutgoingRecord = {
        waMessageId: input.waMessageId,
        to: input.to,
        text: input.text,
        quotedWaMessageId: input.quoted?.waMessageId ?? null,
        at: new Date().toISOString(),
      };
      // On disk before the send is acknowledged: the network has it even if the process dies now.
      record.append(context.sessionId, received);
      receive(phone, received);
      return { timestamp: new Date() };
    },

    markRead(chatWaId, waMessageIds) {
      if (state !== 'ready') {
        return Promise.reject(new EngineError('not connected to WhatsApp', true));
      }
      phone.receipts.push({ chatWaId, waMessageIds, at: new Date().toISOString() });
      return Promise.resolve();
    },

    requestPairingCode(_phoneNumber) {
      if (state !== 'qr') {
        return Promise.reject(
          new EngineError('pairing is only possible while the session waits for a link', false),
        );
      }
      const alphabet = 'ABCDEFGHJKLMNPQRSTVWXYZ23456789';
      const code = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
      emit({ type: 'pairing_code', code });
      return Promise.resolve(code);
    },

    async downloadMedia(mediaRef) {
      if (state !== 'ready') {
        throw new EngineError('not connected to WhatsApp', true);
      }
      const { type, waMessageId } = JSON.parse(mediaRef) as { type: MessageType; waMessageId: string };
      // Plausible bytes: a real PNG for pictures, a labelled file for the rest.
      const bytes =
        type === 'image'
          ? await QRCode.toBuffer(`simulated image ${waMessageId}`, { type: 'png', width: 320 })
          : Buffer.from(`Simulated ${type} of message ${waMessageId}\n`);
      return {
        stream: Readable.from([bytes]),
        mimetype: MEDIA_SAMPLES[type]?.mimetype ?? 'application/octet-stream',
      };
    },

    isOnWhatsApp(_phoneNumber) {
      if (state !== 'ready') {
        return Promise.reject(new EngineError('not connected to WhatsApp', true));
      }
      return Promise.resolve(true);
    },
  };
  return engine;
}
