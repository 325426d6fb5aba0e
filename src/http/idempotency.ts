import { createHash } from 'node:crypto';

import { and, eq, lt, sql } from 'drizzle-orm';

import type { Db, DbOrTx } from '../db/client.js';
import { BadRequestError, UnprocessableError } from './errors.js';
import { idempotencyKeys } from './idempotency.table.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** Validates an `Idempotency-Key` header value: 1–255 visible ASCII characters. */
export function parseIdempotencyKey(value: string | string[] | undefined): string | null {
  if (value === undefined) {
    return null;
  }
  const key = Array.isArray(value) ? value[0] : value;
  if (key === undefined || !KEY.test(key)) {
    throw new BadRequestError(
      'INVALID_IDEMPOTENCY_KEY',
      'Idempotency-Key must be 1-255 visible ASCII characters',
      [{ field: 'idempotency-key', in: 'headers', message: 'is not a valid key' }],
    );
  }
  return key;
}

/** What makes two requests "the same": the operation and its input. */
export function fingerprint(operation: string, input: unknown): string {
  return createHash('sha256').update(operation).update('\0').update(JSON.stringify(input)).digest('hex');
}

export interface StoredResponse<T> {
  statusCode: number;
  response: T;
}

/**
 * Records the first response to each (user, key). The record is written in the transaction of the
 * effect, so either both exist or neither; a retry finds the record and gets the same response.
 */
export function createIdempotencyStore(db: Db) {
  // Every keyed send looks its key up first, so the lookup is prepared once.
  const findRecord = db
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.userId, sql.placeholder('userId')),
        eq(idempotencyKeys.key, sql.placeholder('key')),
      ),
    )
    .prepare('idempotency_find');

  return {
    /** The stored response for this key, or null; 422 if the key was used for another request. */
    async replay<T>(userId: string, key: string, print: string): Promise<StoredResponse<T> | null> {
      const [row] = await findRecord.execute({ userId, key });
      if (!row) {
        return null;
      }
      if (row.fingerprint !== print) {
        throw new UnprocessableError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used for a different request',
        );
      }
      return { statusCode: row.statusCode, response: row.response as T };
    },

    /** Forgets records older than `before`: a retry comes within minutes, not days. */
    async purge(before: Date): Promise<void> {
      await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before));
    },

    async save(
      entry: {
        userId: string;
        companyId: string;
        key: string;
        fingerprint: string;
        statusCode: number;
        response: unknown;
      },
      tx: DbOrTx = db,
    ): Promise<void> {
      await tx.insert(idempotencyKeys).values(entry);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
