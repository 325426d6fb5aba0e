import { and, desc, eq, ilike, or, sql } from 'drizzle-orm';

import type { Db, DbOrTx } from '../../db/client.js';
import type { CursorPosition, PageQuery } from '../../http/pagination.js';
import { offsetOf, olderThan } from '../../http/pagination.js';
import { type ChatRow, chats } from './chats.table.js';

export interface ChatIdentity {
  waChatId: string;
  lid?: string | null;
  phoneNumber?: string | null;
  name?: string | null;
  isGroup: boolean;
}

export interface ChatListFilter {
  archived: boolean;
  search?: string | undefined;
}

export type ChatPatch = Partial<Pick<ChatRow, 'archived' | 'pinned' | 'unreadCount' | 'name'>>;

/** Escapes LIKE wildcards so a search for "50%" finds "50%". */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function createChatsRepository(db: Db) {
  // Every request about one chat starts by finding it, so these are prepared once: no query
  // building in JS, and on PostgreSQL named statements each connection parses and plans once.
  const inSession = and(
    eq(chats.companyId, sql.placeholder('companyId')),
    eq(chats.sessionId, sql.placeholder('sessionId')),
  );
  const findById = db
    .select()
    .from(chats)
    .where(and(inSession, eq(chats.id, sql.placeholder('chatId'))))
    .prepare('chats_find');
  const findByWaId = db
    .select()
    .from(chats)
    .where(
      and(inSession, or(eq(chats.waChatId, sql.placeholder('waId')), eq(chats.lid, sql.placeholder('waId')))),
    )
    .limit(1)
    .prepare('chats_find_by_wa_id');
  // The chat list in each of its shapes (search or not, cursor or not), built once. Unnamed on the
  // server: each execution is planned for its own values, as a search or a deep cursor deserves.
  const listStatement = (withSearch: boolean, withCursor: boolean) => {
    const pattern = sql.placeholder('pattern');
    return db
      .select()
      .from(chats)
      .where(
        and(
          inSession,
          eq(chats.archived, sql.placeholder('archived')),
          withSearch
            ? or(
                ilike(chats.name, pattern),
                ilike(chats.phoneNumber, pattern),
                ilike(chats.waChatId, pattern),
              )
            : undefined,
          withCursor
            ? olderThan(chats.lastActivityAt, chats.id, {
                k: sql.placeholder('afterTime'),
                id: sql.placeholder('afterId'),
              })
            : undefined,
        ),
      )
      .orderBy(desc(chats.lastActivityAt), desc(chats.id))
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare('');
  };
  const listStatements = {
    all: { first: listStatement(false, false), after: listStatement(false, true) },
    search: { first: listStatement(true, false), after: listStatement(true, true) },
  };

  return {
    /**
     * Finds or creates the chats of a batch in one statement and returns them all. A name we did
     * not have yet is filled in; one we have is kept unless the engine reports a new one.
     */
    async upsertMany(
      companyId: string,
      sessionId: string,
      identities: ChatIdentity[],
      tx: DbOrTx = db,
    ): Promise<ChatRow[]> {
      if (identities.length === 0) {
        return [];
      }
      return tx
        .insert(chats)
        .values(
          identities.map((c) => ({
            companyId,
            sessionId,
            waChatId: c.waChatId,
            lid: c.lid ?? null,
            phoneNumber: c.phoneNumber ?? null,
            name: c.name ?? null,
            isGroup: c.isGroup,
          })),
        )
        .onConflictDoUpdate({
          target: [chats.sessionId, chats.waChatId],
          set: {
            name: sql`coalesce(excluded.name, ${chats.name})`,
            lid: sql`coalesce(${chats.lid}, excluded.lid)`,
            phoneNumber: sql`coalesce(${chats.phoneNumber}, excluded.phone_number)`,
          },
        })
        .returning();
    },

    async find(companyId: string, sessionId: string, chatId: string): Promise<ChatRow | undefined> {
      const [row] = await findById.execute({ companyId, sessionId, chatId });
      return row;
    },

    /** By WhatsApp id in either stored form (phone id or hidden id). */
    async findByWaId(companyId: string, sessionId: string, waId: string): Promise<ChatRow | undefined> {
      const [row] = await findByWaId.execute({ companyId, sessionId, waId });
      return row;
    },

    /**
     * Newest activity first. Keyset on (last_activity_at, id) walks chats_list_idx, so a deep page
     * costs what the first does; `page` is served by OFFSET for clients that want numbered pages.
     */
    async list(
      companyId: string,
      sessionId: string,
      filter: ChatListFilter,
      query: PageQuery,
      after: CursorPosition | null,
    ): Promise<ChatRow[]> {
      const cursor = after && typeof after.k === 'string' ? { afterTime: after.k, afterId: after.id } : null;
      const statement = listStatements[filter.search ? 'search' : 'all'][cursor ? 'after' : 'first'];
      return statement.execute({
        companyId,
        sessionId,
        archived: filter.archived,
        pattern: filter.search ? likePattern(filter.search) : undefined,
        ...cursor,
        limit: query.limit + 1,
        offset: after ? 0 : offsetOf(query),
      });
    },

    async update(companyId: string, sessionId: string, chatId: string, patch: ChatPatch, tx: DbOrTx = db) {
      const [row] = await tx
        .update(chats)
        .set({ ...patch, updatedAt: new Date() })
        .where(and(eq(chats.companyId, companyId), eq(chats.sessionId, sessionId), eq(chats.id, chatId)))
        .returning();
      return row;
    },
  };
}

export type ChatsRepository = ReturnType<typeof createChatsRepository>;
