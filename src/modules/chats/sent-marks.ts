import type { FastifyBaseLogger } from 'fastify';

import type { MessageRow } from './messages.table.js';
import type { SendQueueRepository } from './send-queue.repository.js';

/**
 * Marks one session's sent messages without holding up the next send: whatever the engine took
 * while a mark was in progress is marked by the next statement, so a fast network costs one
 * statement per batch and a slow one (each send taking longer than a mark) still sees each message
 * marked at once.
 */
export function createSentMarks(deps: {
  sessionId: string;
  queue: Pick<SendQueueRepository, 'markSent'>;
  log: FastifyBaseLogger;
  /** Announces a message as it is stored now (sent, or further along). */
  announce: (row: MessageRow) => void;
}) {
  /** Sent by the engine, not yet marked sent in the database. */
  let waiting: MessageRow[] = [];
  /** Marks in progress; the next batch waits for them. */
  let marking: Promise<void> | undefined;

  const markAll = async () => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const rows = await deps.queue.markSent(batch.map((m) => m.id));
        for (const message of batch) {
          deps.log.info(
            {
              companyId: message.companyId,
              sessionId: message.sessionId,
              messageId: message.id,
              waMessageId: message.waMessageId,
            },
            'message sent',
          );
          const row = rows.get(message.id);
          if (row) {
            deps.announce(row);
          }
        }
      } catch (err) {
        // Still pending, so sent again later with the same WhatsApp id: the network keeps one.
        deps.log.error({ err, sessionId: deps.sessionId }, 'could not mark messages sent');
      }
    }
  };

  return {
    /** The engine took this message: mark it sent soon. */
    add(message: MessageRow): void {
      waiting.push(message);
      marking ??= markAll().finally(() => {
        marking = undefined;
      });
    },

    /** Settles once every message added so far is marked (or could not be, and stays pending). */
    async done(): Promise<void> {
      await marking;
    },
  };
}

export type SentMarks = ReturnType<typeof createSentMarks>;
