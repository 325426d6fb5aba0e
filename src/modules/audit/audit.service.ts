import type { DbOrTx } from '../../db/client.js';
import type { PageQuery } from '../../http/pagination.js';
import { decodeCursor, toPage } from '../../http/pagination.js';
import type { Actor } from '../../shared/actor.js';
import type { AuditRepository } from './audit.repository.js';

/** What can be recorded; later modules add their own actions here. */
export type AuditAction =
  | 'company.registered'
  | 'login.throttled'
  | 'manager.created'
  | 'manager.updated'
  | 'manager.deactivated'
  | 'manager.reactivated'
  | 'user.provisioned'
  | 'session.created'
  | 'session.disconnected'
  | 'session.reconnected'
  | 'session.deleted'
  | 'access.granted'
  | 'access.changed'
  | 'access.revoked'
  | 'message.sent';

/**
 * Who acted: an Actor, or where there is none yet (registration, a throttled login) the company,
 * the user if known, and the address the request came from.
 */
export interface AuditActor {
  companyId: string;
  userId: string | null;
  ip?: string | null;
}

/** What an entry is about. */
export interface AuditTarget {
  type: 'company' | 'user' | 'session' | 'message';
  id: string;
}

export interface AuditEntry {
  companyId: string;
  actorUserId?: string | null;
  action: AuditAction;
  targetType?: string;
  targetId?: string;
  /** Never a password, token or message body. */
  details?: Record<string, unknown>;
  ip?: string | null;
}

export function createAuditService(deps: { audit: AuditRepository }) {
  const write = async (entry: AuditEntry, tx?: DbOrTx): Promise<void> => {
    await deps.audit.insert(
      {
        companyId: entry.companyId,
        actorUserId: entry.actorUserId ?? null,
        action: entry.action,
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
        details: entry.details ?? {},
        ip: entry.ip ?? null,
      },
      tx,
    );
  };

  return {
    /**
     * Records one action by an actor on a target; pass the surrounding transaction so the entry
     * commits with the change.
     */
    record(
      actor: AuditActor,
      action: AuditAction,
      target: AuditTarget,
      details?: Record<string, unknown>,
      tx?: DbOrTx,
    ): Promise<void> {
      return write(
        {
          companyId: actor.companyId,
          actorUserId: actor.userId,
          action,
          targetType: target.type,
          targetId: target.id,
          details,
          ip: actor.ip,
        },
        tx,
      );
    },

    /** The actor's company's audit log, newest first. Admin-only (gated at the route). */
    async list(actor: Actor, query: PageQuery) {
      const after = query.cursor ? decodeCursor(query.cursor, 'id') : null;
      const { rows, total } = await deps.audit.list(actor.companyId, query, after);
      const { items, pagination } = toPage(rows, query, (r) => ({ k: null, id: r.entry.id }), total);
      return {
        items: items.map(({ entry, actorName }) => ({
          id: entry.id,
          action: entry.action,
          actor: entry.actorUserId ? { id: entry.actorUserId, name: actorName } : null,
          targetType: entry.targetType,
          targetId: entry.targetId,
          details: entry.details,
          ip: entry.ip,
          createdAt: entry.createdAt.toISOString(),
        })),
        pagination,
      };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
