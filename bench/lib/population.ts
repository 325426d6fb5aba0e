import { randomBytes } from 'node:crypto';

import type { Database } from '../../src/db/client.js';
import { createTokens } from '../../src/modules/auth/tokens.js';
import { companies } from '../../src/modules/companies/companies.table.js';
import { users } from '../../src/modules/companies/users.table.js';
import { createPasswordHasher } from '../../src/shared/passwords.js';
import type { Role } from '../../src/shared/role.js';
import { api, BENCH_JWT_SECRET } from './server.js';

/** A user of the bench and the token it connects with. */
export interface BenchUser {
  id: string;
  companyId: string;
  role: Role;
  token: string;
}

const tokens = createTokens({ secret: BENCH_JWT_SECRET, ttlSeconds: 6 * 3600, external: null });
let passwordHash: Promise<string> | undefined;

/**
 * Inserts `count` users of a company in one statement, and signs each a token with the server's own
 * signer and key (what `POST /api/auth/login` would return). Creating thousands of users through
 * `POST /api/managers` would spend minutes on password hashing, which no measured path touches; the
 * rows are the ones the API writes (one password hash, computed once, shared by all of them).
 */
export async function insertUsers(
  database: Database,
  companyId: string,
  count: number,
  role: Role = 'manager',
): Promise<BenchUser[]> {
  if (count === 0) {
    return [];
  }
  passwordHash ??= createPasswordHasher(10).hash('bench-password-1');
  const hash = await passwordHash;
  const tag = randomBytes(4).toString('hex');
  const rows = await database.db
    .insert(users)
    .values(
      Array.from({ length: count }, (_, i) => ({
        companyId,
        email: `${role}-${tag}-${i}@bench.example`,
        name: `Bench ${role} ${i + 1}`,
        role,
        passwordHash: hash,
      })),
    )
    .returning({ id: users.id, tokenVersion: users.tokenVersion });
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      companyId,
      role,
      token: await tokens.sign({ id: row.id, companyId, role, tokenVersion: row.tokenVersion }),
    })),
  );
}

/** Companies inserted directly (no admin), each to be populated with `insertUsers`. */
export async function insertCompanies(database: Database, count: number): Promise<string[]> {
  const rows = await database.db
    .insert(companies)
    .values(Array.from({ length: count }, (_, i) => ({ name: `Bench other ${i + 1}` })))
    .returning({ id: companies.id });
  return rows.map((r) => r.id);
}

/** Creates a session through the API and links it with the simulator's scan: it is `ready`. */
export async function readySession(url: string, adminToken: string, name = 'Bench'): Promise<string> {
  const session = await api<{ id: string }>(url, 'POST', '/api/whatsapp/sessions', {
    token: adminToken,
    body: { name },
  });
  await api(url, 'POST', `/api/simulator/sessions/${session.id}/scan`, { token: adminToken, body: {} });
  return session.id;
}

/** Gives a manager canRead (only) on a session through the API. */
export async function grantRead(
  url: string,
  adminToken: string,
  sessionId: string,
  managerId: string,
): Promise<void> {
  await api(url, 'POST', `/api/whatsapp/sessions/${sessionId}/access`, {
    token: adminToken,
    body: { managerId, canRead: true, canWrite: false, canManageChats: false },
  });
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results keep their order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
