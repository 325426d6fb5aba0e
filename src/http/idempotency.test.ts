import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openTestDatabase } from '../../test/support/test-app.js';
import type { Database } from '../db/client.js';
import { companies } from '../modules/companies/companies.table.js';
import { users } from '../modules/companies/users.table.js';
import { BadRequestError, UnprocessableError } from './errors.js';
import {
  createIdempotencyStore,
  fingerprint,
  parseIdempotencyKey,
  type RememberResponse,
} from './idempotency.js';
import { idempotencyKeys } from './idempotency.table.js';

let database: Database;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterAll(async () => {
  await drop();
});

async function givenUser() {
  const [company] = await database.db.insert(companies).values({ name: 'Acme' }).returning();
  const [user] = await database.db
    .insert(users)
    .values({ companyId: company!.id, name: 'Ann', role: 'admin', email: `${company!.id}@example.com` })
    .returning();
  return user!;
}

describe('idempotency keys', () => {
  it('accepts 1-255 visible ASCII characters and refuses anything else', () => {
    expect(parseIdempotencyKey(undefined)).toBeNull();
    expect(parseIdempotencyKey('order-42')).toBe('order-42');
    for (const bad of ['', 'with space', 'x'.repeat(256), 'ключ', 'tab\tkey']) {
      expect(() => parseIdempotencyKey(bad)).toThrow(BadRequestError);
    }
  });

  it('replays the stored answer, refuses the key for another request, and forgets old keys', async () => {
    const user = await givenUser();
    const store = createIdempotencyStore(database.db);
    const print = fingerprint('send', { message: 'hi' });
    await store.save({
      userId: user.id,
      companyId: user.companyId,
      key: 'k1',
      fingerprint: print,
      statusCode: 201,
      response: { a: 1 },
    });
    expect(await store.replay(user.id, 'k1', print)).toEqual({ statusCode: 201, response: { a: 1 } });
    await expect(store.replay(user.id, 'k1', fingerprint('send', { message: 'other' }))).rejects.toThrow(
      UnprocessableError,
    );
    expect(await store.replay(user.id, 'unknown', print)).toBeNull();

    await database.db.insert(idempotencyKeys).values({
      userId: user.id,
      companyId: user.companyId,
      key: 'old',
      fingerprint: print,
      statusCode: 201,
      response: {},
      createdAt: new Date(Date.now() - 2 * 24 * 3600 * 1000),
    });
    await store.purge(new Date(Date.now() - 24 * 3600 * 1000));
    expect(await store.replay(user.id, 'old', print)).toBeNull();
    expect(await store.replay(user.id, 'k1', print)).not.toBeNull();
  });

  it('runs an operation once per key: a retry gets the recorded answer, without a key it just runs', async () => {
    const user = await givenUser();
    const actor = { userId: user.id, companyId: user.companyId };
    const store = createIdempotencyStore(database.db);
    const print = fingerprint('send', { message: 'once' });
    let runs = 0;
    const operation = () =>
      store.once(actor, 'k-once', print, async (remember: RememberResponse<{ run: number }>) => {
        runs += 1;
        const response = { run: runs };
        await remember(response, database.db);
        return response;
      });
    expect(await operation()).toEqual({ run: 1 });
    expect(await operation()).toEqual({ run: 1 });
    expect(runs).toBe(1);
    expect(await store.once(actor, null, print, () => Promise.resolve('no key'))).toBe('no key');
    await expect(
      store.once(actor, 'k-once', fingerprint('send', { message: 'other' }), () => Promise.resolve(null)),
    ).rejects.toThrow(UnprocessableError);
  });
});
