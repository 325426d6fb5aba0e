import type { EngineEvent, EngineMessage, MessageType, WhatsAppEngine } from '../engine.js';
import type { OutgoingRecord } from './simulator-record.js';

/** The simulated phone of one session, and what the network knows about it. */

export interface Faults {
  /** The network is unreachable: the connection drops and reconnects fail until cleared. */
  offline: boolean;
  /** Share of sends that fail with a transient error, 0..1. */
  sendFailRate: number;
  /** Delay before a send is acknowledged. */
  sendLatencyMs: number;
}

export interface Account {
  phoneNumber: string;
  displayName: string | null;
}

export type State = 'idle' | 'qr' | 'connecting' | 'ready';

export interface SimEngine extends WhatsAppEngine {
  state(): State;
  emit(event: EngineEvent): void;
  link(account: Account): Promise<void>;
  drop(reason: string, loggedOut: boolean): Promise<void>;
}

export interface Phone {
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

export const MEDIA_SAMPLES: Partial<Record<MessageType, EngineMessage['media']>> = {
  image: { mimetype: 'image/png', size: 48_213, width: 320, height: 320 },
  video: { mimetype: 'video/mp4', size: 1_532_888, duration: 14, width: 720, height: 1280 },
  audio: { mimetype: 'audio/mpeg', size: 402_112, duration: 25 },
  voice: { mimetype: 'audio/ogg; codecs=opus', size: 18_940, duration: 7 },
  document: { mimetype: 'application/pdf', size: 220_471, fileName: 'invoice.pdf' },
  sticker: { mimetype: 'image/webp', size: 21_004, width: 512, height: 512 },
  location: { latitude: 55.7558, longitude: 37.6173 },
  contact: { vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ivan Petrov\nTEL;type=CELL:+79990001122\nEND:VCARD' },
};

/** The network receives a message the session sent. */
export function receive(p: Phone, record: OutgoingRecord) {
  const seen = p.deliveries.get(record.waMessageId) ?? 0;
  p.deliveries.set(record.waMessageId, seen + 1);
  // The network knows each message id once: a retried send is not a second message.
  if (seen === 0) {
    p.outgoing.push(record);
  }
}
