import { decodeJwt } from 'jose';

import type { EventBus } from '../../events/event-bus.js';
import type { Authenticate } from '../../http/auth.js';
import { UnauthorizedError } from '../../http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UsersRepository } from '../companies/users.repository.js';
import type { UserRow } from '../companies/users.table.js';
import { InvalidTokenError, type TokenClaims, type Tokens } from './tokens.js';

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 20_000;

/**
 * Token → actor, for HTTP and sockets alike. The user is looked up so that a deactivated user's
 * tokens fail at once; lookups are cached briefly and the cache entry is dropped the moment the
 * user changes, so "at once" holds without a query on every request.
 * Users and companies first seen in an external issuer's token are created here.
 */
export function createAuthenticator(deps: {
  tokens: Tokens;
  users: UsersRepository;
  audit: AuditService;
  events: EventBus;
  now?: () => number;
}): Authenticate {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { user: CachedUser; at: number }>();
  // Bumped whenever a user changes; a lookup that started before the bump is not cached, so a
  // deactivation racing with an in-flight lookup cannot leave a stale "active" entry behind.
  let epoch = 0;

  const forget = ({ userId }: { userId: string }) => {
    epoch += 1;
    for (const [key, entry] of cache) {
      if (entry.user.id === userId) {
        cache.delete(key);
      }
    }
  };
  deps.events.on('user.changed', forget);
  deps.events.on('user.deactivated', forget);

  const lookup = async (claims: TokenClaims): Promise<CachedUser | undefined> => {
    const key =
      claims.source === 'own'
        ? `own:${claims.companyId}:${claims.userId}`
        : `ext:${claims.externalCompanyId}:${claims.externalUserId}:${claims.role}`;
    const cached = cache.get(key);
    if (cached && now() - cached.at < CACHE_TTL_MS) {
      return cached.user;
    }
    const startedAt = epoch;
    const row =
      claims.source === 'own'
        ? await deps.users.findById(claims.companyId, claims.userId)
        : await provision(deps, claims);
    if (!row) {
      return undefined;
    }
    const user = toCachedUser(row);
    if (startedAt === epoch) {
      if (cache.size >= CACHE_MAX) {
        cache.clear();
      }
      cache.set(key, { user, at: now() });
    }
    return user;
  };

  // A token that verified stays valid until it expires: its claims are kept (at most a minute, as
  // users are) so that a client's every request does not pay for the signature check again.
  const verified = new Map<string, { claims: TokenClaims; until: number }>();

  const verify = async (token: string): Promise<TokenClaims> => {
    const t = now();
    const known = verified.get(token);
    if (known && t < known.until) {
      return known.claims;
    }
    let claims: TokenClaims;
    try {
      claims = await deps.tokens.verify(token);
    } catch (err) {
      if (err instanceof InvalidTokenError) {
        throw new UnauthorizedError('INVALID_TOKEN', 'The token is invalid or expired');
      }
      throw err;
    }
    const { exp } = decodeJwt(token);
    if (typeof exp === 'number') {
      if (verified.size >= CACHE_MAX) {
        verified.clear();
      }
      verified.set(token, { claims, until: Math.min(exp * 1000, t + CACHE_TTL_MS) });
    }
    return claims;
  };

  return async (token) => {
    const claims = await verify(token);
    const user = await lookup(claims);
    // An own token must carry the user's current version: deactivation and new passwords end old ones for good.
    if (!user?.active || (claims.source === 'own' && claims.tokenVersion !== user.tokenVersion)) {
      throw new UnauthorizedError(
        'INVALID_TOKEN',
        'The token is invalid, revoked, or its user is deactivated',
      );
    }
    return { userId: user.id, companyId: user.companyId, role: user.role };
  };
}

type CachedUser = Pick<UserRow, 'id' | 'companyId' | 'role' | 'active' | 'tokenVersion'>;

function toCachedUser(row: UserRow): CachedUser {
  return {
    id: row.id,
    companyId: row.companyId,
    role: row.role,
    active: row.active,
    tokenVersion: row.tokenVersion,
  };
}

/**
 * Finds or creates the company and user an external token speaks for. The issuer is the authority
 * on the role; name and email are filled in when first seen. Concurrent first requests converge
 * on one row through the unique keys.
 */
async function provision(
  deps: { users: UsersRepository; audit: AuditService; events: EventBus },
  claims: Extract<TokenClaims, { source: 'external' }>,
): Promise<UserRow | undefined> {
  const company = await deps.users.ensureExternalCompany(
    claims.externalCompanyId,
    claims.companyName ?? `Company ${claims.externalCompanyId}`,
  );
  const existing = await deps.users.findByExternalId(company.id, claims.externalUserId);
  if (existing) {
    if (existing.role === claims.role) {
      return existing;
    }
    // The issuer changed the role: open sockets re-check what this user may hear.
    const updated = await deps.users.update(company.id, existing.id, { role: claims.role });
    if (updated) {
      deps.events.emit('user.changed', { companyId: company.id, userId: updated.id });
    }
    return updated;
  }
  const values = {
    companyId: company.id,
    externalId: claims.externalUserId,
    name: claims.name ?? claims.email ?? `User ${claims.externalUserId}`,
    role: claims.role,
    email: claims.email,
  };
  // An email already used by another account is left off rather than refusing the user.
  const created =
    (await deps.users.insertUserIfAbsent(values)) ??
    (await deps.users.insertUserIfAbsent({ ...values, email: null }));
  if (!created) {
    return deps.users.findByExternalId(company.id, claims.externalUserId);
  }
  await deps.audit.record(
    { companyId: company.id, userId: created.id },
    'user.provisioned',
    { type: 'user', id: created.id },
    { role: created.role, externalId: claims.externalUserId },
  );
  return created;
}
