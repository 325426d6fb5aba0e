import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';

import type { Db } from '../../db/client.js';
import type { EventBus } from '../../events/event-bus.js';
import { EngineError } from '../engine/engine.js';
import type { SessionRef, SessionSupervisor } from '../sessions/session-supervisor.js';
import { chats } from './chats.table.js';
import { emitMessageStatus } from './message-events.js';
import type { MessagesRepository } from './messages.repository.js';
import { type MessageRow, messages } from './messages.table.js';
import { toMessageDto } from './presenters.js';

export interface SendPolicy {
  /** Messages per minute per session; 0 turns pacing off. */
  perMinute: number;
  /** How many may go at once before pacing applies. */
  burst: number;
  /** Attempts before a message is marked failed. */
  maxAttempts: number;
  /** First retry delay; doubles with each attempt. */
  retryDelayMs: number;
}

/** A token bucket: `burst` at once, then `perMinute` spread over the minute. */
export function createPacer(policy: Pick<SendPolicy, 'perMinute' | 'burst'>, now: () => number) {
  let tokens = policy.burst;
  let updatedAt = now();
  const perMs = policy.perMinute / 60_000;
  return {
    /** Takes a token and returns 0, or returns how many ms until one is available. */
    take(): number {
      if (policy.perMinute <= 0) {
        return 0;
      }
      const t = now();
      tokens = Math.min(policy.burst, tokens + (t - updatedAt) * perMs);
      updatedAt = t;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - tokens) / perMs);
    },
  };
}

/**
 * How many queued messages the sender reads at once (it still sends and marks them one by one),
 * and for how long what it read is used before the queue is read again (a chat may have merged).
 */
const QUEUE_BATCH = 100;
const QUEUE_FRESH_MS = 1_000;

/** A send WhatsApp has not acknowledged by then is retried (with the same id, so never doubled). */
const SEND_TIMEOUT_MS = 30_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EngineError('WhatsApp did not acknowledge the send in time', true)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Worker {
  ref: SessionRef;
  running: boolean;
  /** A kick arrived while running: look at the queue once more before stopping. */
  again: boolean;
  timer: NodeJS.Timeout | undefined;
  pacer: ReturnType<typeof createPacer>;
  /** Sent by the engine, not yet marked sent in the database. */
  toMark: MessageRow[];
  /** Marks in progress; the next batch waits for them. */
  marking: Promise<void> | undefined;
}

/**
 * Delivers accepted messages: one worker per session takes the oldest pending message, paces,
 * sends it through the engine with the WhatsApp id chosen at acceptance (so a retry after a crash
 * is the same message, not a second one), retries transient failures with backoff, and marks the
 * message sent or failed. What is pending survives restarts and resumes when the session is ready.
 */
export function createSender(deps: {
  db: Db;
  messages: MessagesRepository;
  supervisor: Pick<SessionSupervisor, 'isReady' | 'readyEngine'>;
  events: EventBus;
  log: FastifyBaseLogger;
  policy: SendPolicy;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const workers = new Map<string, Worker>();
  let stopped = false;
  // The head of a session's queue, oldest first, with the chat each message goes to: one statement
  // per QUEUE_BATCH messages instead of two per message.
  const nextInQueue = deps.db
    .select({ message: messages, to: chats.waChatId })
    .from(messages)
    .innerJoin(chats, eq(chats.id, messages.chatId))
    .where(and(eq(messages.sessionId, sql.placeholder('sessionId')), eq(messages.status, 'pending')))
    .orderBy(asc(messages.id))
    .limit(QUEUE_BATCH)
    .prepare('sender_next_in_queue');

  const workerFor = (ref: SessionRef): Worker => {
    let worker = workers.get(ref.sessionId);
    if (!worker) {
      worker = {
        ref,
        running: false,
        again: false,
        timer: undefined,
        pacer: createPacer(deps.policy, now),
        toMark: [],
        marking: undefined,
      };
      workers.set(ref.sessionId, worker);
    }
    return worker;
  };

  const wakeAfter = (worker: Worker, ms: number) => {
    clearTimeout(worker.timer);
    worker.timer = setTimeout(() => kick(worker.ref), Math.max(1, ms));
    worker.timer.unref();
  };

  const emitOutcome = (row: MessageRow) => {
    const ref = { companyId: row.companyId, sessionId: row.sessionId };
    if (row.status === 'sent') {
      deps.events.emit('message.sent', { ...ref, chatId: row.chatId, message: toMessageDto(row) });
    }
    emitMessageStatus(deps.events, row);
  };

  /** Sends one message to `to` (its chat); returns false when the worker should stop for now. */
  const sendOne = async (worker: Worker, message: MessageRow, to: string): Promise<boolean> => {
    const [quoted] = message.quotedWaMessageId
      ? await deps.db
          .select({ waMessageId: messages.waMessageId, fromMe: messages.fromMe, body: messages.body })
          .from(messages)
          .where(
            and(
              eq(messages.sessionId, message.sessionId),
              eq(messages.waMessageId, message.quotedWaMessageId),
            ),
          )
      : [];
    try {
      await withTimeout(
        deps.supervisor.readyEngine(message.sessionId).sendText({
          to,
          text: message.body ?? '',
          waMessageId: message.waMessageId,
          quoted: quoted ?? null,
        }),
        SEND_TIMEOUT_MS,
      );
    } catch (err) {
      const transient = !(err instanceof EngineError) || err.transient;
      const reason = err instanceof Error ? err.message : 'send failed';
      const attempts = message.attempts + 1;
      const log = deps.log.child({
        companyId: message.companyId,
        sessionId: message.sessionId,
        messageId: message.id,
      });
      // The messages sent before this one reach their status first.
      await worker.marking;
      if (!transient || attempts >= deps.policy.maxAttempts) {
        log.warn({ attempts, reason }, 'message failed');
        const failed = await deps.messages.markFailed(message.id, reason);
        if (failed) {
          emitOutcome(failed);
        }
        return true;
      }
      const delay = deps.policy.retryDelayMs * 2 ** (attempts - 1);
      log.info({ attempts, delayMs: delay, reason }, 'send will be retried');
      await deps.messages.scheduleRetry(message.id, attempts, new Date(now() + delay), reason);
      wakeAfter(worker, delay);
      return false;
    }
    markSoon(worker, message);
    return true;
  };

  /**
   * Marks sent messages without holding up the next send: whatever the engine took while a mark
   * was in progress is marked by the next statement, so a fast network costs one statement per
   * batch and a slow one (each send taking longer than a mark) still sees each message marked at once.
   */
  const markSoon = (worker: Worker, message: MessageRow) => {
    worker.toMark.push(message);
    worker.marking ??= markAll(worker).finally(() => {
      worker.marking = undefined;
    });
  };

  const markAll = async (worker: Worker) => {
    while (worker.toMark.length > 0) {
      const batch = worker.toMark;
      worker.toMark = [];
      try {
        const rows = await markSent(batch.map((m) => m.id));
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
            emitOutcome(row);
          }
        }
      } catch (err) {
        // Still pending, so sent again later with the same WhatsApp id: the network keeps one.
        deps.log.error({ err, sessionId: worker.ref.sessionId }, 'could not mark messages sent');
      }
    }
  };

  /**
   * WhatsApp accepted these messages. A status report may have overtaken a send call (the echo of
   * our own message can arrive first), in which case that message is already further along.
   */
  const markSent = async (ids: string[]): Promise<Map<string, MessageRow>> => {
    const updated = await deps.db
      .update(messages)
      .set({ status: 'sent', error: null, nextAttemptAt: null })
      .where(and(inArray(messages.id, ids), eq(messages.status, 'pending')))
      .returning();
    const rows = new Map(updated.map((m) => [m.id, m]));
    const rest = ids.filter((id) => !rows.has(id));
    if (rest.length > 0) {
      for (const current of await deps.db.select().from(messages).where(inArray(messages.id, rest))) {
        rows.set(current.id, current);
      }
    }
    return rows;
  };

  const run = async (worker: Worker) => {
    try {
      await walk(worker);
    } finally {
      await worker.marking;
    }
  };

  const walk = async (worker: Worker) => {
    const { sessionId } = worker.ref;
    for (;;) {
      worker.again = false;
      // What was sent is marked before the queue is read again, or it would be read as pending.
      await worker.marking;
      if (stopped || !deps.supervisor.isReady(sessionId)) {
        return; // resumes on the session's next ready
      }
      const queue = await nextInQueue.execute({ sessionId });
      if (queue.length === 0) {
        return;
      }
      const readAt = now();
      // In order; whatever stops the walk (not ready, not due, paced, a retry) stops it for the rest.
      for (const { message, to } of queue) {
        if (stopped || !deps.supervisor.isReady(sessionId)) {
          return;
        }
        if (now() - readAt > QUEUE_FRESH_MS) {
          break; // read the queue again: what was read is trusted for a moment only
        }
        const dueIn = (message.nextAttemptAt?.getTime() ?? 0) - now();
        if (dueIn > 0) {
          wakeAfter(worker, dueIn);
          return;
        }
        const wait = worker.pacer.take();
        if (wait > 0) {
          wakeAfter(worker, wait);
          return;
        }
        if (!(await sendOne(worker, message, to))) {
          return;
        }
      }
    }
  };

  function kick(ref: SessionRef): void {
    const worker = workerFor(ref);
    if (worker.running) {
      worker.again = true;
      return;
    }
    worker.running = true;
    clearTimeout(worker.timer);
    worker.timer = undefined;
    void run(worker)
      .catch((err: unknown) => {
        deps.log.error({ err, sessionId: ref.sessionId }, 'sender failed; retrying shortly');
        wakeAfter(worker, deps.policy.retryDelayMs);
      })
      .finally(() => {
        worker.running = false;
        if (worker.again && !stopped) {
          kick(ref);
        }
      });
  }

  return {
    /** Something may be sendable now for this session (a new message, the session came online). */
    kick,

    /** Waits until no worker is running (tests, shutdown). */
    async idle(): Promise<void> {
      while ([...workers.values()].some((w) => w.running)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },

    /** Stops taking new work and waits for sends in flight (each is bounded by SEND_TIMEOUT_MS). */
    async stop(): Promise<void> {
      stopped = true;
      for (const worker of workers.values()) {
        clearTimeout(worker.timer);
      }
      await this.idle();
    },

    forget(sessionId: string): void {
      clearTimeout(workers.get(sessionId)?.timer);
      workers.delete(sessionId);
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
