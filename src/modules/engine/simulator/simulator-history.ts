import type { EngineMessage } from '../engine.js';

export interface HistoryInput {
  chats: number;
  messagesPerChat: number;
  /** Messages per history batch (WhatsApp sends history in chunks). */
  batchSize: number;
}

/**
 * The chat history a linked phone sends: `chats` contacts with `messagesPerChat` messages each
 * (both directions), one second apart and ending now, cut into batches of `batchSize`.
 */
export function historyBatches(sessionId: string, input: HistoryInput): EngineMessage[][] {
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
  return batches;
}
