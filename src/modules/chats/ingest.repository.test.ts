import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { givenSessionRow } from '../../../test/support/rows.js';
import { openTestDatabase } from '../../../test/support/test-app.js';
import type { Database } from '../../db/client.js';
import type { SessionRow } from '../sessions/sessions.table.js';
import { chats } from './chats.table.js';
import { createIngestRepository, type IncomingRow } from './ingest.repository.js';
import { messages } from './messages.table.js';

describe('ingest statement', () => {
  let database: Database;
  let drop: () => Promise<void>;
  let session: SessionRow;
  const chatKey = '79001234567@c.us';
  const identity = { waChatId: chatKey, isGroup: false };

  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase());
    session = await givenSessionRow(database);
  });
  afterAll(() => drop());

  const scope = () => ({ companyId: session.companyId, sessionId: session.id });
  const row = (waMessageId: string, extra: Partial<IncomingRow> = {}): IncomingRow => ({
    chatKey,
    waMessageId,
    fromMe: false,
    type: 'text',
    body: 'hello',
    timestamp: new Date('2026-03-01T10:00:00.123Z'),
    status: 'received',
    ...extra,
  });
  const store = (rows: IncomingRow[]) =>
    createIngestRepository(database.db).store(scope(), [identity], rows, {
      countUnread: true,
      returnRows: true,
    });

  it('returns each inserted row, and its chat, exactly as a Drizzle select reads them back', async () => {
    const { inserted, chats: touched } = await store([
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
    // Database defaults apply to the columns the statement does not give.
    expect(inserted[1]!.attempts).toBe(0);
    expect(inserted[1]!.createdAt).toBeInstanceOf(Date);
    const [chat] = await database.db.select().from(chats).where(eq(chats.id, touched[0]!.id));
    expect(touched).toEqual([chat]);
  });

  it('skips messages already stored and returns only the new ones', async () => {
    await store([row('B1')]);
    const second = await store([row('B1', { body: 'changed' }), row('B2')]);
    expect(second.inserted.map((m) => m.waMessageId)).toEqual(['B2']);
    expect(second.stored).toBe(1);
    const [kept] = await database.db.select().from(messages).where(eq(messages.waMessageId, 'B1'));
    expect(kept!.body).toBe('hello');
  });
});
