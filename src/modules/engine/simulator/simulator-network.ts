import { randomInt } from 'node:crypto';

import { ConflictError, NotFoundError } from '../../../http/errors.js';
import type { DeliveryStatus, EngineEvent, EngineFactory, EngineMessage, MessageType } from '../engine.js';
import { newWaMessageId } from '../message-id.js';
import { parseWaAddress } from '../wa-address.js';
import { createSimulatorEngine, type SimulatorEngineOptions } from './simulator-engine.js';
import { historyBatches, type HistoryInput } from './simulator-history.js';
import { type Faults, MEDIA_SAMPLES, type Phone, receive } from './simulator-phone.js';
import { createOutgoingRecord, type OutgoingRecord } from './simulator-record.js';

/**
 * An in-process stand-in for WhatsApp: the simulated phone and network of every session. It
 * behaves like the network where it matters to us: a QR that rotates, a link by scanning it,
 * drops with reconnects, messages that can arrive twice, sends that are acknowledged only when the
 * send call returns, and faults on demand.
 */

export interface SimulatorOptions extends SimulatorEngineOptions {
  /**
   * Where the network keeps what it received, one file per session, so that the record outlives
   * the process (a restarted process knows which message ids the network already has). In
   * memory only when null.
   */
  recordDir: string | null;
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

export type { HistoryInput } from './simulator-history.js';

const DOWNLOADABLE = new Set<MessageType>(['image', 'video', 'audio', 'voice', 'document', 'sticker']);
const MAX_REMEMBERED = 50;

/** The message a contact (or the linked phone itself) writes, as the session's engine reports it. */
function incomingMessage(input: IncomingInput): EngineMessage {
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
  return {
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
      const message = incomingMessage(input);
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
      const batches = historyBatches(sessionId, input);
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
