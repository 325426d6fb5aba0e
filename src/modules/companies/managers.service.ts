import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { EventBus } from '../../events/event-bus.js';
import type { PageQuery } from '../../http/pagination.js';
import { decodeCursor, toPage } from '../../http/pagination.js';
import type { Actor } from '../../shared/actor.js';
import type { PasswordHasher } from '../../shared/passwords.js';
import type { AuditAction, AuditService } from '../audit/audit.service.js';
import type { CreateManagerInput, UpdateManagerInput } from './managers.schemas.js';
import { toUserDto } from './presenters.js';
import { emailTakenError, managerNotFound, requireManager } from './user-errors.js';
import type { UserPatch, UsersRepository } from './users.repository.js';

/** Admins manage the managers of their own company; every lookup is scoped to actor.companyId. */
export function createManagersService(deps: {
  db: Db;
  users: UsersRepository;
  audit: AuditService;
  hasher: PasswordHasher;
  events: EventBus;
}) {
  const loadManager = (actor: Actor, managerId: string) => requireManager(deps.users, actor, managerId);

  const rethrowEmailTaken = (email: string | undefined) => (err: unknown) => {
    if (email && isUniqueViolation(err)) {
      throw emailTakenError(email);
    }
    throw err;
  };

  return {
    /** The company's managers, active and deactivated, oldest first. */
    async list(actor: Actor, query: PageQuery) {
      const after = query.cursor ? decodeCursor(query.cursor, 'id') : null;
      const { rows, total } = await deps.users.listByRole(actor.companyId, 'manager', query, after);
      const { items, pagination } = toPage(rows, query, (r) => ({ k: null, id: r.id }), total);
      return { items: items.map(toUserDto), pagination };
    },

    /** Creates a manager in the actor's company. */
    async create(actor: Actor, input: CreateManagerInput) {
      if (await deps.users.emailTaken(input.email)) {
        throw emailTakenError(input.email);
      }
      const passwordHash = await deps.hasher.hash(input.password);
      const user = await deps.db
        .transaction(async (tx) => {
          const created = await deps.users.insertUser(
            {
              companyId: actor.companyId,
              email: input.email,
              name: input.name,
              role: 'manager',
              passwordHash,
            },
            tx,
          );
          await deps.audit.record(
            actor,
            'manager.created',
            { type: 'user', id: created.id },
            { name: created.name, email: created.email },
            tx,
          );
          return created;
        })
        .catch(rethrowEmailTaken(input.email));
      return toUserDto(user);
    },

    /** Edits name, email, password or active state. Deactivation ends the manager's tokens at once. */
    async update(actor: Actor, managerId: string, input: UpdateManagerInput) {
      const before = await loadManager(actor, managerId);
      if (
        input.email &&
        input.email !== before.email &&
        (await deps.users.emailTaken(input.email, managerId))
      ) {
        throw emailTakenError(input.email);
      }
      const patch: UserPatch = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.email !== undefined ? { email: input.email } : {}),
        ...(input.active !== undefined ? { active: input.active } : {}),
        ...(input.password !== undefined ? { passwordHash: await deps.hasher.hash(input.password) } : {}),
      };
      // A new password or a deactivation ends every token issued before it; reactivating does not revive them.
      if (input.password !== undefined || (input.active === false && before.active)) {
        patch.revokeTokens = true;
      }
      const action = auditActionFor(before.active, input.active);
      const changed = Object.keys(input).filter((k) => input[k as keyof UpdateManagerInput] !== undefined);
      const user = await deps.db
        .transaction(async (tx) => {
          const updated = await deps.users.update(actor.companyId, managerId, patch, tx);
          if (!updated) {
            throw managerNotFound(managerId);
          }
          await deps.audit.record(actor, action, { type: 'user', id: managerId }, { fields: changed }, tx);
          return updated;
        })
        .catch(rethrowEmailTaken(input.email));
      emitChange(deps.events, user.companyId, user.id, before.active && !user.active);
      return toUserDto(user);
    },

    /** Deactivates (the record and its history stay); idempotent. */
    async deactivate(actor: Actor, managerId: string) {
      const before = await loadManager(actor, managerId);
      if (!before.active) {
        return toUserDto(before);
      }
      const user = await deps.db.transaction(async (tx) => {
        const updated = await deps.users.update(
          actor.companyId,
          managerId,
          { active: false, revokeTokens: true },
          tx,
        );
        await deps.audit.record(actor, 'manager.deactivated', { type: 'user', id: managerId }, undefined, tx);
        return updated!;
      });
      emitChange(deps.events, user.companyId, user.id, true);
      return toUserDto(user);
    },
  };
}

function auditActionFor(wasActive: boolean, active: boolean | undefined): AuditAction {
  if (active === false && wasActive) {
    return 'manager.deactivated';
  }
  if (active === true && !wasActive) {
    return 'manager.reactivated';
  }
  return 'manager.updated';
}

/** After commit: subscribers (token cache, sockets) react to the committed state. */
function emitChange(events: EventBus, companyId: string, userId: string, deactivated: boolean) {
  events.emit('user.changed', { companyId, userId });
  if (deactivated) {
    events.emit('user.deactivated', { companyId, userId });
  }
}

export type ManagersService = ReturnType<typeof createManagersService>;
