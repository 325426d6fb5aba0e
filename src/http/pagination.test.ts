import { describe, expect, it } from 'vitest';

import { AppError, BadRequestError } from './errors.js';
import {
  type CursorKind,
  type CursorPosition,
  decodeCursor,
  DEFAULT_LIMIT,
  encodeCursor,
  MAX_LIMIT,
  offsetOf,
  PageQuery,
  toPage,
} from './pagination.js';

/** The error decodeCursor throws for `cursor`; fails the test if it decodes. */
function cursorError(cursor: string): AppError {
  try {
    const decoded = decodeCursor(cursor, 'time');
    throw new Error(`expected ${JSON.stringify(cursor)} to be refused, got ${JSON.stringify(decoded)}`);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
/** Keyset tables are keyed by UUIDs (v7). */
const ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const uuidAt = (n: number) => `0190a1b2-c3d4-7e5f-8a9b-${n.toString(16).padStart(12, '0')}`;

describe('encodeCursor / decodeCursor', () => {
  it.each<[string, CursorPosition, CursorKind]>([
    ['an ISO timestamp key', { k: '2025-01-02T03:04:05.678Z', id: ID }, 'time'],
    ['a timestamp without milliseconds', { k: '2025-01-02T03:04:05Z', id: uuidAt(1) }, 'time'],
    ['a null key', { k: null, id: uuidAt(3) }, 'id'],
  ])('round-trips %s', (_case, position, kind) => {
    const cursor = encodeCursor(position);
    expect(decodeCursor(cursor, kind)).toEqual(position);
  });

  it.each<[string, CursorPosition, CursorKind]>([
    ['an id cursor on a time-sorted list', { k: null, id: ID }, 'time'],
    ['a time cursor on an id-sorted list', { k: '2025-01-02T03:04:05.678Z', id: ID }, 'id'],
    ['a key that is not a timestamp', { k: 'abc', id: ID }, 'time'],
    ['a timestamp outside what a date can hold', { k: '+200000-01-01T00:00:00Z', id: ID }, 'time'],
    ['an impossible date', { k: '2025-13-45T00:00:00Z', id: ID }, 'time'],
  ])('refuses %s', (_case, position, kind) => {
    expect(() => decodeCursor(encodeCursor(position), kind)).toThrow(BadRequestError);
  });

  it('produces an opaque URL-safe token', () => {
    const cursor = encodeCursor({ k: '2025-01-02T03:04:05.678Z?&=/+', id: ID });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('2025');
  });

  it('gives different cursors for different positions', () => {
    expect(encodeCursor({ k: null, id: uuidAt(1) })).not.toBe(encodeCursor({ k: null, id: uuidAt(2) }));
    expect(encodeCursor({ k: null, id: ID })).not.toBe(encodeCursor({ k: '2025-01-02T03:04:05Z', id: ID }));
  });

  it.each([
    ['garbage', '!!!not a cursor!!!'],
    ['an empty string', ''],
    ['valid base64url of text that is not JSON', base64url('hello, world')],
    ['base64url of truncated JSON', base64url('{"k":1,"id":"a"')],
    ['JSON null', base64url('null')],
    ['a JSON number', base64url('42')],
    ['a JSON array', base64url('[1,"a"]')],
    ['JSON without id', base64url('{"k":1}')],
    ['JSON without k', base64url(`{"id":"${ID}"}`)],
    ['JSON with an empty id', base64url('{"k":1,"id":""}')],
    ['JSON with an id that is not a UUID', base64url('{"k":1,"id":"row-1"}')],
    ['JSON with a numeric id', base64url('{"k":1,"id":7}')],
    ['JSON with an object key', base64url(`{"k":{"$gt":1},"id":"${ID}"}`)],
    ['JSON with a boolean key', base64url(`{"k":true,"id":"${ID}"}`)],
    ['JSON with an extra field', base64url(`{"k":1,"id":"${ID}","admin":true}`)],
    ['JSON with an id over 64 characters', base64url(JSON.stringify({ k: 1, id: `${ID}${'0'.repeat(30)}` }))],
    ['JSON with a key over 64 characters', base64url(JSON.stringify({ k: 'x'.repeat(65), id: ID }))],
  ])('refuses %s with a 400 INVALID_CURSOR', (_case, cursor) => {
    const error = cursorError(cursor);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_CURSOR');
    expect(error.details).toEqual([expect.objectContaining({ field: 'cursor', in: 'querystring' })]);
  });
});

describe('PageQuery', () => {
  it('defaults to page 1 with the default limit and coerces query strings', () => {
    expect(PageQuery.parse({})).toEqual({ page: 1, limit: DEFAULT_LIMIT });
    expect(PageQuery.parse({ page: '3', limit: '20' })).toEqual({ page: 3, limit: 20 });
  });

  it.each([
    { page: '0' },
    { page: '-1' },
    { page: 'two' },
    { limit: '0' },
    { limit: String(MAX_LIMIT + 1) },
    { limit: '1.5' },
    { cursor: '   ' },
    { cursor: 'x'.repeat(513) },
    { sort: 'name' },
  ])('refuses %o', (query) => {
    expect(PageQuery.safeParse(query).success).toBe(false);
  });

  it('computes the offset of a page', () => {
    expect(offsetOf(PageQuery.parse({}))).toBe(0);
    expect(offsetOf(PageQuery.parse({ page: '3', limit: '20' }))).toBe(40);
  });
});

describe('toPage', () => {
  interface Row {
    id: string;
    at: string;
  }
  const rows = (n: number): Row[] =>
    Array.from({ length: n }, (_, i) => ({
      id: uuidAt(i + 1),
      at: new Date(Date.UTC(2025, 0, 1, 0, 0, 1000 - i)).toISOString(),
    }));
  const positionOf = (row: Row): CursorPosition => ({ k: row.at, id: row.id });

  it('with limit + 1 rows: returns limit items, hasMore, and a cursor at the last returned item', () => {
    const query = PageQuery.parse({ limit: '3' });
    const result = toPage(rows(4), query, positionOf);

    expect(result.items.map((r) => r.id)).toEqual([uuidAt(1), uuidAt(2), uuidAt(3)]);
    expect(result.pagination).toMatchObject({ page: 1, limit: 3, total: null, hasMore: true });
    expect(result.pagination.nextCursor).not.toBeNull();
    expect(decodeCursor(result.pagination.nextCursor!, 'time')).toEqual({ k: rows(3)[2]!.at, id: uuidAt(3) });
  });

  it.each([
    ['exactly limit rows', 3, 3],
    ['fewer rows than the limit', 2, 2],
    ['no rows', 0, 0],
  ])('with %s: no more, no cursor', (_case, count, expected) => {
    const result = toPage(rows(count), PageQuery.parse({ limit: '3' }), positionOf);
    expect(result.items).toHaveLength(expected);
    expect(result.pagination).toEqual({ page: 1, limit: 3, total: null, hasMore: false, nextCursor: null });
  });

  it('passes page and total through', () => {
    const result = toPage(rows(3), PageQuery.parse({ page: '4', limit: '2' }), positionOf, 9);
    expect(result.pagination).toMatchObject({ page: 4, limit: 2, total: 9, hasMore: true });
    expect(result.items).toHaveLength(2);
  });

  it('walks a whole list with nextCursor, seeing every row once', () => {
    const all = rows(7);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const query = PageQuery.parse({ limit: '3', ...(cursor ? { cursor } : {}) });
      // A keyset query: rows after the cursor position, limit + 1 of them.
      const after = query.cursor ? decodeCursor(query.cursor, 'time') : null;
      const fetched = all.filter((r) => after === null || r.at < after.k!).slice(0, query.limit + 1);
      const { items, pagination } = toPage(fetched, query, positionOf);
      seen.push(...items.map((r) => r.id));
      if (!pagination.hasMore) {
        break;
      }
      cursor = pagination.nextCursor!;
    }
    expect(seen).toEqual(all.map((r) => r.id));
  });
});
