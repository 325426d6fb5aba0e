import { randomBytes } from 'node:crypto';

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { givenSessionRow } from '../../../test/support/rows.js';
import { openTestDatabase } from '../../../test/support/test-app.js';
import type { Database } from '../../db/client.js';
import { createCipher } from '../../shared/cipher.js';
import { createCredentialStore } from './credential-store.js';
import { engineCredentials } from './credentials.table.js';

let database: Database;
let drop: () => Promise<void>;
const cipher = createCipher(randomBytes(32));

const givenSessionId = async () => (await givenSessionRow(database)).id;

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterAll(async () => {
  await drop();
});

describe('credential store', () => {
  it('round-trips values, deletes with null, and reports existence', async () => {
    const store = createCredentialStore(database.db, cipher, await givenSessionId());
    expect(await store.exists()).toBe(false);

    await store.set({ creds: '{"me":"79990001122"}', 'pre-key-1': 'AAAA', 'pre-key-2': 'BBBB' });
    expect(await store.exists()).toBe(true);
    const got = await store.get(['creds', 'pre-key-1', 'pre-key-2', 'missing']);
    expect(Object.fromEntries(got)).toEqual({
      creds: '{"me":"79990001122"}',
      'pre-key-1': 'AAAA',
      'pre-key-2': 'BBBB',
    });

    await store.set({ 'pre-key-1': null, 'pre-key-2': 'CCCC' });
    expect(Object.fromEntries(await store.get(['pre-key-1', 'pre-key-2']))).toEqual({ 'pre-key-2': 'CCCC' });

    await store.clear();
    expect(await store.exists()).toBe(false);
  });

  it('stores ciphertext only', async () => {
    const sessionId = await givenSessionId();
    const store = createCredentialStore(database.db, cipher, sessionId);
    const secret = 'noise-key-private-material-0123456789';
    await store.set({ creds: secret });
    const rows = await database.db
      .select()
      .from(engineCredentials)
      .where(eq(engineCredentials.sessionId, sessionId));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.value.includes(Buffer.from(secret))).toBe(false);
    expect(rows[0]!.value.toString('utf8')).not.toContain('noise-key');
  });

  it('keeps sessions apart and refuses a value moved to another session', async () => {
    const a = await givenSessionId();
    const b = await givenSessionId();
    await createCredentialStore(database.db, cipher, a).set({ creds: 'A' });
    expect((await createCredentialStore(database.db, cipher, b).get(['creds'])).size).toBe(0);

    const [row] = await database.db
      .select()
      .from(engineCredentials)
      .where(eq(engineCredentials.sessionId, a));
    await database.db.insert(engineCredentials).values({ sessionId: b, key: 'creds', value: row!.value });
    await expect(createCredentialStore(database.db, cipher, b).get(['creds'])).rejects.toThrow();
  });

  it('applies concurrent multi-key writes completely', async () => {
    const store = createCredentialStore(database.db, cipher, await givenSessionId());
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.set(
          Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`key-${i}-${k}`, `value-${i}-${k}`])),
        ),
      ),
    );
    const keys = Array.from({ length: 10 }, (_, i) =>
      Array.from({ length: 20 }, (_, k) => `key-${i}-${k}`),
    ).flat();
    const got = await store.get(keys);
    expect(got.size).toBe(200);
    expect(got.get('key-7-13')).toBe('value-7-13');
  });

  it('cannot read values sealed under another key', async () => {
    const sessionId = await givenSessionId();
    await createCredentialStore(database.db, cipher, sessionId).set({ creds: 'secret' });
    const other = createCredentialStore(database.db, createCipher(randomBytes(32)), sessionId);
    await expect(other.get(['creds'])).rejects.toThrow();
  });
});
