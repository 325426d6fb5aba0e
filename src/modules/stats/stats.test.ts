import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  type ApiResponse,
  call,
  type GivenCompany,
  givenCompany,
  givenManager,
} from '../../../test/support/factories.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import { chats } from '../chats/chats.table.js';
import { messages } from '../chats/messages.table.js';
import type { MessageType } from '../engine/engine.js';
import { createStatsRepository } from './stats.repository.js';
import { createStatsService, statsWindow } from './stats.service.js';

const app = useTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });

const DAY_MS = 24 * 60 * 60 * 1000;

const getStats = (token?: string, query = '') =>
  call(app, 'GET', `/api/whatsapp/stats${query}`, token ? { token } : {});

function expectError(res: ApiResponse, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ success: false, error: { code } });
  expect(res.body).not.toHaveProperty('data');
}

function startOfUtcDay(at: Date): number {
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
}

/** `YYYY-MM-DD` of the UTC day `n` days before `today` (a UTC midnight in ms). */
const isoDay = (today: number, n: number) => new Date(today - n * DAY_MS).toISOString().slice(0, 10);

/**
 * Tests that compare the answer with "today" wait out the last seconds before a UTC midnight, so
 * the day cannot turn between the setup and the request.
 */
async function clearOfUtcMidnight(): Promise<number> {
  const now = Date.now();
  const nextMidnight = startOfUtcDay(new Date(now)) + DAY_MS;
  if (nextMidnight - now < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, nextMidnight - now + 100));
  }
  return startOfUtcDay(new Date());
}

async function givenSession(company: GivenCompany, options: { ready: boolean }): Promise<string> {
  const created = await call(app, 'POST', '/api/whatsapp/sessions', { token: company.token });
  expect(created.status).toBe(201);
  const sessionId: string = created.body.data.id;
  if (options.ready) {
    const scan = await call(app, 'POST', `/api/simulator/sessions/${sessionId}/scan`, {
      token: company.token,
      body: {},
    });
    expect(scan.status).toBe(200);
  }
  return sessionId;
}

interface ChatRef {
  id: string;
  sessionId: string;
  companyId: string;
}

/** Bulk setup: chats straight into the table. */
async function givenChats(company: GivenCompany, sessionId: string, n: number): Promise<ChatRef[]> {
  const rows = await app.database.db
    .insert(chats)
    .values(
      Array.from({ length: n }, () => ({
        sessionId,
        companyId: company.company.id,
        waChatId: `7999${randomBytes(4).readUInt32BE() % 10_000_000}@c.us`,
      })),
    )
    .returning({ id: chats.id, sessionId: chats.sessionId, companyId: chats.companyId });
  return rows;
}

interface MessageSpec {
  at: Date;
  fromMe: boolean;
  type?: MessageType;
}

/** Bulk setup: messages straight into the table, with unique WhatsApp ids. */
async function givenMessages(chat: ChatRef, specs: MessageSpec[]): Promise<void> {
  if (specs.length === 0) {
    return;
  }
  await app.database.db.insert(messages).values(
    specs.map((m) => ({
      sessionId: chat.sessionId,
      chatId: chat.id,
      companyId: chat.companyId,
      waMessageId: `TEST${randomBytes(8).toString('hex').toUpperCase()}`,
      fromMe: m.fromMe,
      type: m.type ?? 'text',
      body: 'hello',
      timestamp: m.at,
      status: m.fromMe ? ('sent' as const) : ('received' as const),
    })),
  );
}

/**
 * A message pattern over the last 40 days: day `d` (0 = today) has `d % 3 + 1` incoming and
 * `d % 2` outgoing messages, and every fifth day (4, 9, 14, …) is silent.
 */
function fortyDays(today: number): {
  specs: MessageSpec[];
  perDay: Map<number, { in: number; out: number }>;
} {
  const specs: MessageSpec[] = [];
  const perDay = new Map<number, { in: number; out: number }>();
  for (let d = 0; d < 40; d++) {
    if (d % 5 === 4) {
      continue;
    }
    const counts = { in: (d % 3) + 1, out: d % 2 };
    perDay.set(d, counts);
    // Today's messages sit in its first minutes (already past); older ones spread over the day.
    const base = today - d * DAY_MS;
    for (let i = 0; i < counts.in; i++) {
      specs.push({ at: new Date(base + (d === 0 ? i * 1000 : (i + 1) * 3 * 60 * 60 * 1000)), fromMe: false });
    }
    for (let i = 0; i < counts.out; i++) {
      specs.push({ at: new Date(base + (i + 1) * 4 * 60 * 60 * 1000 + 17), fromMe: true });
    }
  }
  return { specs, perDay };
}

describe('GET /api/whatsapp/stats', () => {
  it("counts the company's sessions, chats and last-30-day messages, by UTC day", async () => {
    const today = await clearOfUtcMidnight();
    const company = await givenCompany(app);
    const other = await givenCompany(app);

    const ready1 = await givenSession(company, { ready: true });
    const ready2 = await givenSession(company, { ready: true });
    const waiting = await givenSession(company, { ready: false });
    const [chatA, chatB] = await givenChats(company, ready1, 2);
    const [chatC] = await givenChats(company, ready2, 1);
    await givenChats(company, waiting, 1);

    // Split over chats and sessions: the figures are per company, not per chat.
    const { specs, perDay } = fortyDays(today);
    await givenMessages(
      chatA!,
      specs.filter((_, i) => i % 3 === 0),
    );
    await givenMessages(
      chatB!,
      specs.filter((_, i) => i % 3 === 1),
    );
    await givenMessages(
      chatC!,
      specs.filter((_, i) => i % 3 === 2),
    );
    // Inside the window but not messages anyone wrote.
    await givenMessages(chatA!, [
      { at: new Date(today - 2 * DAY_MS + 1000), fromMe: false, type: 'reaction' },
      { at: new Date(today - 2 * DAY_MS + 2000), fromMe: true, type: 'reaction' },
      { at: new Date(today - 3 * DAY_MS + 1000), fromMe: false, type: 'system' },
    ]);
    // Other kinds of message count like text.
    await givenMessages(chatC!, [
      { at: new Date(today - 1 * DAY_MS + 5000), fromMe: false, type: 'image' },
      { at: new Date(today - 1 * DAY_MS + 6000), fromMe: true, type: 'voice' },
    ]);

    // Another tenant, busy on the same days, with a ready session of its own.
    const otherSession = await givenSession(other, { ready: true });
    const [otherChat] = await givenChats(other, otherSession, 1);
    await givenMessages(otherChat!, [
      ...specs,
      ...specs.map((s) => ({ ...s, fromMe: !s.fromMe })),
      { at: new Date(today + 1000), fromMe: true },
    ]);

    const res = await getStats(company.token);

    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    const stats = res.body.data;
    expect(Object.keys(stats).sort()).toEqual(
      ['activeSessions', 'daily', 'messagesLast30Days', 'totalChats', 'totalSessions'].sort(),
    );
    expect(stats).toMatchObject({ activeSessions: 2, totalSessions: 3, totalChats: 4 });

    // Expected from the pattern alone: days 0..29 counted, 30..39 not.
    let incoming = 1; // the image
    let outgoing = 1; // the voice note
    for (const [d, counts] of perDay) {
      if (d < 30) {
        incoming += counts.in;
        outgoing += counts.out;
      }
    }
    expect(stats.messagesLast30Days).toEqual({ total: incoming + outgoing, incoming, outgoing });
    expect(stats.messagesLast30Days).toEqual({ total: 62, incoming: 49, outgoing: 13 });

    const daily: { date: string; incoming: number; outgoing: number }[] = stats.daily;
    expect(daily).toHaveLength(30);
    expect(daily.map((d) => d.date)).toEqual(Array.from({ length: 30 }, (_, i) => isoDay(today, 29 - i)));
    expect(daily.at(-1)!.date).toBe(new Date().toISOString().slice(0, 10));
    for (const entry of daily) {
      expect(Object.keys(entry).sort()).toEqual(['date', 'incoming', 'outgoing']);
    }
    const day = (d: number) => daily[29 - d]!;
    expect(day(0)).toEqual({ date: isoDay(today, 0), incoming: 1, outgoing: 0 });
    expect(day(1)).toEqual({ date: isoDay(today, 1), incoming: 3, outgoing: 2 });
    expect(day(2)).toEqual({ date: isoDay(today, 2), incoming: 3, outgoing: 0 });
    expect(day(3)).toEqual({ date: isoDay(today, 3), incoming: 1, outgoing: 1 });
    expect(day(28)).toEqual({ date: isoDay(today, 28), incoming: 2, outgoing: 0 });
    for (const silent of [4, 9, 14, 19, 24, 29]) {
      expect(day(silent)).toEqual({ date: isoDay(today, silent), incoming: 0, outgoing: 0 });
    }
    // The series and the totals describe the same window.
    expect(daily.reduce((n, d) => n + d.incoming, 0)).toBe(incoming);
    expect(daily.reduce((n, d) => n + d.outgoing, 0)).toBe(outgoing);

    // The other company sees its own figures only.
    const theirs = await getStats(other.token);
    expect(theirs.status).toBe(200);
    expect(theirs.body.data).toMatchObject({
      activeSessions: 1,
      totalSessions: 1,
      totalChats: 1,
      messagesLast30Days: { total: 121, incoming: 60, outgoing: 61 },
    });
  });

  it('gives a brand-new company zeros and a full, zero-filled series', async () => {
    const today = await clearOfUtcMidnight();
    const company = await givenCompany(app);

    const res = await getStats(company.token);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: {
        activeSessions: 0,
        totalSessions: 0,
        totalChats: 0,
        messagesLast30Days: { total: 0, incoming: 0, outgoing: 0 },
        daily: Array.from({ length: 30 }, (_, i) => ({
          date: isoDay(today, 29 - i),
          incoming: 0,
          outgoing: 0,
        })),
      },
    });
  });

  it('counts a session as active only while it is ready', async () => {
    const company = await givenCompany(app);
    const sessionId = await givenSession(company, { ready: true });
    expect((await getStats(company.token)).body.data).toMatchObject({ activeSessions: 1, totalSessions: 1 });

    const off = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/disconnect`, {
      token: company.token,
    });
    expect(off.status).toBe(200);
    expect((await getStats(company.token)).body.data).toMatchObject({ activeSessions: 0, totalSessions: 1 });
  });

  it('answers 403 FORBIDDEN to a manager', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    expectError(await getStats(manager.token), 403, 'FORBIDDEN');
  });

  it('answers 401 without a valid token', async () => {
    expectError(await getStats(), 401, 'UNAUTHORIZED');
    expectError(await getStats('not-a-jwt'), 401, 'INVALID_TOKEN');
  });

  it('answers 400 naming an unknown query parameter', async () => {
    const company = await givenCompany(app);
    const res = await getStats(company.token, '?days=7');
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'days', in: 'querystring' })]);
  });

  it('is in the OpenAPI document, tagged stats, with the Stats schema', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/openapi.json' });
    const doc = res.json();
    const op = doc.paths['/api/whatsapp/stats']?.get;
    expect(op).toBeDefined();
    expect(op.tags).toEqual(['stats']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '401', '403']));
    expect(Object.keys(doc.components.schemas.Stats.properties).sort()).toEqual(
      ['activeSessions', 'daily', 'messagesLast30Days', 'totalChats', 'totalSessions'].sort(),
    );
  });
});

describe('the stats window', () => {
  it('is the 30 UTC days ending today, as [00:00 UTC 29 days ago, 00:00 UTC tomorrow)', () => {
    const w = statsWindow(new Date('2024-03-01T10:00:00.000Z'));
    expect(w.from.toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(w.to.toISOString()).toBe('2024-03-02T00:00:00.000Z');
    expect(w.dates).toHaveLength(30);
    expect(w.dates[0]).toBe('2024-02-01');
    expect(w.dates).toContain('2024-02-29');
    expect(w.dates.at(-1)).toBe('2024-03-01');

    // The first and the last millisecond of a UTC day give the same window.
    expect(statsWindow(new Date('2024-03-01T00:00:00.000Z'))).toEqual(w);
    expect(statsWindow(new Date('2024-03-01T23:59:59.999Z'))).toEqual(w);
    expect(statsWindow(new Date('2024-03-02T00:00:00.000Z')).dates.at(-1)).toBe('2024-03-02');
  });

  it('counts a message at its first instant and not one just outside it, on the database', async () => {
    // The real repository with a pinned clock, so the edges can be placed to the millisecond.
    const now = new Date('2024-03-01T10:00:00.000Z');
    const service = createStatsService({ stats: createStatsRepository(app.database.db), now: () => now });
    const company = await givenCompany(app);
    const sessionId = await givenSession(company, { ready: false });
    const [chat] = await givenChats(company, sessionId, 1);
    await givenMessages(chat!, [
      { at: new Date('2024-01-31T23:59:59.999Z'), fromMe: false }, // before the window
      { at: new Date('2024-02-01T00:00:00.000Z'), fromMe: false }, // the first instant: counted
      { at: new Date('2024-02-01T00:00:00.000Z'), fromMe: true },
      { at: new Date('2024-02-29T12:00:00.000Z'), fromMe: true },
      { at: new Date('2024-03-01T23:59:59.999Z'), fromMe: false }, // later today (a phone's clock ahead): counted
      { at: new Date('2024-03-02T00:00:00.000Z'), fromMe: true }, // tomorrow: not in the series, not counted
    ]);

    const stats = await service.get({
      userId: company.user.id,
      companyId: company.company.id,
      role: 'admin',
    });

    expect(stats.messagesLast30Days).toEqual({ total: 4, incoming: 2, outgoing: 2 });
    expect(stats.daily[0]).toEqual({ date: '2024-02-01', incoming: 1, outgoing: 1 });
    expect(stats.daily.find((d) => d.date === '2024-02-29')).toEqual({
      date: '2024-02-29',
      incoming: 0,
      outgoing: 1,
    });
    expect(stats.daily.at(-1)).toEqual({ date: '2024-03-01', incoming: 1, outgoing: 0 });
  });
});
