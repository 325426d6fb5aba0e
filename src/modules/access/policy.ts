import { ForbiddenError, NotFoundError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import type { SessionRow } from '../sessions/sessions.table.js';
import type { AccessRepository } from './access.repository.js';

/** A user's rights on one session. */
export interface Rights {
  canRead: boolean;
  canWrite: boolean;
  canManageChats: boolean;
}

/** What an actor may do on a session. `any` is "may see it at all". */
export type Right = 'read' | 'write' | 'manageChats' | 'any';

export const ALL_RIGHTS: Rights = { canRead: true, canWrite: true, canManageChats: true };
export const NO_RIGHTS: Rights = { canRead: false, canWrite: false, canManageChats: false };

export function allows(rights: Rights, right: Right): boolean {
  switch (right) {
    case 'read':
      return rights.canRead;
    case 'write':
      return rights.canWrite;
    case 'manageChats':
      return rights.canManageChats;
    case 'any':
      return rights.canRead || rights.canWrite || rights.canManageChats;
  }
}

export function sessionNotFound(sessionId: string) {
  return new NotFoundError('SESSION_NOT_FOUND', `Session '${sessionId}' not found`);
}

/**
 * The one place that decides what an actor may do on a WhatsApp session, for HTTP and sockets
 * alike. A session of another company does not exist for the actor (404); a session of their own
 * company without the right is 403. Admins hold every right on their company's sessions.
 */
export function createAccessPolicy(deps: {
  sessions: Pick<SessionsRepository, 'list'>;
  access: Pick<AccessRepository, 'sessionWithGrant' | 'listForUser'>;
}) {
  return {
    /** Loads the session for the actor and checks the right; services call this on their first line. */
    async require(
      actor: Actor,
      sessionId: string,
      right: Right,
    ): Promise<{ session: SessionRow; rights: Rights }> {
      // One statement: the session within the actor's company, with the actor's grant beside it.
      const found = await deps.access.sessionWithGrant(actor.companyId, sessionId, actor.userId);
      if (!found) {
        throw sessionNotFound(sessionId);
      }
      const { session } = found;
      const rights = actor.role === 'admin' ? ALL_RIGHTS : (found.grant ?? NO_RIGHTS);
      if (!allows(rights, right)) {
        throw new ForbiddenError(
          'NO_ACCESS',
          `You do not have the ${right === 'any' ? 'access' : right} right on session '${sessionId}'`,
        );
      }
      return { session, rights };
    },

    /** Every session the actor may see, with the actor's rights on each. */
    async visibleSessions(actor: Actor): Promise<{ session: SessionRow; rights: Rights }[]> {
      if (actor.role === 'admin') {
        const sessions = await deps.sessions.list(actor.companyId);
        return sessions.map((session) => ({ session, rights: ALL_RIGHTS }));
      }
      const grants = (await deps.access.listForUser(actor.companyId, actor.userId)).filter((g) =>
        allows(g, 'any'),
      );
      const byId = new Map(grants.map((g) => [g.sessionId, g]));
      const sessions = await deps.sessions.list(actor.companyId, [...byId.keys()]);
      return sessions.map((session) => {
        const g = byId.get(session.id)!;
        return {
          session,
          rights: { canRead: g.canRead, canWrite: g.canWrite, canManageChats: g.canManageChats },
        };
      });
    },
  };
}

export type AccessPolicy = ReturnType<typeof createAccessPolicy>;
