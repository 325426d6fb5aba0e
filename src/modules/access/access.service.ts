import type { Db } from '../../db/client.js';
import type { EventBus } from '../../events/event-bus.js';
import type { Actor } from '../../shared/actor.js';
import type { AuditService } from '../audit/audit.service.js';
import { requireManager } from '../companies/user-errors.js';
import type { UsersRepository } from '../companies/users.repository.js';
import type { AccessRepository } from './access.repository.js';
import type { GrantInput } from './access.schemas.js';
import type { AccessPolicy } from './policy.js';

/** Admins grant, change and revoke managers' rights on their company's sessions. */
export function createAccessService(deps: {
  db: Db;
  access: AccessRepository;
  users: Pick<UsersRepository, 'findById'>;
  policy: AccessPolicy;
  audit: AuditService;
  events: EventBus;
}) {
  const loadManager = (actor: Actor, managerId: string) => requireManager(deps.users, actor, managerId);

  return {
    /** Grants or updates a manager's rights (all false revokes). Takes effect at once, sockets included. */
    async grant(actor: Actor, sessionId: string, input: GrantInput) {
      await deps.policy.require(actor, sessionId, 'any');
      const manager = await loadManager(actor, input.managerId);
      const rights = {
        canRead: input.canRead,
        canWrite: input.canWrite,
        canManageChats: input.canManageChats,
      };
      const noRights = !rights.canRead && !rights.canWrite && !rights.canManageChats;
      const grant = await deps.db.transaction(async (tx) => {
        const before = await deps.access.find(actor.companyId, sessionId, manager.id, tx);
        const row = noRights
          ? await deps.access.delete(actor.companyId, sessionId, manager.id, tx)
          : await deps.access.upsert(
              {
                companyId: actor.companyId,
                sessionId,
                userId: manager.id,
                grantedByUserId: actor.userId,
                ...rights,
              },
              tx,
            );
        if (noRights && !before) {
          return row;
        }
        await deps.audit.record(
          actor,
          noRights ? 'access.revoked' : before ? 'access.changed' : 'access.granted',
          { type: 'session', id: sessionId },
          { managerId: manager.id, ...rights },
          tx,
        );
        return row;
      });
      deps.events.emit('access.changed', {
        companyId: actor.companyId,
        sessionId,
        userId: manager.id,
        rights: noRights ? null : rights,
      });
      return {
        sessionId,
        managerId: manager.id,
        name: manager.name,
        email: manager.email,
        active: manager.active,
        ...rights,
        updatedAt: noRights ? null : (grant?.updatedAt.toISOString() ?? null),
      };
    },

    /** The session's grants. */
    async list(actor: Actor, sessionId: string) {
      await deps.policy.require(actor, sessionId, 'any');
      const rows = await deps.access.listForSession(actor.companyId, sessionId);
      return rows.map(({ access, name, email, active }) => ({
        sessionId,
        managerId: access.userId,
        name,
        email,
        active,
        canRead: access.canRead,
        canWrite: access.canWrite,
        canManageChats: access.canManageChats,
        updatedAt: access.updatedAt.toISOString(),
      }));
    },

    /** Revokes every right; the manager's sockets stop getting the session's events at once. */
    async revoke(actor: Actor, sessionId: string, managerId: string) {
      await deps.policy.require(actor, sessionId, 'any');
      await loadManager(actor, managerId);
      const removed = await deps.db.transaction(async (tx) => {
        const row = await deps.access.delete(actor.companyId, sessionId, managerId, tx);
        if (row) {
          await deps.audit.record(
            actor,
            'access.revoked',
            { type: 'session', id: sessionId },
            { managerId },
            tx,
          );
        }
        return row;
      });
      if (removed) {
        deps.events.emit('access.changed', {
          companyId: actor.companyId,
          sessionId,
          userId: managerId,
          rights: null,
        });
      }
      return { sessionId, managerId, revoked: removed !== undefined };
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
