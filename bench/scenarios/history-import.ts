import { and, count, eq, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';

import type { Database } from '../../src/db/client.js';
import { createEventBus } from '../../src/events/event-bus.js';
import { chats } from '../../src/modules/chats/chats.table.js';
import { createIngestRepository } from '../../src/modules/chats/ingest.repository.js';
import { createMessageIngest, toMessageRow } from '../../src/modules/chats/message-ingest.js';
import { createMessagesRepository, type NewMessage } from '../../src/modules/chats/messages.repository.js';
import { messages } from '../../src/modules/chats/messages.table.js';
import type { EngineMessage } from '../../src/modules/engine/engine.js';
import type { SessionRef } from '../../src/modules/sessions/session-supervisor.js';
import { newId } from '../../src/shared/ids.js';
import { givenSessionRow } from '../../test/support/rows.js';
import { atLeast, measure, round, type Scenario } from '../lib/types.js';

const BATCH = 500;
const TARGET = { minPerSecond: 25_000, minRatio: 0.5 };

/** The simulator's history, chat after chat (see `history(...)` in simulator-network.ts), in batches. */
function historyBatches(sessionId: string, chatCount: number, perChat: number): EngineMessage[][] {
  const total = chatCount * perChat;
  const start = Date.now() - total * 1000;
  const prefix = sessionId.replaceAll('-', '').slice(-12).toUpperCase();
  const batches: EngineMessage[][] = [];
  let batch: EngineMessage[] = [];
  for (let c = 0; c < chatCount; c++) {
    const phoneNumber = `7900${String(c).padStart(7, '0')}`;
    const chatWaId = `${phoneNumber}@c.us`;
    for (let m = 0; m < perChat; m++) {
      const fromMe = m % 3 === 2;
      batch.push({
        waMessageId: `HIST${prefix}${String(c * perChat + m).padStart(10, '0')}`,
        chatWaId,
        fromMe,
        type: 'text',
        body: `History message ${m + 1} with contact ${c + 1}`,
        timestamp: new Date(start + (c * perChat + m) * 1000),
        sender: fromMe
          ? { waId: null, phoneNumber: null, name: null }
          : { waId: chatWaId, phoneNumber, name: `Contact ${c + 1}` },
        chatName: `Contact ${c + 1}`,
        isGroup: false,
        status: fromMe ? 'read' : null,
      });
      if (batch.length === BATCH) {
        batches.push(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) {
    batches.push(batch);
  }
  return batches;
}

/**
 * The plainest one-statement form of a batch: one array parameter per column, written by hand,
 * returning nothing.
 */
function plainUnnestInsert(rows: NewMessage[]) {
  const column = <T>(pick: (row: NewMessage) => T) => sql.param(rows.map(pick));
  return sql`insert into messages (id, session_id, chat_id, company_id, wa_message_id, from_me, type, body,
      sender_wa_id, sender_phone, sender_name, timestamp, status, quoted_wa_message_id, media, media_ref)
    select * from unnest(
      ${column((r) => r.id)}::uuid[], ${column((r) => r.sessionId)}::uuid[], ${column((r) => r.chatId)}::uuid[],
      ${column((r) => r.companyId)}::uuid[], ${column((r) => r.waMessageId)}::text[], ${column((r) => r.fromMe)}::boolean[],
      ${column((r) => r.type)}::text[], ${column((r) => r.body)}::text[], ${column((r) => r.senderWaId)}::text[],
      ${column((r) => r.senderPhone)}::text[], ${column((r) => r.senderName)}::text[],
      ${column((r) => r.timestamp.toISOString())}::timestamptz[], ${column((r) => r.status)}::text[]::message_status[],
      ${column((r) => r.quotedWaMessageId)}::text[], ${column((r) => (r.media ? JSON.stringify(r.media) : null))}::jsonb[],
      ${column((r) => r.mediaRef)}::text[])`;
}

/** Every measurement starts from empty message and chat tables, so runs do not pay for each other's rows. */
async function emptyTables(database: Database): Promise<void> {
  await database.db.delete(messages);
  await database.db.delete(chats);
}

async function countOf(database: Database, ref: SessionRef) {
  const [m] = await database.db
    .select({ n: count() })
    .from(messages)
    .where(and(eq(messages.companyId, ref.companyId), eq(messages.sessionId, ref.sessionId)));
  const [c] = await database.db
    .select({ n: count() })
    .from(chats)
    .where(and(eq(chats.companyId, ref.companyId), eq(chats.sessionId, ref.sessionId)));
  return { messages: m?.n ?? 0, chats: c?.n ?? 0 };
}

function expectCounts(
  what: string,
  actual: { messages: number; chats: number },
  expected: { messages: number; chats: number },
): void {
  if (actual.messages !== expected.messages || actual.chats !== expected.chats) {
    throw new Error(
      `${what}: expected ${expected.messages} messages in ${expected.chats} chats, ` +
        `found ${actual.messages} messages in ${actual.chats} chats`,
    );
  }
}

async function freshSession(database: Database): Promise<SessionRef> {
  await emptyTables(database);
  const session = await givenSessionRow(database);
  return { sessionId: session.id, companyId: session.companyId };
}

export const historyImport: Scenario = {
  name: 'history-import',
  databases: ['postgres', 'pglite'],
  async run({ database, quick, repeats, log }) {
    const chatCount = quick ? 100 : 1_000;
    const total = quick ? 10_000 : 100_000;
    const perChat = total / chatCount;
    const expected = { messages: total, chats: chatCount };

    const silent = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
    const events = createEventBus((err) => {
      throw err;
    });
    const ingest = createMessageIngest({
      db: database.db,
      ingest: createIngestRepository(database.db),
      messages: createMessagesRepository(database.db),
      events,
      log: silent,
    });

    log(`history import: ${total} messages over ${chatCount} chats, batches of ${BATCH}`);

    const subject = await measure(
      repeats,
      total,
      async () => {
        const ref = await freshSession(database);
        return { ref, batches: historyBatches(ref.sessionId, chatCount, perChat) };
      },
      async ({ ref, batches }) => {
        for (const batch of batches) {
          await ingest.messages(ref, 'history', batch);
        }
      },
      async ({ ref }) => {
        expectCounts('ingest', await countOf(database, ref), expected);
        log(`  ingest run verified: ${total} messages, ${chatCount} chats`);
      },
    );

    const prepareBaseline = async () => {
      const ref = await freshSession(database);
      const batches = historyBatches(ref.sessionId, chatCount, perChat);
      // The baseline inserts messages only: the chats exist before the clock starts.
      const chatRows = await database.db
        .insert(chats)
        .values(
          Array.from({ length: chatCount }, (_, c) => ({
            companyId: ref.companyId,
            sessionId: ref.sessionId,
            waChatId: `7900${String(c).padStart(7, '0')}@c.us`,
            phoneNumber: `7900${String(c).padStart(7, '0')}`,
            name: `Contact ${c + 1}`,
            isGroup: false,
          })),
        )
        .returning({ id: chats.id, waChatId: chats.waChatId });
      const chatIdOf = new Map(chatRows.map((c) => [c.waChatId, c.id]));
      const rows: NewMessage[][] = batches.map((batch) =>
        batch.map((m) => ({ id: newId(), ...toMessageRow(ref, chatIdOf.get(m.chatWaId)!, m) })),
      );
      return { ref, rows };
    };
    const verifyBaseline = async ({ ref }: { ref: SessionRef }) => {
      expectCounts('baseline', await countOf(database, ref), expected);
      log(`  baseline run verified: ${total} messages`);
    };
    // Two plain forms of "one INSERT per batch"; the faster one is the baseline.
    const values = await measure(
      repeats,
      total,
      prepareBaseline,
      async ({ rows }) => {
        for (const batch of rows) {
          await database.db.insert(messages).values(batch);
        }
      },
      verifyBaseline,
    );
    const unnest = await measure(
      repeats,
      total,
      prepareBaseline,
      async ({ rows }) => {
        for (const batch of rows) {
          await database.db.execute(plainUnnestInsert(batch));
        }
      },
      verifyBaseline,
    );
    const baseline = values.perSecond >= unnest.perSecond ? values : unnest;
    const baselineForm =
      baseline === values
        ? `db.insert(messages).values(rows) (${round(values.perSecond)} msg/s; the unnest form did ${round(unnest.perSecond)})`
        : `insert into messages (…) select * from unnest($1::uuid[], …) (${round(unnest.perSecond)} msg/s; db.insert(messages).values(rows) did ${round(values.perSecond)})`;

    await emptyTables(database);
    const ratio = subject.perSecond / baseline.perSecond;
    return {
      scenario: 'history import',
      size: { messages: total, chats: chatCount, batch: BATCH },
      baseline: `the faster of two plain INSERTs of the same rows, one ${BATCH}-row statement per batch, no returning, chats inserted before the clock starts: ${baselineForm}`,
      metrics: [
        { name: 'messages persisted', unit: 'msg/s', value: subject.perSecond, baseline: baseline.perSecond },
        { name: 'best run', unit: 'ms', value: subject.bestMs, baseline: baseline.bestMs },
      ],
      checks: [
        atLeast(`≥ ${round(TARGET.minPerSecond)} msg/s`, subject.perSecond, TARGET.minPerSecond, 'msg/s'),
        atLeast(`≥ ${TARGET.minRatio * 100} % of the baseline`, ratio * 100, TARGET.minRatio * 100, '%'),
      ],
      notes: [
        `best of ${repeats} runs each (subject ${subject.runsMs.map((ms) => round(ms)).join(', ')} ms; baseline ${baseline.runsMs.map((ms) => round(ms)).join(', ')} ms); every run on a fresh company+session with empty messages/chats tables`,
        'subject: createMessageIngest(...).messages(ref, "history", batch) per batch, sequential, real repositories, EventBus, silent pino',
      ],
    };
  },
};
