import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { givenSessionRow } from '../../../test/support/rows.js';
import { openTestDatabase } from '../../../test/support/test-app.js';
import { type Database, fromPool } from '../../db/client.js';
import { isTransientDbError } from '../../db/errors.js';
import { createEventBus } from '../../events/event-bus.js';
import type { EngineMessage } from '../engine/engine.js';
import { chats } from './chats.table.js';
import { createIngestRepository } from './ingest.repository.js';
import { createMessageIngest } from './message-ingest.js';
import { createMessagesRepository } from './messages.repository.js';
import { messages } from './messages.table.js';

let database: Database;
let drop: () => Promise<void>;
const events = createEventBus((err) => {
  throw err;
});
const received: unknown[] = [];
events.on('message.received', (e) => received.push(e));

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterAll(async () => {
  await drop();
});

async function givenRef() {
  const session = await givenSessionRow(database);
  return { companyId: session.companyId, sessionId: session.id };
}

const ingest = () =>
  createMessageIngest({
    db: database.db,
    ingest: createIngestRepository(database.db),
    messages: createMessagesRepository(database.db),
    events,
    log: pino({ level: 'silent' }),
  });

let seq = 0;
function message(over: Partial<EngineMessage>): EngineMessage {
  seq += 1;
  return {
    waMessageId: `MSG${seq}`,
    chatWaId: '79991234567@c.us',
    fromMe: false,
    type: 'text',
    body: `message ${seq}`,
    timestamp: new Date(Date.UTC(2026, 10, 1, 12, 0, seq)),
    sender: { waId: null, phoneNumber: null, name: 'Ivan' },
    isGroup: false,
    ...over,
  };
}

const chatsOf = (sessionId: string) => database.db.select().from(chats).where(eq(chats.sessionId, sessionId));

describe('message ingest', () => {
  it('keeps a phone id and a hidden id seen on one message as one chat', async () => {
    const ref = await givenRef();
    await ingest().messages(ref, 'live', [
      message({ chatWaId: '123456789012345@lid', chatAltWaId: '79991234567@s.whatsapp.net' }),
    ]);
    await ingest().messages(ref, 'live', [message({ chatWaId: '79991234567@c.us' })]);
    const rows = await chatsOf(ref.sessionId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      waChatId: '79991234567@c.us',
      lid: '123456789012345@lid',
      unreadCount: 2,
    });
  });

  it('merges a hidden-id chat into the phone chat when the mapping arrives later', async () => {
    const ref = await givenRef();
    const handler = ingest();
    await handler.messages(ref, 'live', [message({ chatWaId: '79991234567@c.us', body: 'by phone' })]);
    await handler.messages(ref, 'live', [
      message({ chatWaId: '555000111222333@lid', body: 'by hidden id 1' }),
      message({ chatWaId: '555000111222333@lid', body: 'by hidden id 2' }),
    ]);
    expect(await chatsOf(ref.sessionId)).toHaveLength(2);

    await handler.identity(ref, '555000111222333@lid', '79991234567@s.whatsapp.net');

    const rows = await chatsOf(ref.sessionId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      waChatId: '79991234567@c.us',
      lid: '555000111222333@lid',
      unreadCount: 3,
      lastMessageBody: 'by hidden id 2',
    });
    const stored = await database.db.select().from(messages).where(eq(messages.sessionId, ref.sessionId));
    expect(stored).toHaveLength(3);
    expect(new Set(stored.map((m) => m.chatId))).toEqual(new Set([rows[0]!.id]));

    // A later message by either id lands in the same chat.
    await handler.messages(ref, 'live', [
      message({ chatWaId: '555000111222333@lid', body: 'after the merge' }),
    ]);
    expect(await chatsOf(ref.sessionId)).toHaveLength(1);
  });

  it('links a hidden-id chat when a later message carries both ids', async () => {
    const ref = await givenRef();
    await ingest().messages(ref, 'live', [message({ chatWaId: '888000111222333@lid', body: 'hidden' })]);
    await ingest().messages(ref, 'live', [
      message({ chatWaId: '79995556677@s.whatsapp.net', chatAltWaId: '888000111222333@lid', body: 'both' }),
    ]);
    const rows = await chatsOf(ref.sessionId);
    expect(rows).toEqual([
      expect.objectContaining({
        waChatId: '79995556677@c.us',
        lid: '888000111222333@lid',
        unreadCount: 2,
        lastMessageBody: 'both',
      }),
    ]);
  });

  it('keeps one chat when one batch holds a hidden-id-only message and one with both ids', async () => {
    const ref = await givenRef();
    await ingest().messages(ref, 'history', [
      message({ chatWaId: '999000111222333@lid', body: 'hidden only' }),
      message({ chatWaId: '79993334455@s.whatsapp.net', chatAltWaId: '999000111222333@lid', body: 'both' }),
    ]);
    const rows = await chatsOf(ref.sessionId);
    expect(rows).toEqual([
      expect.objectContaining({ waChatId: '79993334455@c.us', lid: '999000111222333@lid' }),
    ]);
    const stored = await database.db.select().from(messages).where(eq(messages.sessionId, ref.sessionId));
    expect(stored).toHaveLength(2);
  });

  it('stores text with NUL characters without them, and never loses the rest of the batch', async () => {
    const ref = await givenRef();
    await ingest().messages(ref, 'live', [
      message({
        waMessageId: 'NUL1',
        body: 'bad\u0000byte',
        sender: { waId: null, phoneNumber: null, name: 'Iv\u0000an' },
      }),
      message({ waMessageId: 'OK1', body: 'fine' }),
    ]);
    const stored = await database.db.select().from(messages).where(eq(messages.sessionId, ref.sessionId));
    expect(stored.map((m) => m.body).sort()).toEqual(['badbyte', 'fine']);
  });

  it('gives a hidden-id-only chat its phone id when the mapping arrives', async () => {
    const ref = await givenRef();
    await ingest().messages(ref, 'live', [message({ chatWaId: '777000111222333@lid' })]);
    await ingest().identity(ref, '777000111222333@lid', '79990009988@s.whatsapp.net');
    const rows = await chatsOf(ref.sessionId);
    expect(rows).toEqual([
      expect.objectContaining({
        waChatId: '79990009988@c.us',
        phoneNumber: '79990009988',
        lid: '777000111222333@lid',
      }),
    ]);
  });

  it('counts unread only for live incoming messages, and keeps reactions out of the preview', async () => {
    const ref = await givenRef();
    received.length = 0;
    await ingest().messages(ref, 'history', [
      message({ body: 'old' }),
      message({ fromMe: true, body: 'old reply' }),
    ]);
    expect(received).toHaveLength(0);
    await ingest().messages(ref, 'live', [message({ body: 'new' })]);
    await ingest().messages(ref, 'live', [
      message({ type: 'reaction', body: '👍', media: { emoji: '👍', targetWaMessageId: 'MSG1' } }),
    ]);
    const [chat] = await chatsOf(ref.sessionId);
    expect(chat).toMatchObject({ unreadCount: 1, lastMessageBody: 'new' });
    expect(received).toHaveLength(2);
  });

  it('applies edits and deletions by the sender, to the message and to the chat preview', async () => {
    const ref = await givenRef();
    const handler = ingest();
    await handler.messages(ref, 'live', [message({ waMessageId: 'EDIT1', body: 'typo' })]);
    const updated: any[] = [];
    const off = events.on('message.updated', (e) => updated.push(e));
    await handler.changes(ref, [
      {
        kind: 'edit',
        waMessageId: 'EDIT1',
        chatWaId: '79991234567@c.us',
        body: 'fixed',
        editedAt: new Date(),
      },
    ]);
    let [chat] = await chatsOf(ref.sessionId);
    expect(chat!.lastMessageBody).toBe('fixed');
    expect(updated[0].message).toMatchObject({ body: 'fixed', editedAt: expect.any(String) });

    await handler.changes(ref, [
      { kind: 'revoke', waMessageId: 'EDIT1', chatWaId: '79991234567@c.us', at: new Date() },
    ]);
    [chat] = await chatsOf(ref.sessionId);
    expect(chat!.lastMessageBody).toBeNull();
    expect(updated[1].message).toMatchObject({ body: null, deletedAt: expect.any(String) });

    // A change to a message we never stored is ignored.
    await handler.changes(ref, [
      { kind: 'revoke', waMessageId: 'UNKNOWN', chatWaId: '79991234567@c.us', at: new Date() },
    ]);
    off();
    expect(updated).toHaveLength(2);
  });

  it('writes a batch of thousands in one go, and a redelivered batch adds nothing', async () => {
    const ref = await givenRef();
    const batch = Array.from({ length: 2500 }, (_, i) =>
      message({ chatWaId: `7999000${String(i % 50).padStart(4, '0')}@c.us`, waMessageId: `BULK${i}` }),
    );
    await ingest().messages(ref, 'history', batch);
    await ingest().messages(ref, 'history', batch);
    const stored = await database.db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.sessionId, ref.sessionId));
    expect(stored).toHaveLength(2500);
    expect(await chatsOf(ref.sessionId)).toHaveLength(50);
  });

  it('dates a chat first seen in history by its last message, so the list keeps WhatsApp order', async () => {
    const ref = await givenRef();
    await ingest().messages(ref, 'history', [
      message({ chatWaId: '79990000001@c.us', timestamp: new Date('2026-01-05T10:00:00Z') }),
      message({ chatWaId: '79990000002@c.us', timestamp: new Date('2026-02-05T10:00:00Z') }),
      message({ chatWaId: '79990000001@c.us', timestamp: new Date('2026-03-05T10:00:00Z') }),
      message({
        chatWaId: '79990000003@c.us',
        type: 'reaction',
        timestamp: new Date('2026-04-05T10:00:00Z'),
      }),
    ]);
    const rows = await chatsOf(ref.sessionId);
    const activity = Object.fromEntries(rows.map((c) => [c.waChatId, c.lastActivityAt.toISOString()]));
    expect(activity['79990000001@c.us']).toBe('2026-03-05T10:00:00.000Z');
    expect(activity['79990000002@c.us']).toBe('2026-02-05T10:00:00.000Z');
    // A chat with only a reaction has no last message: it dates from when it was stored.
    expect(Date.parse(activity['79990000003@c.us']!)).toBeGreaterThan(Date.parse('2026-11-01T00:00:00Z'));
    expect(rows.find((c) => c.waChatId === '79990000003@c.us')).toMatchObject({
      lastMessageId: null,
      unreadCount: 0,
    });
  });

  it('announces a live batch in its order, each message with its chat as stored after it', async () => {
    const ref = await givenRef();
    received.length = 0;
    await ingest().messages(ref, 'live', [
      message({ chatWaId: '79990000011@c.us', body: 'a1' }),
      message({ chatWaId: '79990000012@c.us', body: 'b1' }),
      message({ chatWaId: '79990000011@c.us', body: 'a2' }),
      message({ chatWaId: '79990000011@c.us', body: 'a2', waMessageId: `MSG${seq}` }), // the same message twice
    ]);
    const got = received as { chat: { waChatId: string; unreadCount: number }; message: { body: string } }[];
    expect(got.map((e) => e.message.body)).toEqual(['a1', 'b1', 'a2']);
    expect(got.map((e) => [e.chat.waChatId, e.chat.unreadCount])).toEqual([
      ['79990000011@c.us', 2],
      ['79990000012@c.us', 1],
      ['79990000011@c.us', 2],
    ]);
  });

  it('makes one chat of concurrent deliveries to a new contact, counting every message', async () => {
    // The supervisor hands a session's events over one at a time; this is the worst case anyway
    // (another process, or a chat opened through the API at the same moment).
    const ref = await givenRef();
    // Open every pooled connection first, so that the deliveries really overlap on PostgreSQL.
    await Promise.all(Array.from({ length: 5 }, () => database.db.execute(sql`select pg_sleep(0.05)`)));
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        ingest().messages(ref, 'live', [message({ chatWaId: '79990000021@c.us', body: `c${i}` })]),
      ),
    );
    const rows = await chatsOf(ref.sessionId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.unreadCount).toBe(6);
    const stored = await database.db.select().from(messages).where(eq(messages.sessionId, ref.sessionId));
    expect(stored).toHaveLength(6);
    expect(new Set(stored.map((m) => m.chatId))).toEqual(new Set([rows[0]!.id]));
  });

  it('hands a batch back when the database cannot be reached, instead of dropping it message by message', async () => {
    const unreachable = fromPool(
      new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:9/none', connectionTimeoutMillis: 2000 }),
    );
    const handler = createMessageIngest({
      db: unreachable.db,
      ingest: createIngestRepository(unreachable.db),
      messages: createMessagesRepository(unreachable.db),
      events,
      log: pino({ level: 'silent' }),
    });
    const ref = {
      companyId: '01a21913-6c11-7c3f-9fe0-6c1c5e726eeb',
      sessionId: '01a21913-6c1e-74c5-95b7-9e2fc5588e42',
    };
    const failure = await handler.messages(ref, 'live', [message({}), message({})]).then(
      () => null,
      (err: unknown) => err,
    );
    await unreachable.close();
    expect(isTransientDbError(failure)).toBe(true);
  });
});
