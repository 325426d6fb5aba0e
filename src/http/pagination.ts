import { type Column, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';

import type { Pagination } from './envelope.js';
import { BadRequestError } from './errors.js';

export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;

/** `page` (1-based), `limit` (≤ 200) and an opaque `cursor` from a previous `nextCursor`. */
export const PageQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  cursor: z.string().trim().min(1).max(512).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/**
 * Keyset position: the sort key of the last row seen. Encoded as base64url JSON so that clients
 * treat it as opaque and we can change its content without breaking them.
 */
export interface CursorPosition {
  /** Sort value (an ISO timestamp) of the last row seen; null for lists sorted by id alone. */
  k: string | null;
  /** Id of the last row seen: the tie-breaker. */
  id: string;
}

// Every keyset table is keyed by UUIDs; a cursor with anything else was not issued here.
const CursorShape = z.strictObject({
  k: z.union([z.string().max(64), z.null()]),
  id: z.uuid(),
});

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/**
 * What a list sorts by, so that a cursor of another list (or a forged one) is refused instead of
 * silently restarting the walk: `id` lists carry no sort value, `time` lists an ISO timestamp.
 */
export type CursorKind = 'id' | 'time';

function fitsKind(position: CursorPosition, kind: CursorKind): boolean {
  if (kind === 'id') {
    return position.k === null;
  }
  return (
    typeof position.k === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(position.k) &&
    !Number.isNaN(Date.parse(position.k))
  );
}

export function decodeCursor(cursor: string, kind: CursorKind): CursorPosition {
  try {
    const parsed = CursorShape.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success && fitsKind(parsed.data, kind)) {
      return parsed.data;
    }
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw new BadRequestError('INVALID_CURSOR', 'The cursor is not one this API issued', [
    { field: 'cursor', in: 'querystring', message: 'is not a valid cursor' },
  ]);
}

export function offsetOf(query: PageQuery): number {
  return (query.page - 1) * query.limit;
}

/**
 * The rows after `position` in a newest-first walk on (time, id): `(time, id) < (k, id)`. A row
 * comparison is what PostgreSQL turns into an index bound on (…, time DESC, id DESC), so the scan
 * starts at the cursor and a deep page costs what the first does; the equivalent
 * `time < k OR (time = k AND id < id)` is only a filter, which reads every newer row first.
 * `k` and `id` are the cursor's values, or placeholders of a prepared statement (the ISO time and
 * the id are then given at execution).
 */
export function olderThan(
  time: Column,
  id: Column,
  position: { k: string | Placeholder; id: string | Placeholder },
): SQL {
  const k = typeof position.k === 'string' ? sql.param(new Date(position.k), time) : position.k;
  const last = typeof position.id === 'string' ? sql.param(position.id, id) : position.id;
  return sql`(${time}, ${id}) < (${k}, ${last})`;
}

/**
 * Rows were fetched with `limit + 1`: the extra row only tells whether there is more, the trick
 * that spares a COUNT for `hasMore`.
 */
export function toPage<T>(
  rows: T[],
  query: PageQuery,
  positionOf: (row: T) => CursorPosition,
  total: number | null = null,
): { items: T[]; pagination: Pagination } {
  const hasMore = rows.length > query.limit;
  const items = hasMore ? rows.slice(0, query.limit) : rows;
  const last = items.at(-1);
  return {
    items,
    pagination: {
      page: query.page,
      limit: query.limit,
      total,
      hasMore,
      nextCursor: hasMore && last ? encodeCursor(positionOf(last)) : null,
    },
  };
}
