import { randomBytes } from 'node:crypto';

import { addTransactionCapability, proto } from 'baileys';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { givenSessionRow } from '../../../../test/support/rows.js';
import { openTestDatabase } from '../../../../test/support/test-app.js';
import type { Database } from '../../../db/client.js';
import { createCipher } from '../../../shared/cipher.js';
import { createCredentialStore } from '../credential-store.js';
import { engineCredentials } from '../credentials.table.js';
import { loadBaileysAuth } from './baileys-auth-store.js';

let database: Database;
let drop: () => Promise<void>;
const cipher = createCipher(randomBytes(32));
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterAll(async () => {
  await drop();
});

async function givenStore() {
  const session = await givenSessionRow(database, 'baileys');
  return createCredentialStore(database.db, cipher, session.id);
}

describe('Baileys auth state in the database', () => {
  it('writes nothing once closed, and closing waits for a write under way (a logout then deletes all)', async () => {
    const store = await givenStore();
    const auth = await loadBaileysAuth(store, logger);
    const underWay = auth.saveCreds();
    await auth.close();
    await underWay;
    expect(await store.exists()).toBe(true);
    await store.clear();
    // A socket winding down after the logout: its writes must not bring the credentials back.
    await auth.saveCreds();
    await auth.state.keys.set({ session: { 'someone.0': Buffer.from('state') } });
    expect(await store.exists()).toBe(false);
  });

  it('starts fresh, saves the whole creds object, and reads it back with its Buffers', async () => {
    const store = await givenStore();
    const first = await loadBaileysAuth(store, logger);
    expect(first.paired()).toBe(false);
    const noise = Buffer.from(first.state.creds.noiseKey.private);
    // Baileys mutates the creds object in place, then asks for it to be saved.
    first.state.creds.me = {
      id: '79990001122:12@s.whatsapp.net',
      lid: '123456789012345:12@lid',
      name: 'Acme',
    };
    await first.saveCreds();

    const again = await loadBaileysAuth(store, logger);
    expect(again.paired()).toBe(true);
    expect(Buffer.isBuffer(again.state.creds.noiseKey.private)).toBe(true);
    expect(Buffer.from(again.state.creds.noiseKey.private).equals(noise)).toBe(true);
    expect(again.state.creds.me).toEqual(first.state.creds.me);
  });

  it('stores signal keys by type and id, rehydrates app-state keys, and deletes on null', async () => {
    const store = await givenStore();
    const { state } = await loadBaileysAuth(store, logger);
    const preKey = { public: randomBytes(32), private: randomBytes(32) };
    await state.keys.set({
      'pre-key': { '1': preKey, '2': { public: randomBytes(32), private: randomBytes(32) } },
      'lid-mapping': { '79990001122': '123456789012345', '123456789012345_reverse': '79990001122' },
      'app-state-sync-key': { AAAA: { keyData: randomBytes(32), timestamp: 1700000000 } },
    });

    const reloaded = await loadBaileysAuth(store, logger);
    const keys = await reloaded.state.keys.get('pre-key', ['1', '2', '3']);
    expect(Object.keys(keys).sort()).toEqual(['1', '2']);
    expect(Buffer.from(keys['1']!.private).equals(preKey.private)).toBe(true);
    expect(await reloaded.state.keys.get('lid-mapping', ['79990001122'])).toEqual({
      '79990001122': '123456789012345',
    });
    const appKey = (await reloaded.state.keys.get('app-state-sync-key', ['AAAA'])).AAAA!;
    expect(appKey).toBeInstanceOf(proto.Message.AppStateSyncKeyData);

    await reloaded.state.keys.set({ 'pre-key': { '1': null } });
    const fresh = await loadBaileysAuth(store, logger);
    expect(Object.keys(await fresh.state.keys.get('pre-key', ['1', '2']))).toEqual(['2']);
  });

  it("commits a Baileys transaction's writes together", async () => {
    const store = await givenStore();
    const { state } = await loadBaileysAuth(store, logger);
    const keys = addTransactionCapability(state.keys, logger, {
      maxCommitRetries: 2,
      delayBetweenTriesMs: 1,
    });
    await keys.transaction(async () => {
      await keys.set({
        session: { 'a.0': randomBytes(64) },
        'sender-key': { 'g@g.us::a::0': randomBytes(64) },
      });
      await keys.set({ 'pre-key': { '7': { public: randomBytes(32), private: randomBytes(32) } } });
    }, 'test');
    const rows = await database.db.select({ key: engineCredentials.key }).from(engineCredentials);
    expect(rows.map((r) => r.key)).toEqual(
      expect.arrayContaining(['session:a.0', 'sender-key:g@g.us::a::0', 'pre-key:7']),
    );
  });

  it('keeps every key of concurrent writes', async () => {
    const store = await givenStore();
    const { state } = await loadBaileysAuth(store, logger);
    await Promise.all(
      Array.from(
        { length: 8 },
        async (_, i) =>
          await state.keys.set({
            session: Object.fromEntries(Array.from({ length: 25 }, (_, k) => [`${i}.${k}`, randomBytes(16)])),
          }),
      ),
    );
    const ids = Array.from({ length: 8 }, (_, i) => Array.from({ length: 25 }, (_, k) => `${i}.${k}`)).flat();
    const reloaded = await loadBaileysAuth(store, logger);
    expect(Object.keys(await reloaded.state.keys.get('session', ids))).toHaveLength(200);
  });

  it('keeps no key material readable in the database', async () => {
    const store = await givenStore();
    const { state, saveCreds } = await loadBaileysAuth(store, logger);
    await saveCreds();
    const secret = Buffer.from(state.creds.noiseKey.private).toString('base64');
    const rows = await database.db.select({ value: engineCredentials.value }).from(engineCredentials);
    for (const row of rows) {
      expect(row.value.toString('utf8')).not.toContain(secret);
      expect(row.value.toString('utf8')).not.toContain('noiseKey');
    }
  });
});
