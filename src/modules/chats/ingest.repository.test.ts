import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { givenSessionRow } from '../../test/support/rows.js';
import { openTestDatabase } from '../../test/support/test-app.js';
import { chats } from '../modules/chats/chats.table.js';
import { messages } from '../modules/chats/messages.table.js';
import type { SessionRow } from '../modules/sessions/sessions.table.js';
import { insertUnnest } from './bulk.js';
import type { Database } from './client.js';

describe('insertUnnest', () => {
  let database: Database;
  let drop: () => Promise<void>;
  let session: SessionRow;
  let chatId: string;

  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase());
    session = await givenSessionRow(database);
    const [chat] = await database.db
      .insert(chats)
      .values({ companyId: session.companyId, sessionId: session.id, waChatId: '79001234567@c.us' })
      .returning();
    chatId = chat!.id;
  });
  afterAll(() => drop());

  const row = (waMessageId: string, extra: Partial<typeof messages.$inferInsert> = {}) => ({
    sessionId: session.id,
    companyId: session.companyId,
    chatId,
    waMessageId,
    fromMe: false,
    type: 'text',
    body: 'hello',
    timestamp: new Date('2026-03-01T10:00:00.123Z'),
    status: 'received' as const,
    ...extra,
  });

  it('returns each inserted row exactly as a Drizzle select reads it back', async () => {
    const inserted = await insertUnnest(database.db, messages, [
      row('A1', {
        body: `quotes ' " backslash \\ braces {a,b} comma, NULL and Юникод 🙂`,
        media: { mimetype: 'image/jpeg', size: 10, fileName: 'a "b".jpg' },
        mediaRef: '{"k":1}',
        senderName: null,
      }),
      row('A2', { fromMe: true, status: 'read', body: null, type: 'image', quotedWaMessageId: 'A1' }),
    ]);
    expect(inserted).toHaveLength(2);
    const stored = await database.db
      .select()
      .from(messages)
      .where(
        inArray(
          messages.id,
          inserted.map((m) => m.id),
        ),
      );
    for (const m of inserted) {
      expect(m).toEqual(stored.find((s) => s.id === m.id));
    }
    expect(inserted[0]!.body).toBe(`quotes ' " backslash \\ braces {a,b} comma, NULL and Юникод 🙂`);
    expect(inserted[0]!.media).toEqual({ mimetype: 'image/jpeg', size: 10, fileName: 'a "b".jpg' });
    expect(inserted[0]!.timestamp).toEqual(new Date('2026-03-01T10:00:00.123Z'));
    expect(inserted[1]!.status).toBe('read');
    // Database defaults apply to columns no row gives.
    expect(inserted[1]!.attempts).toBe(0);
    expect(inserted[1]!.createdAt).toBeInstanceOf(Date);
  });

  it('skips conflicting rows and returns only the new ones', async () => {
    await insertUnnest(database.db, messages, [row('B1')], {
      onConflictDoNothing: [messages.sessionId, messages.waMessageId],
    });
    const second = await insertUnnest(database.db, messages, [row('B1', { body: 'changed' }), row('B2')], {
      onConflictDoNothing: [messages.sessionId, messages.waMessageId],
    });
    expect(second.map((m) => m.waMessageId)).toEqual(['B2']);
    const [kept] = await database.db.select().from(messages).where(eq(messages.waMessageId, 'B1'));
    expect(kept!.body).toBe('hello');
  });

  it('writes nothing for no rows, and refuses a database-default column given by some rows only', async () => {
    expect(await insertUnnest(database.db, messages, [])).toEqual([]);
    await expect(
      insertUnnest(database.db, messages, [row('C1', { attempts: 2 }), row('C2')]),
    ).rejects.toThrow(/attempts/);
    const rows = await database.db
      .select()
      .from(messages)
      .where(inArray(messages.waMessageId, ['C1', 'C2']));
    expect(rows).toEqual([]);
  });
});
