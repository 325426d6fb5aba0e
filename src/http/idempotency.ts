import { createHash } from 'node:crypto';

import { and, eq, lt, sql } from 'drizzle-orm';

import type { Db, DbOrTx } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Actor } from '../shared/actor.js';
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
 * Writes the key's record with the response, in the transaction `tx` of the effect it describes;
 * a no-op for a request without a key.
 */
export type RememberResponse<T> = (response: T, tx: DbOrTx, statusCode?: number) => Promise<void>;

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

  /** The stored response for this key, or null; 422 if the key was used for another request. */
  const replay = async <T>(userId: string, key: string, print: string): Promise<StoredResponse<T> | null> => {
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
  };

  const save = async (
    entry: {
      userId: string;
      companyId: string;
      key: string;
      fingerprint: string;
      statusCode: number;
      response: unknown;
    },
    tx: DbOrTx = db,
  ): Promise<void> => {
    await tx.insert(idempotencyKeys).values(entry);
  };

  return {
    replay,
    save,

    /**
     * Runs an operation at most once per (actor, key): a request whose key has a record gets the
     * recorded response back without running `fn`. `fn` writes the record through `remember`, in
     * the transaction of its effect; when a concurrent request with the same key committed first,
     * that write fails on the key and the first response is returned instead. Without a key, `fn`
     * simply runs.
     */
    async once<T>(
      actor: Pick<Actor, 'userId' | 'companyId'>,
      key: string | null,
      print: string,
      fn: (remember: RememberResponse<T>) => Promise<T>,
    ): Promise<T> {
      if (!key) {
        return fn(() => Promise.resolve());
      }
      const first = await replay<T>(actor.userId, key, print);
      if (first) {
        return first.response;
      }
      try {
        return await fn((response, tx, statusCode = 201) =>
          save(
            {
              userId: actor.userId,
              companyId: actor.companyId,
              key,
              fingerprint: print,
              statusCode,
              response,
            },
            tx,
          ),
        );
      } catch (err) {
        // A concurrent request with the same key committed first: answer as it did.
        if (isUniqueViolation(err)) {
          const concurrent = await replay<T>(actor.userId, key, print);
          if (concurrent) {
            return concurrent.response;
          }
        }
        throw err;
      }
    },

    /** Forgets records older than `before`: a retry comes within minutes, not days. */
    async purge(before: Date): Promise<void> {
      await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before));
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
