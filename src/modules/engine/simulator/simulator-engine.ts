import { randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';

import QRCode from 'qrcode';

import {
  type EngineContext,
  EngineError,
  type EngineEvent,
  type MessageType,
  type SendTextInput,
} from '../engine.js';
import {
  type Account,
  MEDIA_SAMPLES,
  type Phone,
  receive,
  type SimEngine,
  type State,
} from './simulator-phone.js';
import type { OutgoingRecord, OutgoingStore } from './simulator-record.js';

/** How the simulated connection behaves. */
export interface SimulatorEngineOptions {
  /** How often a pending QR is replaced (WhatsApp: about 20 s). */
  qrRotateMs: number;
  /** How many already-delivered messages are delivered again after a reconnect. */
  redeliverOnReconnect: number;
}

const ACCOUNT_KEY = 'simulator:account';
const PAIRING_ALPHABET = 'ABCDEFGHJKLMNPQRSTVWXYZ23456789';

/** An 8-character pairing code, as WhatsApp shows for linking by phone number. */
function pairingCode(): string {
  return Array.from({ length: 8 }, () => PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)]).join('');
}

/** A message the session sends, through the phone's faults to the network, which records it. */
async function sendOnNetwork(
  input: SendTextInput,
  sessionId: string,
  phone: Phone,
  record: OutgoingStore,
  state: () => State,
) {
  if (state() !== 'ready' || phone.faults.offline) {
    throw new EngineError('not connected to WhatsApp', true);
  }
  if (phone.faults.sendLatencyMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, phone.faults.sendLatencyMs));
    if (state() !== 'ready') {
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
  record.append(sessionId, received);
  receive(phone, received);
  return { timestamp: new Date() };
}

/** The media of a message: plausible bytes, a real PNG for pictures, a labelled file for the rest. */
async function sampleMedia(mediaRef: string) {
  const { type, waMessageId } = JSON.parse(mediaRef) as { type: MessageType; waMessageId: string };
  const bytes =
    type === 'image'
      ? await QRCode.toBuffer(`simulated image ${waMessageId}`, { type: 'png', width: 320 })
      : Buffer.from(`Simulated ${type} of message ${waMessageId}\n`);
  return {
    stream: Readable.from([bytes]),
    mimetype: MEDIA_SAMPLES[type]?.mimetype ?? 'application/octet-stream',
  };
}

/** The engine of one session on its simulated phone: the port's adapter. */
export function createSimulatorEngine(
  context: EngineContext,
  phone: Phone,
  options: SimulatorEngineOptions,
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

    sendText(input: SendTextInput) {
      return sendOnNetwork(input, context.sessionId, phone, record, () => state);
    },

    markRead(chatWaId, messages) {
      if (state !== 'ready') {
        return Promise.reject(new EngineError('not connected to WhatsApp', true));
      }
      // The simulated network has no senders to tell apart: a receipt names the chat and messages.
      const waMessageIds = messages.map((m) => m.waMessageId);
      phone.receipts.push({ chatWaId, waMessageIds, at: new Date().toISOString() });
      return Promise.resolve();
    },

    requestPairingCode(_phoneNumber) {
      if (state !== 'qr') {
        return Promise.reject(
          new EngineError('pairing is only possible while the session waits for a link', false),
        );
      }
      const code = pairingCode();
      emit({ type: 'pairing_code', code });
      return Promise.resolve(code);
    },

    async downloadMedia(mediaRef) {
      if (state !== 'ready') {
        throw new EngineError('not connected to WhatsApp', true);
      }
      return sampleMedia(mediaRef);
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
