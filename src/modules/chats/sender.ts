import { and, eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';

import type { Db } from '../../db/client.js';
import type { EventBus } from '../../events/event-bus.js';
import { EngineError } from '../engine/engine.js';
import type { SessionRef, SessionSupervisor } from '../sessions/session-supervisor.js';
import { chats } from './chats.table.js';
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

  const workerFor = (ref: SessionRef): Worker => {
    let worker = workers.get(ref.sessionId);
    if (!worker) {
      worker = { ref, running: false, again: false, timer: undefined, pacer: createPacer(deps.policy, now) };
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
    deps.events.emit('message.status', {
      ...ref,
      chatId: row.chatId,
      messageId: row.id,
      waMessageId: row.waMessageId,
      status: row.status,
    });
  };

  /** Sends one message; returns false when the worker should stop for now. */
  const sendOne = async (worker: Worker, message: MessageRow): Promise<boolean> => {
    const log = deps.log.child({
      companyId: message.companyId,
      sessionId: message.sessionId,
      messageId: message.id,
    });
    const [chat] = await deps.db
      .select({ waChatId: chats.waChatId })
      .from(chats)
      .where(eq(chats.id, message.chatId));
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
    if (!chat) {
      return true; // the chat was deleted (with its messages) meanwhile
    }
    try {
      await withTimeout(
        deps.supervisor.readyEngine(message.sessionId).sendText({
          to: chat.waChatId,
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
    const sent = await deps.messages.markSent(message.id);
    log.info({ waMessageId: message.waMessageId }, 'message sent');
    if (sent) {
      emitOutcome(sent);
    }
    return true;
  };

  const run = async (worker: Worker) => {
    const { sessionId } = worker.ref;
    for (;;) {
      worker.again = false;
      if (stopped || !deps.supervisor.isReady(sessionId)) {
        return; // resumes on the session's next ready
      }
      const head = await deps.messages.headOfQueue(sessionId);
      if (!head) {
        return;
      }
      const dueIn = (head.nextAttemptAt?.getTime() ?? 0) - now();
      if (dueIn > 0) {
        wakeAfter(worker, dueIn);
        return;
      }
      const wait = worker.pacer.take();
      if (wait > 0) {
        wakeAfter(worker, wait);
        return;
      }
      if (!(await sendOne(worker, head))) {
        return;
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
