import type { Db } from '../../db/client.js';
import type { EventBus } from '../../events/event-bus.js';
import { BadRequestError, ConflictError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';
import { normalizePhone } from '../../shared/phone.js';
import type { AccessPolicy } from '../access/policy.js';
import type { AuditService } from '../audit/audit.service.js';
import { EngineError } from '../engine/engine.js';
import { renderQr, toSessionDto } from './presenters.js';
import type { SessionSupervisor } from './session-supervisor.js';
import type { SessionsRepository } from './sessions.repository.js';

export function createSessionsService(deps: {
  db: Db;
  sessions: SessionsRepository;
  policy: AccessPolicy;
  supervisor: SessionSupervisor;
  audit: AuditService;
  events: EventBus;
  engine: string;
  sessionsPerCompany: number;
}) {
  return {
    /** Creates a session and starts its engine (which shows a QR). Admin only. */
    async create(actor: Actor, input: { name?: string | undefined }) {
      const row = await deps.db.transaction(async (tx) => {
        // Serializes creations per company, so concurrent requests cannot pass the limit together.
        await deps.sessions.lockCompany(actor.companyId, tx);
        const existing = await deps.sessions.countForCompany(actor.companyId, tx);
        if (existing >= deps.sessionsPerCompany) {
          throw new ConflictError(
            'SESSION_LIMIT_REACHED',
            `A company can have at most ${deps.sessionsPerCompany} WhatsApp sessions`,
            { limit: deps.sessionsPerCompany },
          );
        }
        const created = await deps.sessions.insert(
          { companyId: actor.companyId, name: input.name ?? `WhatsApp ${existing + 1}`, engine: deps.engine },
          tx,
        );
        await deps.audit.record(
          actor,
          'session.created',
          { type: 'session', id: created.id },
          { name: created.name },
          tx,
        );
        return created;
      });
      await deps.supervisor.start(row);
      return toSessionDto((await deps.sessions.find(actor.companyId, row.id)) ?? row);
    },

    /** Admins: every session of the company. Managers: those granted, with their rights. */
    async list(actor: Actor) {
      const visible = await deps.policy.visibleSessions(actor);
      return visible.map(({ session, rights }) => toSessionDto(session, rights));
    },

    /** One session, for an admin or a manager with any access. */
    async get(actor: Actor, sessionId: string) {
      const { session, rights } = await deps.policy.require(actor, sessionId, 'any');
      return toSessionDto(session, rights);
    },

    /** The pending QR (PNG data URL and raw), or nulls when none is pending. Admin only. */
    async qr(actor: Actor, sessionId: string) {
      const { session } = await deps.policy.require(actor, sessionId, 'any');
      const live = deps.supervisor.qrOf(sessionId);
      const pending =
        live ??
        (session.status === 'qr' && session.qr && session.qrExpiresAt
          ? {
              qr: session.qr,
              qrCode: await renderQr(session.qr),
              expiresAt: session.qrExpiresAt,
            }
          : null);
      const showable = pending && session.status !== 'ready' ? pending : null;
      return {
        sessionId,
        status: session.status,
        qrCode: showable?.qrCode ?? null,
        qr: showable?.qr ?? null,
        expiresAt: showable?.expiresAt.toISOString() ?? null,
      };
    },

    /** Links by a code typed on the phone instead of scanning. Admin only. */
    async pairingCode(actor: Actor, sessionId: string, input: { phoneNumber: string }) {
      const { session } = await deps.policy.require(actor, sessionId, 'any');
      const phone = normalizePhone(input.phoneNumber);
      if (!phone) {
        throw new BadRequestError(
          'INVALID_PHONE_NUMBER',
          'The phone number must be digits with the country code',
          [{ field: 'phoneNumber', in: 'body', message: 'is not a phone number' }],
        );
      }
      const engine = deps.supervisor.runningEngine(sessionId);
      if (!engine || session.status !== 'qr') {
        throw new ConflictError('NOT_LINKING', `Session '${sessionId}' is not waiting to be linked`);
      }
      try {
        return { sessionId, code: await engine.requestPairingCode(phone) };
      } catch (err) {
        if (err instanceof EngineError) {
          throw new ConflictError('PAIRING_FAILED', err.message);
        }
        throw err;
      }
    },

    /** Logs the account out; the session stays, `disconnected`, with its history. Admin only. */
    async disconnect(actor: Actor, sessionId: string) {
      const { session } = await deps.policy.require(actor, sessionId, 'any');
      await deps.supervisor.logout(session);
      await deps.audit.record(actor, 'session.disconnected', { type: 'session', id: sessionId });
      return toSessionDto((await deps.sessions.find(actor.companyId, sessionId)) ?? session);
    },

    /** Restarts the engine; without credentials it shows a fresh QR. Admin only. */
    async reconnect(actor: Actor, sessionId: string) {
      const { session } = await deps.policy.require(actor, sessionId, 'any');
      await deps.supervisor.start(session);
      await deps.audit.record(actor, 'session.reconnected', { type: 'session', id: sessionId });
      return toSessionDto((await deps.sessions.find(actor.companyId, sessionId)) ?? session);
    },

    /** Logs out and deletes the session with its chats, messages, grants and credentials. Admin only. */
    async remove(actor: Actor, sessionId: string) {
      const { session } = await deps.policy.require(actor, sessionId, 'any');
      await deps.supervisor.logout(session);
      await deps.supervisor.discard(sessionId);
      await deps.db.transaction(async (tx) => {
        await deps.sessions.delete(actor.companyId, sessionId, tx);
        await deps.audit.record(
          actor,
          'session.deleted',
          { type: 'session', id: sessionId },
          { name: session.name, phoneNumber: session.phoneNumber },
          tx,
        );
      });
      deps.events.emit('session.deleted', { companyId: actor.companyId, sessionId });
      return { sessionId, deleted: true as const };
    },
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
