import pg from 'pg';

import {
  type CursorPosition,
  decodeCursor,
  encodeCursor,
  type PageQuery,
} from '../../src/http/pagination.js';
import { createChatsRepository } from '../../src/modules/chats/chats.repository.js';
import { createMessagesRepository } from '../../src/modules/chats/messages.repository.js';
import { type BareReadServer, startBareReadServer } from '../lib/bare-read-server.js';
import { type CapturedQuery, captureSql } from '../lib/capture-sql.js';
import { load, type LoadResult } from '../lib/load.js';
import { seedInbox } from '../lib/seed-inbox.js';
import { type ServerProcess, startServer } from '../lib/server.js';
import { setUpTenant } from '../lib/tenant.js';
import { atLeast, atMost, type Check, type Metric, round, type Scenario } from '../lib/types.js';

const TARGET = { p99Ms: 10, deepOverFirst: 1.5, minShare: 0.7 };
const CONNECTIONS = 10;
/** The service's default DATABASE_POOL_SIZE, set explicitly on both sides. */
const POOL_SIZE = 10;
const LIMIT = 50;

interface Case {
  key: 'chats-first' | 'chats-deep' | 'messages-first' | 'messages-deep';
  label: string;
  /** Path and query of the real endpoint. */
  path: string;
  /** The statement the repository runs for it, for the baseline. */
  sql: CapturedQuery;
  /** Ids the page must hold, in order (from the baseline's rows). */
  expectedIds: string[];
}

interface Measured {
  subject: LoadResult;
  baseline: LoadResult;
}

/** The keyset position of the row at `offset` (0-based) of an ordered list, as the API encodes it. */
async function cursorAt(client: pg.Client, query: string, values: unknown[]): Promise<string> {
  const { rows } = await client.query<{ k: Date; id: string }>(query, values);
  const row = rows[0];
  if (!row) {
    throw new Error('reading: no row at the cursor position');
  }
  return encodeCursor({ k: row.k.toISOString(), id: row.id });
}

/** An EXPLAIN ANALYZE summary: the scan nodes (with their index) and the execution time. */
async function planOf(client: pg.Client, sql: CapturedQuery): Promise<string> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>({
    text: `explain (analyze, buffers) ${sql.text}`,
    values: sql.values,
  });
  const lines = rows.map((r) => r['QUERY PLAN']);
  const scans = lines
    .map((l) =>
      /(Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)( Backward)?( using \S+)? on (\S+)/.exec(l),
    )
    .filter((m) => m !== null)
    .map((m) => m[0]);
  const removed = lines
    .map((l) => /Rows Removed by Filter: (\d+)/.exec(l)?.[1])
    .filter((v) => v !== undefined);
  const sort = lines.some((l) => /\bSort\b/.test(l)) ? ', sorts' : '';
  const time = lines.find((l) => l.startsWith('Execution Time'))?.replace('Execution Time: ', '') ?? '?';
  return `${scans.join(' + ')}${sort}${removed.length > 0 ? `, rows removed by filter ${removed.join('+')}` : ''}, ${time}`;
}

/** Builds the four cases: URLs through the API, and the SQL the repositories run for them. */
async function buildCases(
  server: ServerProcess,
  databaseUrl: string,
  ref: { companyId: string; sessionId: string; token: string },
  size: { chats: number; messagesBack: number },
): Promise<{ cases: Case[]; bigChatId: string; plans: Record<string, string> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: big } = await client.query<{ id: string }>(
      `select id from chats where session_id = $1 and wa_chat_id = '79000000000@c.us'`,
      [ref.sessionId],
    );
    const bigChatId = big[0]!.id;
    const activeChats = Number(
      (
        await client.query<{ n: string }>(
          'select count(*) as n from chats where session_id = $1 and not archived',
          [ref.sessionId],
        )
      ).rows[0]!.n,
    );
    const chatDepth = Math.floor(activeChats * 0.9);
    // The cursor after the row at position depth - 1 is where a client that walked depth rows stands.
    const chatsCursor = await cursorAt(
      client,
      `select last_activity_at as k, id from chats where session_id = $1 and not archived
       order by last_activity_at desc, id desc offset $2 limit 1`,
      [ref.sessionId, chatDepth - 1],
    );
    const messagesCursor = await cursorAt(
      client,
      `select timestamp as k, id from messages where chat_id = $1
       order by timestamp desc, id desc offset $2 limit 1`,
      [bigChatId, size.messagesBack - 1],
    );
    // The cursors are the API's own: the page ending where they point hands out the same one.
    for (const [path, cursor, offset] of [
      [`/api/whatsapp/sessions/${ref.sessionId}/chats`, chatsCursor, chatDepth],
      [
        `/api/whatsapp/sessions/${ref.sessionId}/chats/${bigChatId}/messages`,
        messagesCursor,
        size.messagesBack,
      ],
    ] as const) {
      const before = await cursorAt(
        client,
        path.endsWith('/chats')
          ? `select last_activity_at as k, id from chats where session_id = $1 and not archived
             order by last_activity_at desc, id desc offset $2 limit 1`
          : `select timestamp as k, id from messages where chat_id = $1
             order by timestamp desc, id desc offset $2 limit 1`,
        [path.endsWith('/chats') ? ref.sessionId : bigChatId, offset - LIMIT - 1],
      );
      const res = await fetch(`${server.url}${path}?limit=${LIMIT}&cursor=${before}`, {
        headers: { authorization: `Bearer ${ref.token}` },
      });
      const body = (await res.json()) as { pagination?: { nextCursor: string | null } };
      if (body.pagination?.nextCursor !== cursor) {
        throw new Error(`reading: the API's cursor differs from the constructed one for ${path}`);
      }
    }

    const query = (cursor?: string): PageQuery => ({ page: 1, limit: LIMIT, ...(cursor ? { cursor } : {}) });
    const after = (cursor: string): CursorPosition => decodeCursor(cursor, 'time');
    const captured = async (fn: Parameters<typeof captureSql>[1]) => {
      const { result, queries } = await captureSql(databaseUrl, fn);
      if (queries.length !== 1) {
        throw new Error(`reading: expected one statement, captured ${queries.length}`);
      }
      const ids = (result as { id: string }[]).slice(0, LIMIT).map((r) => r.id);
      return { sql: queries[0]!, ids };
    };
    const { companyId, sessionId } = ref;
    const list = (db: Parameters<typeof createChatsRepository>[0], cursor?: string) =>
      createChatsRepository(db).list(
        companyId,
        sessionId,
        { archived: false, search: undefined },
        query(cursor),
        cursor ? after(cursor) : null,
      );
    const page = (db: Parameters<typeof createMessagesRepository>[0], cursor?: string) =>
      createMessagesRepository(db).list(
        companyId,
        sessionId,
        bigChatId,
        query(cursor),
        cursor ? after(cursor) : null,
      );

    const chatsPath = `/api/whatsapp/sessions/${sessionId}/chats?limit=${LIMIT}`;
    const messagesPath = `/api/whatsapp/sessions/${sessionId}/chats/${bigChatId}/messages?limit=${LIMIT}`;
    const specs = [
      { key: 'chats-first', label: 'chat list, page 1', path: chatsPath, run: (db) => list(db) },
      {
        key: 'chats-deep',
        label: `chat list, cursor ${chatDepth} chats in`,
        path: `${chatsPath}&cursor=${chatsCursor}`,
        run: (db) => list(db, chatsCursor),
      },
      { key: 'messages-first', label: 'messages, page 1', path: messagesPath, run: (db) => page(db) },
      {
        key: 'messages-deep',
        label: `messages, cursor ${size.messagesBack} back`,
        path: `${messagesPath}&cursor=${messagesCursor}`,
        run: (db) => page(db, messagesCursor),
      },
    ] satisfies { key: Case['key']; label: string; path: string; run: Parameters<typeof captureSql>[1] }[];

    const cases: Case[] = [];
    const plans: Record<string, string> = {};
    for (const spec of specs) {
      const { sql, ids } = await captured(spec.run);
      cases.push({ key: spec.key, label: spec.label, path: spec.path, sql, expectedIds: ids });
      plans[spec.label] = await planOf(client, sql);
    }
    return { cases, bigChatId, plans };
  } finally {
    await client.end();
  }
}

/** Both sides answer every case with the same rows before anything is timed. */
async function verify(server: ServerProcess, bare: BareReadServer, token: string, cases: Case[]) {
  for (const c of cases) {
    const res = await fetch(`${server.url}${c.path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { data?: { id: string }[] };
    const subjectIds = (body.data ?? []).map((r) => r.id);
    const baselineIds = ((await (await fetch(`${bare.url}/${c.key}`)).json()) as { id: string }[])
      .slice(0, LIMIT)
      .map((r) => r.id);
    const expected = c.expectedIds.join();
    if (res.status !== 200 || subjectIds.join() !== expected || baselineIds.join() !== expected) {
      throw new Error(`reading: ${c.label}: subject, baseline and repository disagree (${res.status})`);
    }
    if (subjectIds.length !== LIMIT) {
      throw new Error(`reading: ${c.label}: expected a full page of ${LIMIT}, got ${subjectIds.length}`);
    }
  }
}

function best(a: LoadResult | undefined, b: LoadResult): LoadResult {
  return a && a.perSecond >= b.perSecond ? a : b;
}

export const reading: Scenario = {
  name: 'reading',
  databases: ['postgres'],
  async run({ database, databaseUrl, quick, repeats, log }) {
    if (!databaseUrl) {
      throw new Error('reading needs PostgreSQL');
    }
    const size = quick
      ? { chats: 1_000, messages: 100_000, bigChatMessages: 20_000, messagesBack: 15_000 }
      : { chats: 10_000, messages: 1_000_000, bigChatMessages: 200_000, messagesBack: 150_000 };
    // Quick runs (CI's) prove the scenario works; their numbers are not kept.
    const seconds = quick ? 0.5 : 4;
    // Warm-up by count, not time: a slow case must still complete some requests.
    const warmupRequests = CONNECTIONS * (quick ? 10 : 20);
    const runs = quick ? 1 : repeats;

    const server = await startServer(databaseUrl, { DATABASE_POOL_SIZE: String(POOL_SIZE) });
    let bareStarting: Promise<BareReadServer> | undefined;
    try {
      const tenant = await setUpTenant(server.url, 'Reading', {
        canRead: true,
        canWrite: false,
        canManageChats: false,
      });
      let started = performance.now();
      // The baseline's process starts while the seed runs; it learns its statements afterwards.
      bareStarting = startBareReadServer(databaseUrl, POOL_SIZE);
      bareStarting.catch(() => undefined);
      await seedInbox(
        database,
        { companyId: tenant.companyId, sessionId: tenant.sessionId, senderUserId: tenant.admin.userId },
        size,
      );
      log(
        `seeded ${size.messages} messages in ${size.chats} chats (one of ${size.bigChatMessages}) in ${round((performance.now() - started) / 1000)} s`,
      );
      const ref = { companyId: tenant.companyId, sessionId: tenant.sessionId, token: tenant.manager.token };
      const { cases, plans } = await buildCases(server, databaseUrl, ref, size);
      for (const [label, plan] of Object.entries(plans)) {
        log(`plan, ${label}: ${plan}`);
      }
      const bare = await bareStarting;
      await bare.setCases(Object.fromEntries(cases.map((c) => [c.key, c.sql])));
      await verify(server, bare, tenant.manager.token, cases);

      const headers = { authorization: `Bearer ${tenant.manager.token}` };
      const subjectUrl = (c: Case) => `${server.url}${c.path}`;
      const baselineUrl = (c: Case) => `${bare.url}/${c.key}`;
      for (const c of cases) {
        await load(subjectUrl(c), { connections: CONNECTIONS, amount: warmupRequests, headers });
        await load(baselineUrl(c), { connections: CONNECTIONS, amount: warmupRequests });
      }
      // Subject and baseline alternate, so both see the same machine; each keeps its best run.
      const measured = new Map<Case['key'], Measured>();
      started = performance.now();
      for (let i = 0; i < runs; i++) {
        for (const c of cases) {
          const subject = await load(subjectUrl(c), {
            connections: CONNECTIONS,
            durationSeconds: seconds,
            headers,
          });
          const baseline = await load(baselineUrl(c), { connections: CONNECTIONS, durationSeconds: seconds });
          for (const r of [subject, baseline]) {
            if (r.non2xx > 0 || r.errors > 0) {
              throw new Error(`reading: ${c.label}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
            }
          }
          const prev = measured.get(c.key);
          measured.set(c.key, {
            subject: best(prev?.subject, subject),
            baseline: best(prev?.baseline, baseline),
          });
          log(
            `${c.label}: subject ${round(subject.perSecond)} req/s p99 ${round(subject.latency.p99)} ms; baseline ${round(baseline.perSecond)} req/s p99 ${round(baseline.latency.p99)} ms`,
          );
        }
      }
      log(`measured in ${round((performance.now() - started) / 1000)} s`);

      const metrics: Metric[] = [];
      const checks: Check[] = [];
      for (const c of cases) {
        const { subject, baseline } = measured.get(c.key)!;
        metrics.push(
          {
            name: `${c.label}: throughput`,
            unit: 'req/s',
            value: subject.perSecond,
            baseline: baseline.perSecond,
          },
          { name: `${c.label}: p50`, unit: 'ms', value: subject.latency.p50, baseline: baseline.latency.p50 },
          { name: `${c.label}: p99`, unit: 'ms', value: subject.latency.p99, baseline: baseline.latency.p99 },
        );
        checks.push(
          atMost(`${c.label}: p99 ≤ ${TARGET.p99Ms} ms`, subject.latency.p99, TARGET.p99Ms, 'ms'),
          atLeast(
            `${c.label}: throughput ≥ ${TARGET.minShare * 100} % of the baseline`,
            (subject.perSecond / baseline.perSecond) * 100,
            TARGET.minShare * 100,
            '%',
          ),
        );
      }
      for (const [first, deep] of [
        ['chats-first', 'chats-deep'],
        ['messages-first', 'messages-deep'],
      ] as const) {
        const a = measured.get(first)!.subject.latency.mean;
        const b = measured.get(deep)!.subject.latency.mean;
        const label = cases.find((c) => c.key === deep)!.label;
        checks.push(
          atMost(
            `${label}: mean latency ≤ ${TARGET.deepOverFirst}× page 1's`,
            b / a,
            TARGET.deepOverFirst,
            '×',
          ),
        );
      }
      return {
        scenario: 'reading',
        size: {
          messages: size.messages,
          chats: size.chats,
          'messages in the big chat': size.bigChatMessages,
          connections: CONNECTIONS,
          'page size': LIMIT,
        },
        baseline: `a bare Fastify server (own process, no auth, no envelope, no Zod) running the repository's captured SQL text and values through a node-postgres Pool of ${POOL_SIZE}, rows returned as JSON`,
        metrics,
        checks,
        notes: [
          `autocannon, ${CONNECTIONS} connections, ${seconds} s per run after a warm-up of ${warmupRequests} requests per case and side, best of ${runs} alternating runs per side; latency percentiles from every 2xx response's own timing`,
          `subject: node dist/main.js (DATABASE_POOL_SIZE=${POOL_SIZE}) with a manager's token holding canRead only; seeded by SQL (generate_series) with rows shaped like the ingest's, then ANALYZE`,
          ...Object.entries(plans).map(([label, plan]) => `EXPLAIN ANALYZE, ${label}: ${plan}`),
        ],
      };
    } finally {
      await (await bareStarting?.catch(() => undefined))?.stop();
      await server.stop();
    }
  },
};
