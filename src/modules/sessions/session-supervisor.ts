import type { FastifyBaseLogger } from 'fastify';

import { isTransientDbError } from '../../db/errors.js';
import type { EventBus } from '../../events/event-bus.js';
import { ConflictError, ServiceUnavailableError } from '../../http/errors.js';
import type {
  CredentialStore,
  EngineEvent,
  EngineFactory,
  EngineMessage,
  MessageChange,
  WhatsAppEngine,
} from '../engine/engine.js';
import { type QrView, renderQr } from './presenters.js';
import type { SessionLeases } from './session-leases.js';
import { type SessionEvent, type SessionStatus, transition } from './session-status.js';
import type { SessionPatch, SessionsRepository } from './sessions.repository.js';
import type { SessionRow } from './sessions.table.js';

/** What the rest of the service does with what an engine reports; the chats module implements it. */
export interface EngineHandlers {
  messages(session: SessionRef, source: 'live' | 'history', messages: EngineMessage[]): Promise<void>;
  statuses(
    session: SessionRef,
    updates: Extract<EngineEvent, { type: 'message_status' }>['updates'],
  ): Promise<void>;
  changes(session: SessionRef, changes: MessageChange[]): Promise<void>;
  identity(session: SessionRef, lid: string, phoneWaId: string): Promise<void>;
  /** The session came online: pending sends may go. */
  ready(session: SessionRef): void;
}

export interface SessionRef {
  sessionId: string;
  companyId: string;
}

export interface ReconnectPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  /** Consecutive failed connection attempts after which the session ends in `failed`. */
  maxAttempts: number;
}

interface Live {
  ref: SessionRef;
  engine: WhatsAppEngine;
  credentials: CredentialStore;
  status: SessionStatus;
  /** Failed connection attempts since the last `ready`. */
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  qr: QrView | null;
  /** Engine events not handled yet, oldest first. */
  queue: EngineEvent[];
  /** Engine events are handled one at a time, in order, per session. */
  chain: Promise<void>;
}

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
  policy: Pick<ReconnectPolicy, 'minDelayMs' | 'maxDelayMs'>,
  random = Math.random,
) {
  const exponential = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * Owns every live engine: starts them (and resumes them at boot), turns their events into
 * session updates and domain events, reconnects with capped backoff, and stops them on shutdown.
 * Nothing else holds an engine.
 */
export function createSessionSupervisor(deps: {
  sessions: SessionsRepository;
  engineFactory: EngineFactory;
  credentialsFor: (sessionId: string) => CredentialStore;
  sentText: (sessionId: string, waMessageId: string) => Promise<string | null>;
  events: EventBus;
  log: FastifyBaseLogger;
  reconnect: ReconnectPolicy;
  /** One place per session: an engine starts only under this instance's lease. */
  leases: SessionLeases;
  leaseRenewMs: number;
}) {
  const live = new Map<string, Live>();
  let handlers: EngineHandlers | null = null;
  let shuttingDown = false;

  const logFor = (ref: SessionRef) => deps.log.child({ companyId: ref.companyId, sessionId: ref.sessionId });

  /** Applies a status event (and any extra fields) to the row, and announces a real change. */
  /** Whether this state still speaks for its session (not stopped, replaced or logged out). */
  const isCurrent = (state: Live) => live.get(state.ref.sessionId) === state;

  const apply = async (state: Live, event: SessionEvent | null, patch: SessionPatch = {}) => {
    const to = event ? transition(state.status, event) : null;
    if ((!to && Object.keys(patch).length === 0) || !isCurrent(state)) {
      return;
    }
    const row = await deps.sessions.update(state.ref.companyId, state.ref.sessionId, {
      ...patch,
      ...(to ? { status: to } : {}),
    });
    if (!row) {
      return;
    }
    if (to) {
      state.status = to;
      logFor(state.ref).info({ status: to }, 'session status changed');
      deps.events.emit('session.status_changed', { ...state.ref, status: to });
    }
  };

  const scheduleReconnect = async (state: Live, reason: string) => {
    state.attempts += 1;
    if (state.attempts > deps.reconnect.maxAttempts) {
      logFor(state.ref).warn({ attempts: state.attempts - 1, reason }, 'giving up on the session');
      await apply(state, 'failed', {
        lastError: `Could not connect after ${state.attempts - 1} attempts: ${reason}`,
      });
      // A session that gave up holds no engine: it takes no sends until an admin reconnects it.
      await end(state);
      return;
    }
    const delay = backoffDelay(state.attempts, deps.reconnect);
    logFor(state.ref).info({ attempt: state.attempts, delayMs: delay, reason }, 'reconnecting');
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (isCurrent(state) && !shuttingDown) {
        void startEngine(state);
      }
    }, delay);
    state.timer.unref();
  };

  const handle = async (state: Live, event: EngineEvent) => {
    if (!isCurrent(state)) {
      return; // queued before its engine was stopped or replaced
    }
    const log = logFor(state.ref);
    switch (event.type) {
      case 'qr': {
        if (state.status !== 'qr' && !transition(state.status, 'qr')) {
          return; // a late QR after the phone linked
        }
        const qrCode = await renderQr(event.qr);
        if (!isCurrent(state)) {
          return;
        }
        state.qr = { qr: event.qr, qrCode, expiresAt: event.expiresAt };
        await apply(state, 'qr', { qr: event.qr, qrExpiresAt: event.expiresAt });
        if (!isCurrent(state)) {
          return;
        }
        log.info({ expiresAt: event.expiresAt }, 'QR issued');
        deps.events.emit('session.qr', {
          ...state.ref,
          qr: event.qr,
          qrCode,
          expiresAt: event.expiresAt.toISOString(),
        });
        return;
      }
      case 'pairing_code':
        log.info('pairing code issued');
        await apply(state, 'qr');
        return;
      case 'connecting':
        await apply(state, 'connecting');
        return;
      case 'ready': {
        state.attempts = 0;
        state.qr = null;
        await apply(state, 'ready', {
          phoneNumber: event.phoneNumber,
          displayName: event.displayName,
          connectedAt: new Date(),
          lastError: null,
          qr: null,
          qrExpiresAt: null,
        });
        if (!isCurrent(state)) {
          return;
        }
        log.info({ phoneNumber: event.phoneNumber }, 'session authorized');
        deps.events.emit('session.ready', {
          ...state.ref,
          phoneNumber: event.phoneNumber,
          displayName: event.displayName,
        });
        handlers?.ready(state.ref);
        return;
      }
      case 'disconnected':
        await onDisconnected(state, event);
        return;
      case 'messages':
        await handlers?.messages(state.ref, event.source, event.messages);
        return;
      case 'message_status':
        await handlers?.statuses(state.ref, event.updates);
        return;
      case 'message_changes':
        await handlers?.changes(state.ref, event.changes);
        return;
      case 'identity':
        await handlers?.identity(state.ref, event.lid, event.phoneWaId);
        return;
      case 'history_progress':
        deps.events.emit('session.history_progress', { ...state.ref, ...event });
        return;
    }
  };

  /**
   * What an engine reports must outlive a passing database outage: an event that failed because
   * the database could not be reached is handled again, with backoff, for as long as the session
   * runs here; the events behind it wait, in order. Any other failure is logged and the event left.
   */
  const handleSurvivingOutages = async (state: Live, event: EngineEvent) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await handle(state, event);
        return;
      } catch (err) {
        if (!isTransientDbError(err) || !isCurrent(state) || shuttingDown) {
          logFor(state.ref).error({ err, event: event.type }, 'engine event failed');
          return;
        }
        const delayMs = backoffDelay(attempt, EVENT_RETRY);
        logFor(state.ref).warn(
          { err, event: event.type, attempt, retryInMs: delayMs },
          'engine event not stored: the database is unreachable; trying again',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (!isCurrent(state) || shuttingDown) {
          logFor(state.ref).error(
            { err, event: event.type },
            'engine event failed; the session stopped here',
          );
          return;
        }
      }
    }
  };

  const onDisconnected = async (state: Live, event: Extract<EngineEvent, { type: 'disconnected' }>) => {
    state.qr = null;
    const was = state.status;
    if (event.loggedOut) {
      await state.credentials.clear();
      await apply(state, 'logged_out', { lastError: event.reason, qr: null, qrExpiresAt: null });
      await end(state);
      logFor(state.ref).warn({ reason: event.reason }, 'session logged out');
      deps.events.emit('session.disconnected', { ...state.ref, reason: event.reason, loggedOut: true });
      return;
    }
    if (event.permanent) {
      await apply(state, 'failed', { lastError: event.reason });
      await end(state);
      deps.events.emit('session.disconnected', { ...state.ref, reason: event.reason, loggedOut: false });
      return;
    }
    await apply(state, 'connection_lost', { lastError: event.reason });
    if (was === 'ready') {
      deps.events.emit('session.disconnected', { ...state.ref, reason: event.reason, loggedOut: false });
    }
    if (!shuttingDown) {
      await scheduleReconnect(state, event.reason);
    }
  };

  const forget = (state: Live) => {
    clearTimeout(state.timer);
    if (isCurrent(state)) {
      live.delete(state.ref.sessionId);
    }
  };

  /** The engine ended for good here (logged out, failed, stopped by an admin): give the lease back. */
  const end = async (state: Live) => {
    forget(state);
    if (!live.has(state.ref.sessionId)) {
      await releaseLeases(() => deps.leases.release(state.ref.sessionId));
    }
  };

  /** Giving a lease back is a courtesy: if the database is unreachable, the lease expires anyway. */
  const releaseLeases = async (release: () => Promise<void>) => {
    try {
      await release();
    } catch (err) {
      deps.log.warn({ err }, 'session lease not released; it will expire');
    }
  };

  const acquire = async (row: SessionRow) => {
    if (!(await deps.leases.acquire(row.id))) {
      throw new ConflictError(
        'SESSION_RUNNING_ELSEWHERE',
        `Session '${row.id}' is running on another instance of the service`,
      );
    }
  };

  // Leases expire unless renewed; one this instance lost (it stalled past the expiry and another
  // instance took over) means its engine must stop, or the session would run twice.
  const renewLeases = async () => {
    if (live.size === 0) {
      return;
    }
    // Only engines that held their lease before the renewal began can have lost it: a session
    // started while the renewal ran took its lease after the renewal looked, and is not in `held`.
    const running = [...live.values()];
    const held = await deps.leases.renew();
    if (!deps.leases.shared) {
      return;
    }
    for (const state of running) {
      if (isCurrent(state) && !held.has(state.ref.sessionId)) {
        logFor(state.ref).warn('session lease lost; stopping the engine here');
        await stopState(state);
      }
    }
  };

  /**
   * Starts the engine of every resumable session that runs nowhere: at boot, and on every beat on
   * a shared database, so that a session whose lease a crashed instance still held is taken over
   * as soon as that lease expires, and one whose database went away comes back with it, without
   * anybody asking. A session that gave up (`failed`) waits for an admin, except at boot: a
   * restart is a fresh try. Returns how many engines it started.
   */
  const adopt = async (atBoot: boolean): Promise<number> => {
    let started = 0;
    for (const listed of await deps.sessions.listResumable()) {
      if (shuttingDown) {
        break;
      }
      if (live.has(listed.id) || (!atBoot && listed.status === 'failed')) {
        continue;
      }
      const log = logFor({ sessionId: listed.id, companyId: listed.companyId });
      try {
        if (!(await deps.leases.acquire(listed.id))) {
          if (atBoot) {
            log.info('session runs on another instance; taken over here if its lease expires');
          }
          continue;
        }
        // Read again under the lease: an admin may have stopped or deleted it since the list.
        const row = await deps.sessions.find(listed.companyId, listed.id);
        if (live.has(listed.id) || shuttingDown) {
          continue; // started here meanwhile, under the same lease
        }
        if (!row || (!atBoot && row.status === 'failed')) {
          await releaseLeases(() => deps.leases.release(listed.id));
          continue;
        }
        if (!atBoot) {
          log.info({ status: row.status }, 'session taken over');
        }
        await startEngine(create(row));
        started += 1;
      } catch (err) {
        log.warn({ err }, 'session not resumed; trying again on the next beat');
      }
    }
    return started;
  };

  let beating = false;
  const beat = async () => {
    if (beating || shuttingDown) {
      return;
    }
    beating = true;
    try {
      await renewLeases();
      if (deps.leases.shared) {
        await adopt(false);
      }
    } catch (err) {
      deps.log.warn({ err }, 'session lease renewal failed');
    } finally {
      beating = false;
    }
  };
  const heartbeat = setInterval(() => void beat(), deps.leaseRenewMs);
  heartbeat.unref();

  const startEngine = async (state: Live) => {
    try {
      await apply(state, 'start');
      await state.engine.start();
    } catch (err) {
      logFor(state.ref).warn({ err }, 'engine failed to start');
      await onDisconnected(state, {
        type: 'disconnected',
        reason: err instanceof Error ? err.message : 'engine failed to start',
        loggedOut: false,
      });
    }
  };

  const create = (row: SessionRow): Live => {
    const ref = { sessionId: row.id, companyId: row.companyId };
    const credentials = deps.credentialsFor(row.id);
    const state: Live = {
      ref,
      credentials,
      status: row.status,
      attempts: 0,
      timer: undefined,
      qr: null,
      queue: [],
      chain: Promise.resolve(),
      engine: undefined as unknown as WhatsAppEngine,
    };
    state.engine = deps.engineFactory({
      ...ref,
      credentials,
      sentText: (waMessageId) => deps.sentText(ref.sessionId, waMessageId),
      emit: (event) => {
        if (!isCurrent(state)) {
          return; // an engine that was stopped or replaced has nothing more to say
        }
        state.queue.push(event);
        // One link per event; a link whose event already joined an earlier batch finds nothing to do.
        state.chain = state.chain.then(async () => {
          const next = takeNext(state.queue);
          if (!next) {
            return;
          }
          await handleSurvivingOutages(state, next);
        });
      },
    });
    live.set(row.id, state);
    return state;
  };

  const stopState = async (state: Live) => {
    forget(state);
    try {
      await state.engine.stop();
    } catch (err) {
      logFor(state.ref).warn({ err }, 'engine failed to stop');
    }
    // Events already queued see the state is no longer current and write nothing.
    await state.chain;
  };

  return {
    /** Connects the chats module (set once at composition). */
    setHandlers(h: EngineHandlers) {
      handlers = h;
    },

    /** Starts the session's engine (a QR if it has no credentials). */
    async start(row: SessionRow): Promise<void> {
      const existing = live.get(row.id);
      if (existing) {
        await stopState(existing); // this instance holds the lease, so taking it again succeeds
      }
      await acquire(row);
      // The heartbeat may have taken the session over while the lease was being taken.
      const adopted = live.get(row.id);
      if (adopted) {
        await stopState(adopted);
      }
      const state = create(row);
      await startEngine(state);
      // Whatever the engine reported while starting (a QR, a ready) is applied before returning.
      await state.chain;
    },

    /** Unlinks the account (credentials deleted) and leaves the session `disconnected`. */
    async logout(row: SessionRow): Promise<void> {
      const state = live.get(row.id);
      if (state) {
        await end(state);
        try {
          await state.engine.logout();
        } catch (err) {
          logFor(state.ref).warn({ err }, 'engine failed to log out; credentials are deleted anyway');
        }
        await state.chain;
      }
      await deps.credentialsFor(row.id).clear();
      const to = transition(state?.status ?? row.status, 'stopped');
      await deps.sessions.update(row.companyId, row.id, {
        qr: null,
        qrExpiresAt: null,
        ...(to ? { status: to } : {}),
      });
      if (to) {
        deps.events.emit('session.status_changed', {
          sessionId: row.id,
          companyId: row.companyId,
          status: to,
        });
      }
    },

    /** Stops the engine of a deleted session; nothing of it is written afterwards. */
    async discard(sessionId: string): Promise<void> {
      const state = live.get(sessionId);
      if (state) {
        await stopState(state);
      }
      await releaseLeases(() => deps.leases.release(sessionId));
    },

    /** The engine of a ready session, or 503. */
    readyEngine(sessionId: string): WhatsAppEngine {
      const state = live.get(sessionId);
      if (state?.status !== 'ready') {
        throw new ServiceUnavailableError(
          'SESSION_NOT_READY',
          `Session '${sessionId}' is not connected to WhatsApp`,
        );
      }
      return state.engine;
    },

    /**
     * Whether the session takes messages to send (they wait as `pending`): its engine runs here,
     * linking or reconnecting; or, on a database shared with other instances, it will run again by
     * itself (elsewhere, or here once a crashed instance's lease expires). A session an admin
     * disconnected, that was logged out or that gave up would keep them forever.
     */
    async takesSends(ref: SessionRef): Promise<boolean> {
      if (live.has(ref.sessionId)) {
        return true;
      }
      return deps.leases.shared && (await deps.sessions.willResume(ref.companyId, ref.sessionId));
    },

    /** The running engine, whatever its status (pairing needs one waiting for a link). */
    runningEngine(sessionId: string): WhatsAppEngine | null {
      return live.get(sessionId)?.engine ?? null;
    },

    isReady(sessionId: string): boolean {
      return live.get(sessionId)?.status === 'ready';
    },

    /** The pending QR with its PNG, or null. */
    qrOf(sessionId: string): QrView | null {
      return live.get(sessionId)?.qr ?? null;
    },

    /**
     * At boot: sessions that have credentials resume without a new QR; unfinished links show one.
     * A session another instance still holds is taken over by the heartbeat once its lease
     * expires; a database that cannot be read now is tried again on the same beat.
     */
    async resumeAll(): Promise<number> {
      try {
        return await adopt(true);
      } catch (err) {
        if (!isTransientDbError(err)) {
          throw err;
        }
        deps.log.warn({ err }, 'sessions not resumed: the database is unreachable; trying again');
        return 0;
      }
    },

    /** Stops every engine, keeping credentials; sessions resume on the next start. */
    async shutdown(): Promise<void> {
      shuttingDown = true;
      clearInterval(heartbeat);
      const states = [...live.values()];
      await Promise.all(states.map(stopState));
      await Promise.all(states.map((s) => s.chain));
      await releaseLeases(() => deps.leases.releaseAll());
    },

    /**
     * Waits until every event received so far has been handled: one session's (the simulator's
     * control calls answer once their effect is stored), or all of them (tests, shutdown).
     */
    async settled(sessionId?: string): Promise<void> {
      if (sessionId !== undefined) {
        await live.get(sessionId)?.chain;
        return;
      }
      await Promise.all([...live.values()].map((s) => s.chain));
    },
  };
}

export type SessionSupervisor = ReturnType<typeof createSessionSupervisor>;
