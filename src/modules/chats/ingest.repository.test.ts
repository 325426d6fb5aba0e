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

describe('the phone’s view of chats and people (history)', () => {
  let database: Database;
  let drop: () => Promise<void>;
  let session: SessionRow;

  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase());
    session = await givenSessionRow(database);
  });
  afterAll(() => drop());

  const scope = () => ({ companyId: session.companyId, sessionId: session.id });
  const repo = () => createIngestRepository(database.db);
  const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 10, minute));
  const incoming = (
    chatKey: string,
    waMessageId: string,
    minute: number,
    extra: Partial<IncomingRow> = {},
  ) => ({
    chatKey,
    waMessageId,
    fromMe: false,
    type: 'text',
    body: 'hi',
    timestamp: at(minute),
    status: 'received' as const,
    ...extra,
  });
  const chatOf = async (waChatId: string) =>
    (await database.db.select().from(chats).where(eq(chats.waChatId, waChatId)))[0]!;

  it('takes the phone’s unread count, adding what arrived after the phone counted', async () => {
    const ann = { waChatId: '79001110001@c.us', phoneNumber: '79001110001', isGroup: false, name: 'Annie' };
    await repo().store(scope(), [ann], [incoming(ann.waChatId, 'U1', 1), incoming(ann.waChatId, 'U2', 2)], {
      countUnread: false,
      returnRows: false,
      keepNames: true,
    });
    // A live message after the phone's snapshot (minute 2): counted on top of the phone's 2.
    await repo().store(scope(), [ann], [incoming(ann.waChatId, 'U3', 5)], {
      countUnread: true,
      returnRows: false,
    });
    const changed = await repo().applyChatStates(scope(), [
      {
        waChatId: ann.waChatId,
        name: 'Ann Smith',
        unreadCount: 2,
        archived: true,
        pinned: true,
        asOf: at(2),
      },
    ]);
    expect(changed).toHaveLength(1);
    expect(await chatOf(ann.waChatId)).toMatchObject({
      name: 'Ann Smith',
      unreadCount: 3,
      archived: true,
      pinned: true,
    });
    // The same view again changes nothing; what it does not say is left as it is.
    await repo().applyChatStates(scope(), [{ waChatId: ann.waChatId, unreadCount: 2, asOf: at(2) }]);
    await repo().applyChatStates(scope(), [{ waChatId: ann.waChatId }]);
    expect(await chatOf(ann.waChatId)).toMatchObject({ name: 'Ann Smith', unreadCount: 3, archived: true });
    // History does not rename a chat after its messages' push names; live messages do.
    await repo().store(scope(), [ann], [incoming(ann.waChatId, 'U0', 0)], {
      countUnread: false,
      returnRows: false,
      keepNames: true,
    });
    expect((await chatOf(ann.waChatId)).name).toBe('Ann Smith');
  });

  it('adds up a person’s phone-id and hidden-id threads, and creates no chat it holds no message of', async () => {
    const bob = {
      waChatId: '79001110002@c.us',
      lid: '500000000002@lid',
      phoneNumber: '79001110002',
      isGroup: false,
    };
    await repo().store(scope(), [bob], [incoming(bob.waChatId, 'B1', 1)], {
      countUnread: false,
      returnRows: false,
    });
    const changed = await repo().applyChatStates(scope(), [
      { waChatId: bob.waChatId, name: 'Bob', unreadCount: 0, asOf: at(1) },
      { waChatId: bob.lid, unreadCount: 2, asOf: at(1) },
      { waChatId: '79001110009@c.us', name: 'Nobody', unreadCount: 4 },
    ]);
    expect(changed.map((c) => c.waChatId)).toEqual([bob.waChatId]);
    expect(await chatOf(bob.waChatId)).toMatchObject({ name: 'Bob', unreadCount: 2 });
    expect(await database.db.select().from(chats).where(eq(chats.waChatId, '79001110009@c.us'))).toEqual([]);
  });

  it('names senders by their push name and chats by the saved name, a push name only where none', async () => {
    const carol = { waChatId: '79001110003@c.us', phoneNumber: '79001110003', isGroup: false };
    const dan = {
      waChatId: '79001110004@c.us',
      phoneNumber: '79001110004',
      isGroup: false,
      name: 'Dan (own)',
    };
    const group = { waChatId: '120363000000000009@g.us', isGroup: true, name: 'Team' };
    const from = (waId: string) => ({ senderWaId: waId, senderPhone: waId.split('@')[0]! });
    await repo().store(
      scope(),
      [carol, dan, group],
      [
        incoming(carol.waChatId, 'N1', 1, from(carol.waChatId)),
        incoming(dan.waChatId, 'N2', 1, { ...from(dan.waChatId), senderName: 'Dan (own)' }),
        incoming(group.waChatId, 'N3', 1, from(carol.waChatId)),
        incoming(group.waChatId, 'N4', 2, from('500000000004@lid')),
      ],
      { countUnread: false, returnRows: false },
    );
    const result = await repo().applyContactNames(scope(), [
      { waId: carol.waChatId, pushName: 'Carol' },
      { waId: dan.waChatId, name: 'Daniel Saved', pushName: 'Danny' },
      { waId: '500000000004@lid', pushName: 'Danny' },
      { waId: group.waChatId, name: 'Not a person' },
    ]);
    expect(result).toEqual({ senders: 3, chats: 2 });
    const names = await database.db
      .select({ id: messages.waMessageId, name: messages.senderName })
      .from(messages)
      .where(inArray(messages.waMessageId, ['N1', 'N2', 'N3', 'N4']));
    expect(Object.fromEntries(names.map((n) => [n.id, n.name]))).toEqual({
      N1: 'Carol',
      N2: 'Dan (own)',
      N3: 'Carol',
      N4: 'Danny',
    });
    expect((await chatOf(carol.waChatId)).name).toBe('Carol');
    expect((await chatOf(dan.waChatId)).name).toBe('Daniel Saved');
    expect((await chatOf(group.waChatId)).name).toBe('Team');
  });
});
