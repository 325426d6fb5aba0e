import { and, eq, inArray } from 'drizzle-orm';

import type { Db } from '../../db/client.js';
import { excluded } from '../../db/sql.js';
import type { Cipher } from '../../shared/cipher.js';
import { engineCredentials } from './credentials.table.js';
import type { CredentialStore } from './engine.js';

/**
 * One session's credentials in the database, each value sealed with AES-256-GCM and bound to its
 * (session, key) so a dump shows no key material and rows cannot be moved between sessions.
 */
export function createCredentialStore(db: Db, cipher: Cipher, sessionId: string): CredentialStore {
  const aad = (key: string) => `${sessionId}:${key}`;

  return {
    async get(keys) {
      const result = new Map<string, string>();
      if (keys.length === 0) {
        return result;
      }
      const rows = await db
        .select({ key: engineCredentials.key, value: engineCredentials.value })
        .from(engineCredentials)
        .where(and(eq(engineCredentials.sessionId, sessionId), inArray(engineCredentials.key, keys)));
      for (const row of rows) {
        result.set(row.key, cipher.decrypt(row.value, aad(row.key)));
      }
      return result;
    },

    async set(entries) {
      const writes = Object.entries(entries);
      if (writes.length === 0) {
        return;
      }
      const upserts = writes.flatMap(([key, value]) =>
        value === null
          ? []
          : [{ sessionId, key, value: cipher.encrypt(value, aad(key)), updatedAt: new Date() }],
      );
      const deletes = writes.flatMap(([key, value]) => (value === null ? [key] : []));
      await db.transaction(async (tx) => {
        if (deletes.length > 0) {
          await tx
            .delete(engineCredentials)
            .where(and(eq(engineCredentials.sessionId, sessionId), inArray(engineCredentials.key, deletes)));
        }
        if (upserts.length > 0) {
          await tx
            .insert(engineCredentials)
            .values(upserts)
            .onConflictDoUpdate({
              target: [engineCredentials.sessionId, engineCredentials.key],
              set: { value: excluded('value'), updatedAt: excluded('updated_at') },
            });
        }
      });
    },

    async clear() {
      await db.delete(engineCredentials).where(eq(engineCredentials.sessionId, sessionId));
    },

    async exists() {
      const [row] = await db
        .select({ key: engineCredentials.key })
        .from(engineCredentials)
        .where(eq(engineCredentials.sessionId, sessionId))
        .limit(1);
      return row !== undefined;
    },
  };
}
