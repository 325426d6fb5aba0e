import type { FastifyBaseLogger } from 'fastify';

import { isTransientDbError } from '../../db/errors.js';
import type { EngineEvent } from '../engine/engine.js';

/** The most messages one coalesced batch holds (WhatsApp's history chunks are about this size). */
export const MAX_COALESCED_MESSAGES = 500;

/**
 * The next event to handle, taken off the queue. Message events that queued up behind it (same
 * source, nothing else in between) join it as one batch: under load a session's messages are then
 * stored in one transaction instead of one each, so the store keeps up instead of falling behind.
 * Order is kept, and every message is still announced on its own after the commit.
 */
export function takeNext(queue: EngineEvent[]): EngineEvent | undefined {
  const first = queue.shift();
  if (first?.type !== 'messages') {
    return first;
  }
  let messages = first.messages;
  for (let next = queue[0]; next?.type === 'messages' && next.source === first.source; next = queue[0]) {
    if (messages.length + next.messages.length > MAX_COALESCED_MESSAGES) {
      break;
    }
    messages = [...messages, ...next.messages];
    queue.shift();
  }
  return messages === first.messages ? first : { ...first, messages };
}

/** Backoff between attempts at an engine event the database could not take (short: a stop waits for it). */
const EVENT_RETRY = { minDelayMs: 200, maxDelayMs: 5_000 };

/** Equal jitter: half the exponential delay, plus a random share of the other half. */
export function backoffDelay(
  attempt: number,
  policy: { minDelayMs: number; maxDelayMs: number },
  random = Math.random,
) {
  const exponential = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * One session's engine events, handled one at a time, in order; message events that queued up
 * behind each other are handled as one batch (`takeNext`).
 */
export function createEventQueue(deps: {
  handle: (event: EngineEvent) => Promise<void>;
  /** Whether the session still runs here and the service is not stopping: only then is an event tried again. */
  keepTrying: () => boolean;
  log: FastifyBaseLogger;
}) {
  /** Engine events not handled yet, oldest first. */
  const queue: EngineEvent[] = [];
  /** Beside each queued event: who waits to learn whether it was stored (`pushAndWait`). */
  const waiters: (((stored: boolean) => void) | null)[] = [];
  /** The handling of every event pushed so far. */
  let chain: Promise<void> = Promise.resolve();

  /**
   * What an engine reports must outlive a passing database outage: an event that failed because
   * the database could not be reached is handled again, with backoff, for as long as the session
   * runs here; the events behind it wait, in order. Any other failure is logged and the event left.
   */
  const handleSurvivingOutages = async (event: EngineEvent): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.handle(event);
        return true;
      } catch (err) {
        if (!isTransientDbError(err) || !deps.keepTrying()) {
          deps.log.error({ err, event: event.type }, 'engine event failed');
          return false;
        }
        const delayMs = backoffDelay(attempt, EVENT_RETRY);
        deps.log.warn(
          { err, event: event.type, attempt, retryInMs: delayMs },
          'engine event not stored: the database is unreachable; trying again',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (!deps.keepTrying()) {
          deps.log.error({ err, event: event.type }, 'engine event failed; the session stopped here');
          return false;
        }
      }
    }
  };

  const push = (event: EngineEvent, waiter: ((stored: boolean) => void) | null): void => {
    queue.push(event);
    waiters.push(waiter);
    // One link per event; a link whose event already joined an earlier batch finds nothing to do.
    chain = chain.then(async () => {
      const before = queue.length;
      const next = takeNext(queue);
      const told = waiters.splice(0, before - queue.length);
      if (!next) {
        return;
      }
      const stored = await handleSurvivingOutages(next);
      for (const tell of told) {
        tell?.(stored);
      }
    });
  };

  return {
    push(event: EngineEvent): void {
      push(event, null);
    },

    /**
     * Queues an event like `push`, and resolves once it was handled: true when it was stored,
     * false when it was given up (a failure other than an outage, or the session stopped here).
     */
    pushAndWait(event: EngineEvent): Promise<boolean> {
      return new Promise((resolve) => push(event, resolve));
    },

    /** Settles once every event pushed so far has been handled. */
    settled(): Promise<void> {
      return chain;
    },
  };
}

export type EventQueue = ReturnType<typeof createEventQueue>;
