import type { CryptoKey, JWTPayload, JWTVerifyGetKey } from 'jose';
import { createRemoteJWKSet, decodeJwt, importSPKI, jwtVerify, SignJWT } from 'jose';

import type { ExternalIssuerConfig } from '../../config.js';
import { isUuid } from '../../shared/ids.js';
import type { Role } from '../../shared/role.js';

/** The issuer claim of tokens this service signs; anything else is an external token. */
export const OWN_ISSUER = 'whatsapp-service';
const OWN_ALGORITHM = 'HS256';

/** What a verified token says, before the user is looked up. */
export type TokenClaims =
  | { source: 'own'; userId: string; companyId: string; role: Role; tokenVersion: number }
  | {
      source: 'external';
      externalUserId: string;
      externalCompanyId: string;
      role: Role;
      email: string | null;
      name: string | null;
      companyName: string | null;
    };

export class InvalidTokenError extends Error {}

export interface Tokens {
  sign(user: { id: string; companyId: string; role: Role; tokenVersion: number }): Promise<string>;
  /** Verifies signature, algorithm, issuer and expiry. Throws `InvalidTokenError`. */
  verify(token: string): Promise<TokenClaims>;
}

export function createTokens(options: {
  secret: string;
  ttlSeconds: number;
  external: ExternalIssuerConfig | null;
}): Tokens {
  const ownKey = new TextEncoder().encode(options.secret);
  const external = options.external ? createExternalVerifier(options.external) : null;

  return {
    async sign(user) {
      return new SignJWT({ companyId: user.companyId, role: user.role, tv: user.tokenVersion })
        .setProtectedHeader({ alg: OWN_ALGORITHM, typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(OWN_ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds}s`)
        .sign(ownKey);
    },

    async verify(token) {
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(token);
      } catch {
        throw new InvalidTokenError('malformed token');
      }
      if (unverified.iss === OWN_ISSUER) {
        return verifyOwn(token, ownKey);
      }
      if (external) {
        return external(token);
      }
      throw new InvalidTokenError('unknown issuer');
    },
  };
}

async function verifyOwn(token: string, key: Uint8Array): Promise<TokenClaims> {
  const payload = await verifyOrThrow(() =>
    jwtVerify(token, key, { algorithms: [OWN_ALGORITHM], issuer: OWN_ISSUER }),
  );
  const { sub, companyId, role, tv } = payload;
  if (
    typeof sub !== 'string' ||
    typeof companyId !== 'string' ||
    !isUuid(sub) ||
    !isUuid(companyId) ||
    typeof tv !== 'number' ||
    (role !== 'admin' && role !== 'manager')
  ) {
    throw new InvalidTokenError('token lacks its claims');
  }
  return { source: 'own', userId: sub, companyId, role, tokenVersion: tv };
}

/** Tokens of the CRM backend this service lives in: its key, its claim names, its role names. */
function createExternalVerifier(config: ExternalIssuerConfig): (token: string) => Promise<TokenClaims> {
  const keyFor = externalKey(config);
  const options = {
    algorithms: config.algorithms,
    // A token that never expires is not accepted from anyone.
    requiredClaims: ['exp'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };

  return async (token) => {
    const payload = await verifyOrThrow(async () => jwtVerify(token, await keyFor(), options));
    const claim = (name: string): string | null => {
      const value = payload[name];
      if (typeof value === 'string' && value.trim()) {
        return value.trim();
      }
      return typeof value === 'number' ? String(value) : null;
    };
    const externalUserId = claim(config.claims.userId);
    const externalCompanyId = claim(config.claims.companyId);
    const roleValue = claim(config.claims.role);
    const role = roleOf(config, roleValue);
    if (!externalUserId || !externalCompanyId || !role) {
      throw new InvalidTokenError('external token lacks user, company or an accepted role');
    }
    return {
      source: 'external',
      externalUserId,
      externalCompanyId,
      role,
      email: claim(config.claims.email)?.toLowerCase() ?? null,
      name: claim(config.claims.name),
      companyName: claim(config.claims.companyName),
    };
  };
}

function roleOf(config: ExternalIssuerConfig, value: string | null): Role | null {
  if (value && config.adminRoles.includes(value)) {
    return 'admin';
  }
  if (value && config.managerRoles.includes(value)) {
    return 'manager';
  }
  return null;
}

type KeyResolver = () => Promise<Uint8Array | CryptoKey | JWTVerifyGetKey>;

function externalKey(config: ExternalIssuerConfig): KeyResolver {
  const { key } = config;
  if (key.kind === 'secret') {
    const secret = new TextEncoder().encode(key.secret);
    return () => Promise.resolve(secret);
  }
  if (key.kind === 'jwks') {
    // jose caches the key set and refetches on an unknown `kid`, with a cooldown.
    const jwks = createRemoteJWKSet(new URL(key.url));
    return () => Promise.resolve(jwks);
  }
  const algorithm = config.algorithms[0] ?? 'RS256';
  let imported: Promise<CryptoKey> | undefined;
  return () => (imported ??= importSPKI(key.pem, algorithm));
}

async function verifyOrThrow(verify: () => Promise<{ payload: JWTPayload }>): Promise<JWTPayload> {
  try {
    return (await verify()).payload;
  } catch (err) {
    throw new InvalidTokenError(err instanceof Error ? err.message : 'invalid token');
  }
}
