import type { FastifyBaseLogger } from 'fastify';

import { isTransientDbError } from '../../db/errors.js';
import type { EventBus } from '../../events/event-bus.js';
import { EngineError } from '../engine/engine.js';
import type { SessionRef, SessionSupervisor } from '../sessions/session-supervisor.js';
import { emitMessageStatus } from './message-events.js';
import type { MessageRow } from './messages.table.js';
import { toMessageDto } from './presenters.js';
import type { QueuedMessage, SendQueueRepository } from './send-queue.repository.js';
import { createSentMarks, type SentMarks } from './sent-marks.js';

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

/** For how long a read of the queue is used before it is read again (a chat may have merged). */
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
  kickedWhileRunning: boolean;
  timer: NodeJS.Timeout | undefined;
  pacer: ReturnType<typeof createPacer>;
  /** What the engine took, being marked sent. */
  marks: SentMarks;
}

interface SenderDeps {
  queue: SendQueueRepository;
  supervisor: Pick<SessionSupervisor, 'isReady' | 'readyEngine'>;
  events: EventBus;
  log: FastifyBaseLogger;
  policy: SendPolicy;
  now?: () => number;
}

/** A message's outcome (sent or failed, or further along) is announced as it is stored. */
function announcer(events: EventBus) {
  return (row: MessageRow) => {
    if (row.status === 'sent') {
      const ref = { companyId: row.companyId, sessionId: row.sessionId };
      events.emit('message.sent', { ...ref, chatId: row.chatId, message: toMessageDto(row) });
    }
    emitMessageStatus(events, row);
  };
}

/**
 * One attempt at a queued message: through the engine with the WhatsApp id chosen at acceptance;
 * a transient failure is scheduled for a retry with backoff, the last one or a permanent one marks
 * the message failed. Returns in how many ms the worker tries again (a retry), or null to go on.
 */
function createSendAttempt(deps: SenderDeps, now: () => number) {
  const announce = announcer(deps.events);
  return async (marks: SentMarks, { message, to, quoted }: QueuedMessage): Promise<number | null> => {
    try {
      await withTimeout(
        deps.supervisor.readyEngine(message.sessionId).sendText({
          to,
          text: message.body ?? '',
          waMessageId: message.waMessageId,
          quoted,
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
      await marks.done();
      if (!transient || attempts >= deps.policy.maxAttempts) {
        log.warn({ attempts, reason }, 'message failed');
        const failed = await deps.queue.markFailed(message.id, reason);
        if (failed) {
          announce(failed);
        }
        return null;
      }
      const delay = deps.policy.retryDelayMs * 2 ** (attempts - 1);
      log.info({ attempts, delayMs: delay, reason }, 'send will be retried');
      await deps.queue.scheduleRetry(message.id, attempts, new Date(now() + delay), reason);
      return delay;
    }
    marks.add(message);
    return null;
  };
}

/**
 * Delivers accepted messages: one worker per session takes the oldest pending message, paces,
 * sends it through the engine with the WhatsApp id chosen at acceptance (so a retry after a crash
 * is the same message, not a second one), retries transient failures with backoff, and marks the
 * message sent or failed. What is pending survives restarts and resumes when the session is ready.
 */
export function createSender(deps: SenderDeps) {
  const now = deps.now ?? Date.now;
  const workers = new Map<string, Worker>();
  const attempt = createSendAttempt(deps, now);
  const announce = announcer(deps.events);
  let stopped = false;

  const workerFor = (ref: SessionRef): Worker => {
    let worker = workers.get(ref.sessionId);
    if (!worker) {
      worker = {
        ref,
        running: false,
        kickedWhileRunning: false,
        timer: undefined,
        pacer: createPacer(deps.policy, now),
        marks: createSentMarks({ sessionId: ref.sessionId, queue: deps.queue, log: deps.log, announce }),
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

  const runWorker = async (worker: Worker) => {
    try {
      await drainQueue(worker);
    } finally {
      await worker.marks.done();
    }
  };

  /** Sends what the session's queue holds, in order, until it is empty or something says wait. */
  const drainQueue = async (worker: Worker) => {
    const { sessionId } = worker.ref;
    for (;;) {
      worker.kickedWhileRunning = false;
      // What was sent is marked before the queue is read again, or it would be read as pending.
      await worker.marks.done();
      if (stopped || !deps.supervisor.isReady(sessionId)) {
        return; // resumes on the session's next ready
      }
      const queue = await deps.queue.next(sessionId);
      if (queue.length === 0) {
        return;
      }
      const readAt = now();
      // In order; whatever stops the drain (not ready, not due, paced, a retry) stops it for the rest.
      for (const queued of queue) {
        if (stopped || !deps.supervisor.isReady(sessionId)) {
          return;
        }
        if (now() - readAt > QUEUE_FRESH_MS) {
          break; // read the queue again: what was read is trusted for a moment only
        }
        const dueIn = (queued.message.nextAttemptAt?.getTime() ?? 0) - now();
        if (dueIn > 0) {
          wakeAfter(worker, dueIn);
          return;
        }
        const paced = worker.pacer.take();
        if (paced > 0) {
          wakeAfter(worker, paced);
          return;
        }
        const retryIn = await attempt(worker.marks, queued);
        if (retryIn !== null) {
          wakeAfter(worker, retryIn);
          return;
        }
      }
    }
  };

  function kick(ref: SessionRef): void {
    const worker = workerFor(ref);
    if (worker.running) {
      worker.kickedWhileRunning = true;
      return;
    }
    worker.running = true;
    clearTimeout(worker.timer);
    worker.timer = undefined;
    void runWorker(worker)
      .catch((err: unknown) => {
        // The database going away for a moment is expected; anything else is a fault to look at.
        const level = isTransientDbError(err) ? 'warn' : 'error';
        deps.log[level]({ err, sessionId: ref.sessionId }, 'sender failed; retrying shortly');
        wakeAfter(worker, deps.policy.retryDelayMs);
      })
      .finally(() => {
        worker.running = false;
        if (worker.kickedWhileRunning && !stopped) {
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
