import type { EventBus } from '../../events/event-bus.js';
import type { Authenticate } from '../../http/auth.js';
import { UnauthorizedError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';
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
  const cache = new Map<string, { actor: Actor; at: number }>();

  const forget = ({ userId }: { userId: string }) => {
    for (const [key, entry] of cache) {
      if (entry.actor.userId === userId) {
        cache.delete(key);
      }
    }
  };
  deps.events.on('user.changed', forget);
  deps.events.on('user.deactivated', forget);

  const resolve = async (claims: TokenClaims): Promise<UserRow | undefined> => {
    if (claims.source === 'own') {
      const user = await deps.users.findById(claims.companyId, claims.userId);
      return user;
    }
    return provision(deps, claims);
  };

  return async (token) => {
    let claims: TokenClaims;
    try {
      claims = await deps.tokens.verify(token);
    } catch (err) {
      if (err instanceof InvalidTokenError) {
        throw new UnauthorizedError('INVALID_TOKEN', 'The token is invalid or expired');
      }
      throw err;
    }
    const key =
      claims.source === 'own'
        ? `own:${claims.userId}`
        : `ext:${claims.externalCompanyId}:${claims.externalUserId}:${claims.role}`;
    const cached = cache.get(key);
    if (cached && now() - cached.at < CACHE_TTL_MS) {
      return cached.actor;
    }
    const user = await resolve(claims);
    if (!user?.active) {
      throw new UnauthorizedError('INVALID_TOKEN', 'The token is invalid or its user is deactivated');
    }
    const actor: Actor = { userId: user.id, companyId: user.companyId, role: user.role };
    if (cache.size >= CACHE_MAX) {
      cache.clear();
    }
    cache.set(key, { actor, at: now() });
    return actor;
  };
}

/**
 * Finds or creates the company and user an external token speaks for. The issuer is the authority
 * on the role; name and email are filled in when first seen. Concurrent first requests converge
 * on one row through the unique keys.
 */
async function provision(
  deps: { users: UsersRepository; audit: AuditService },
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
    return deps.users.update(company.id, existing.id, { role: claims.role });
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
  await deps.audit.record({
    companyId: company.id,
    actorUserId: created.id,
    action: 'user.provisioned',
    targetType: 'user',
    targetId: created.id,
    details: { role: created.role, externalId: claims.externalUserId },
  });
  return created;
}
