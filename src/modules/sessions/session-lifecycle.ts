import type { FastifyBaseLogger } from 'fastify';

import type { EventBus } from '../../events/event-bus.js';
import type { EngineEvent } from '../engine/engine.js';
import { renderQr } from './presenters.js';
import { backoffDelay } from './session-events.js';
import { type SessionEvent, type SessionStatus, transition } from './session-status.js';
import type { EngineHandlers, ReconnectPolicy, RunningSession, SessionRef } from './session-supervisor.js';
import type { SessionPatch, SessionsRepository } from './sessions.repository.js';
import type { SessionRow } from './sessions.table.js';

/** What a running session's lifecycle needs of the supervisor that runs it. */
export interface LifecycleContext {
  sessions: Pick<SessionsRepository, 'update'>;
  events: EventBus;
  reconnect: ReconnectPolicy;
  logFor: (ref: SessionRef) => FastifyBaseLogger;
  handlers: () => EngineHandlers | null;
  /** Whether this state still speaks for its session (not stopped, replaced or logged out). */
  isCurrent: (session: RunningSession) => boolean;
  shuttingDown: () => boolean;
  /** The engine ended for good here (logged out, failed): forget it and give the lease back. */
  end: (session: RunningSession) => Promise<void>;
}

type Disconnected = Extract<EngineEvent, { type: 'disconnected' }>;

/** A running session's status: its engine's start, the row it writes, reconnects with backoff, its end. */
export function createSessionLifecycle(ctx: LifecycleContext) {
  /** Applies a status event (and any extra fields) to the row, and announces a real change. */
  const apply = async (session: RunningSession, event: SessionEvent | null, patch: SessionPatch = {}) => {
    const to = event ? transition(session.status, event) : null;
    if ((!to && Object.keys(patch).length === 0) || !ctx.isCurrent(session)) {
      return;
    }
    const row = await ctx.sessions.update(session.ref.companyId, session.ref.sessionId, {
      ...patch,
      ...(to ? { status: to } : {}),
    });
    if (!row) {
      return;
    }
    if (to) {
      session.status = to;
      ctx.logFor(session.ref).info({ status: to }, 'session status changed');
      ctx.events.emit('session.status_changed', { ...session.ref, status: to });
    }
    return row;
  };

  const scheduleReconnect = async (session: RunningSession, reason: string) => {
    session.attempts += 1;
    if (session.attempts > ctx.reconnect.maxAttempts) {
      ctx.logFor(session.ref).warn({ attempts: session.attempts - 1, reason }, 'giving up on the session');
      await apply(session, 'failed', {
        lastError: `Could not connect after ${session.attempts - 1} attempts: ${reason}`,
      });
      // A session that gave up holds no engine: it takes no sends until an admin reconnects it.
      await ctx.end(session);
      return;
    }
    const delay = backoffDelay(session.attempts, ctx.reconnect);
    ctx.logFor(session.ref).info({ attempt: session.attempts, delayMs: delay, reason }, 'reconnecting');
    clearTimeout(session.timer);
    session.timer = setTimeout(() => {
      session.timer = undefined;
      if (ctx.isCurrent(session) && !ctx.shuttingDown()) {
        void startEngine(session);
      }
    }, delay);
    session.timer.unref();
  };

  const onDisconnected = async (session: RunningSession, event: Disconnected) => {
    session.qr = null;
    const was = session.status;
    if (event.loggedOut) {
      await session.credentials.clear();
      await apply(session, 'logged_out', { lastError: event.reason, qr: null, qrExpiresAt: null });
      await ctx.end(session);
      ctx.logFor(session.ref).warn({ reason: event.reason }, 'session logged out');
      ctx.events.emit('session.disconnected', { ...session.ref, reason: event.reason, loggedOut: true });
      return;
    }
    if (event.permanent) {
      await apply(session, 'failed', { lastError: event.reason });
      await ctx.end(session);
      ctx.events.emit('session.disconnected', { ...session.ref, reason: event.reason, loggedOut: false });
      return;
    }
    await apply(session, 'connection_lost', { lastError: event.reason });
    if (was === 'ready') {
      ctx.events.emit('session.disconnected', { ...session.ref, reason: event.reason, loggedOut: false });
    }
    if (!ctx.shuttingDown()) {
      await scheduleReconnect(session, event.reason);
    }
  };

  const startEngine = async (session: RunningSession) => {
    try {
      await apply(session, 'start');
      await session.engine.start();
    } catch (err) {
      ctx.logFor(session.ref).warn({ err }, 'engine failed to start');
      await onDisconnected(session, {
        type: 'disconnected',
        reason: err instanceof Error ? err.message : 'engine failed to start',
        loggedOut: false,
      });
    }
  };

  /** The session stopped here (an admin logged it out): no QR, and the status `stopped` leads to. */
  const markStopped = async (row: SessionRow, from: SessionStatus) => {
    const to = transition(from, 'stopped');
    await ctx.sessions.update(row.companyId, row.id, {
      qr: null,
      qrExpiresAt: null,
      ...(to ? { status: to } : {}),
    });
    if (to) {
      ctx.events.emit('session.status_changed', { sessionId: row.id, companyId: row.companyId, status: to });
    }
  };

  return { apply, onDisconnected, startEngine, markStopped };
}

export type SessionLifecycle = ReturnType<typeof createSessionLifecycle>;

/** What each engine event does: to the session's status and row, and through the chats module's handlers. */
export function createEngineEventHandler(ctx: LifecycleContext, lifecycle: SessionLifecycle) {
  const { apply } = lifecycle;

  const onQr = async (session: RunningSession, event: Extract<EngineEvent, { type: 'qr' }>) => {
    if (session.status !== 'qr' && !transition(session.status, 'qr')) {
      return; // a late QR after the phone linked
    }
    const qrCode = await renderQr(event.qr);
    if (!ctx.isCurrent(session)) {
      return;
    }
    session.qr = { qr: event.qr, qrCode, expiresAt: event.expiresAt };
    await apply(session, 'qr', { qr: event.qr, qrExpiresAt: event.expiresAt });
    if (!ctx.isCurrent(session)) {
      return;
    }
    ctx.logFor(session.ref).info({ expiresAt: event.expiresAt }, 'QR issued');
    ctx.events.emit('session.qr', {
      ...session.ref,
      qr: event.qr,
      qrCode,
      expiresAt: event.expiresAt.toISOString(),
    });
  };

  const onReady = async (session: RunningSession, event: Extract<EngineEvent, { type: 'ready' }>) => {
    session.attempts = 0;
    session.qr = null;
    await apply(session, 'ready', {
      phoneNumber: event.phoneNumber,
      displayName: event.displayName,
      connectedAt: new Date(),
      lastError: null,
      qr: null,
      qrExpiresAt: null,
    });
    if (!ctx.isCurrent(session)) {
      return;
    }
    ctx.logFor(session.ref).info({ phoneNumber: event.phoneNumber }, 'session authorized');
    ctx.events.emit('session.ready', {
      ...session.ref,
      phoneNumber: event.phoneNumber,
      displayName: event.displayName,
    });
    ctx.handlers()?.ready(session.ref);
  };

  /** The account's name, known after `ready`: stored, and announced as the ready session's details. */
  const onProfile = async (session: RunningSession, event: Extract<EngineEvent, { type: 'profile' }>) => {
    const row = await apply(session, null, { displayName: event.displayName });
    if (row && session.status === 'ready' && ctx.isCurrent(session)) {
      ctx.events.emit('session.ready', {
        ...session.ref,
        phoneNumber: row.phoneNumber ?? '',
        displayName: event.displayName,
      });
    }
  };

  return async (session: RunningSession, event: EngineEvent): Promise<void> => {
    if (!ctx.isCurrent(session)) {
      return; // queued before its engine was stopped or replaced
    }
    const handlers = ctx.handlers();
    switch (event.type) {
      case 'qr':
        return onQr(session, event);
      case 'pairing_code':
        ctx.logFor(session.ref).info('pairing code issued');
        await apply(session, 'qr');
        return;
      case 'connecting':
        await apply(session, 'connecting');
        return;
      case 'ready':
        return onReady(session, event);
      case 'profile':
        return onProfile(session, event);
      case 'disconnected':
        return lifecycle.onDisconnected(session, event);
      case 'messages':
        return handlers?.messages(session.ref, event.source, event.messages);
      case 'message_status':
        return handlers?.statuses(session.ref, event.updates);
      case 'message_changes':
        return handlers?.changes(session.ref, event.changes);
      case 'message_failed':
        return handlers?.failures(session.ref, event.failures);
      case 'identity':
        return handlers?.identity(session.ref, event.lid, event.phoneWaId);
      case 'chats':
        return handlers?.chats(session.ref, event.chats);
      case 'contacts':
        return handlers?.contacts(session.ref, event.contacts);
      case 'history_progress':
        ctx.events.emit('session.history_progress', { ...session.ref, ...event });
        return;
    }
  };
}
