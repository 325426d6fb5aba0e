import { randomBytes } from 'node:crypto';

import { and, count, inArray, like } from 'drizzle-orm';
import type { Socket } from 'socket.io-client';

import { messages } from '../../src/modules/chats/messages.table.js';
import { startBareSocketIoServer } from '../lib/bare-socketio-server.js';
import { cpuSecondsOf, postgresCpu } from '../lib/cpu.js';
import { createHttpClient, paced } from '../lib/http-client.js';
import { grantRead, insertUsers, mapLimit, readySession } from '../lib/population.js';
import { registerCompany, rssOf, startServer } from '../lib/server.js';
import { closeClients, connectClients } from '../lib/sockets.js';
import { atMost, type Percentiles, percentiles, round, type Scenario } from '../lib/types.js';

const COMPANIES = 2;
/** SESSIONS_PER_COMPANY's default: 20 sessions are two companies' worth, as users would run them. */
const SESSIONS_PER_COMPANY = 10;
const SESSIONS = COMPANIES * SESSIONS_PER_COMPANY;
const PER_SESSION_PER_SECOND = 25;
const RATE = SESSIONS * PER_SESSION_PER_SECOND;
const CONTACTS_PER_SESSION = 50;
const TARGET = { p99Ms: 15 };
const DRAIN_TIMEOUT_MS = 10_000;

/** One server's subscribers: one manager socket per session (canRead on it), one admin socket per company. */
interface Audience {
  /** readers[s] hears session s. */
  readers: Socket[];
  /** admins[c] hears every session of company c (sessions c*10 … c*10+9). */
  admins: Socket[];
  /** The HTTP call that makes session `s` receive `text`. */
  fire(session: number, i: number, text: string): Promise<{ status: number; body: string }>;
}

interface Outcome {
  /** Engine event (the message's timestamp, stamped by the simulator as it emits) → reader socket. */
  latency: Percentiles;
  /** From just before the HTTP call that makes the simulator emit → reader socket. */
  callLatency: Percentiles;
  sent: number;
  /** Messages a reader never got, or got more than once; the same for the company's admin socket. */
  readerLost: number;
  readerDuplicates: number;
  adminLost: number;
  adminDuplicates: number;
  /** Calls that did not answer 201. */
  failed: number;
  achievedPerSecond: number;
  maxLagMs: number;
  /** p99 of each stretch of the timed run (a tail spread over the run, or one bad moment). */
  p99ByStretch: number[];
}

/** This process's clock as epoch milliseconds, to the microsecond. */
const epochNow = () => performance.timeOrigin + performance.now();

/** Seconds of traffic per stretch in `p99ByStretch`. */
const STRETCH_SECONDS = 5;

/**
 * Sends `RATE` messages a second for `seconds` (round robin over the sessions, unique texts), times
 * each from just before its HTTP call to its reader socket's receipt, and counts what every socket got.
 * Before that, `warmupSeconds` of the same traffic warm the server up; they are checked for loss but
 * not timed, and the timed traffic starts once every one of them has arrived (from a warm server
 * with nothing queued, not from the backlog of its cold start).
 */
async function drive(
  audience: Audience,
  tag: string,
  seconds: number,
  warmupSeconds: number,
): Promise<Outcome> {
  const total = RATE * (warmupSeconds + seconds);
  const timedFrom = RATE * warmupSeconds;
  const sentAt = new Float64Array(total);
  const readerAt = new Float64Array(total).fill(Number.NaN);
  const eventLatency = new Float64Array(total).fill(Number.NaN);
  const readerCount = new Uint8Array(total);
  const adminCount = new Uint8Array(total);
  const prefix = `live ${tag} `;
  let received = 0;
  let drained: { count: number; resolve: () => void } | null = null;
  const indexOf = (payload: { message: { body: string | null } }) => {
    const body = payload.message.body ?? '';
    return body.startsWith(prefix) ? Number(body.slice(prefix.length)) : -1;
  };
  const offs: (() => void)[] = [];
  audience.readers.forEach((socket, s) => {
    const listener = (payload: {
      sessionId: string;
      message: { body: string | null; timestamp: string };
    }) => {
      const at = performance.now();
      const epoch = epochNow();
      const i = indexOf(payload);
      if (i < 0 || i % SESSIONS !== s) {
        return;
      }
      readerCount[i]! += 1;
      if (readerCount[i] === 1) {
        readerAt[i] = at;
        eventLatency[i] = epoch - Date.parse(payload.message.timestamp);
        received += 1;
        if (received === drained?.count) {
          drained.resolve();
        }
      }
    };
    socket.on('whatsapp:message', listener);
    offs.push(() => socket.off('whatsapp:message', listener));
  });
  audience.admins.forEach((socket, c) => {
    const listener = (payload: { message: { body: string | null } }) => {
      const i = indexOf(payload);
      if (i >= 0 && Math.floor((i % SESSIONS) / SESSIONS_PER_COMPANY) === c) {
        adminCount[i]! += 1;
      }
    };
    socket.on('whatsapp:message', listener);
    offs.push(() => socket.off('whatsapp:message', listener));
  });

  let failed = 0;
  /** Messages `from` … `to`−1, on schedule; then waits until the readers have them all (or a timeout). */
  const send = async (from: number, to: number) => {
    const pace = await paced(to - from, RATE, async (k) => {
      const i = from + k;
      sentAt[i] = performance.now();
      const res = await audience.fire(i % SESSIONS, i, `${prefix}${i}`);
      if (res.status !== 201) {
        failed += 1;
      }
    });
    if (received < to) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
        drained = {
          count: to,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    }
    return pace;
  };
  await send(0, timedFrom);
  const { maxLagMs, elapsedMs } = await send(timedFrom, total);
  // Late duplicates land now, if there are any.
  await new Promise((r) => setTimeout(r, 200));
  for (const off of offs) {
    off();
  }

  const samples: number[] = [];
  const callSamples: number[] = [];
  const stretches: number[][] = [];
  for (let i = timedFrom; i < total; i++) {
    if (!Number.isNaN(readerAt[i]!)) {
      samples.push(eventLatency[i]!);
      callSamples.push(readerAt[i]! - sentAt[i]!);
      const stretch = Math.floor((i - timedFrom) / (RATE * STRETCH_SECONDS));
      (stretches[stretch] ??= []).push(eventLatency[i]!);
    }
  }
  let readerLost = 0;
  let readerDuplicates = 0;
  let adminLost = 0;
  let adminDuplicates = 0;
  for (let i = 0; i < total; i++) {
    readerLost += readerCount[i] === 0 ? 1 : 0;
    readerDuplicates += Math.max(0, readerCount[i]! - 1);
    adminLost += adminCount[i] === 0 ? 1 : 0;
    adminDuplicates += Math.max(0, adminCount[i]! - 1);
  }
  return {
    latency: percentiles(samples),
    callLatency: percentiles(callSamples),
    sent: total,
    readerLost,
    readerDuplicates,
    adminLost,
    adminDuplicates,
    failed,
    achievedPerSecond: (total - timedFrom) / (elapsedMs / 1000),
    maxLagMs,
    p99ByStretch: stretches.map((stretch) => percentiles(stretch).p99),
  };
}

function exactlyOnce(o: Outcome): boolean {
  return (
    o.failed === 0 &&
    o.readerLost === 0 &&
    o.readerDuplicates === 0 &&
    o.adminLost === 0 &&
    o.adminDuplicates === 0
  );
}

function describe(o: Outcome): string {
  return `${o.sent} sent, ${o.failed} failed calls; readers: ${o.readerLost} lost, ${o.readerDuplicates} duplicates; admins: ${o.adminLost} lost, ${o.adminDuplicates} duplicates`;
}

export const liveTraffic: Scenario = {
  name: 'live-traffic',
  databases: ['postgres'],
  async run({ database, databaseUrl, quick, log }) {
    if (!databaseUrl) {
      throw new Error('live-traffic runs the server, which needs PostgreSQL');
    }
    const seconds = quick ? 2 : 30;
    const warmupSeconds = quick ? 0.5 : 3;
    log(
      `live traffic: ${SESSIONS} sessions × ${PER_SESSION_PER_SECOND} msg/s = ${RATE} msg/s for ${seconds} s (+${warmupSeconds} s untimed) per side`,
    );

    const [server, bare] = await Promise.all([startServer(databaseUrl), startBareSocketIoServer()]);
    const opened: Socket[] = [];
    const clients: { close(): void }[] = [];
    try {
      // --- the service: 2 companies × 10 ready sessions, a reader per session, each company's admin
      const companies = await mapLimit(Array.from({ length: COMPANIES }), COMPANIES, (_, c) =>
        registerCompany(server.url, `Live ${c + 1}`),
      );
      const sessions = (
        await Promise.all(
          companies.map((company) =>
            mapLimit(Array.from({ length: SESSIONS_PER_COMPANY }), 4, (_, k) =>
              readySession(server.url, company.token, `Live ${k + 1}`),
            ),
          ),
        )
      ).flat();
      const companyOf = (s: number) => companies[Math.floor(s / SESSIONS_PER_COMPANY)]!;
      const readers = (
        await Promise.all(companies.map((c) => insertUsers(database, c.companyId, SESSIONS_PER_COMPANY)))
      ).flat();
      await mapLimit(sessions, 4, (sessionId, s) =>
        grantRead(server.url, companyOf(s).token, sessionId, readers[s]!.id),
      );
      const readerSockets = await connectClients(
        server.url,
        readers.map((u) => ({ token: u.token })),
      );
      opened.push(...readerSockets);
      const adminSockets = await connectClients(
        server.url,
        companies.map((c) => ({ token: c.token })),
      );
      opened.push(...adminSockets);
      const http = createHttpClient(server.url);
      clients.push(http);
      const contact = (i: number) =>
        `7913${String(Math.floor(i / SESSIONS) % CONTACTS_PER_SESSION).padStart(7, '0')}`;
      const serviceAudience: Audience = {
        readers: readerSockets,
        admins: adminSockets,
        fire: (s, i, text) =>
          http.post(
            `/api/simulator/sessions/${sessions[s]}/incoming`,
            { from: contact(i), pushName: `Contact ${contact(i)}`, text },
            companyOf(s).token,
          ),
      };
      const template = new Promise<unknown>((resolve) => readerSockets[0]!.once('whatsapp:message', resolve));

      // The receipt is read on this process's clock and the event on the server's wall clock.
      const clockSkewMs = Math.abs(epochNow() - Date.now());
      const serviceTag = randomBytes(4).toString('hex');
      const serverCpu = cpuSecondsOf(server.pid);
      const serverRss = rssOf(server.pid);
      const benchCpu = cpuSecondsOf(process.pid);
      const pgCpu = await postgresCpu(database);
      const subject = await drive(serviceAudience, serviceTag, seconds, warmupSeconds);
      const perMessage = (cpuSeconds: number) => (cpuSeconds * 1000) / subject.sent;
      const subjectCpu = {
        server: perMessage(cpuSecondsOf(server.pid) - serverCpu),
        bench: perMessage(cpuSecondsOf(process.pid) - benchCpu),
        postgres: await pgCpu().then((s) => (s === null ? null : perMessage(s))),
        rssGrowth: rssOf(server.pid) - serverRss,
      };
      log(
        `service: event → socket p50 ${round(subject.latency.p50)} p99 ${round(subject.latency.p99)} ms, HTTP call → socket p99 ${round(subject.callLatency.p99)} ms; ${describe(subject)}`,
      );
      const [stored] = await database.db
        .select({ n: count() })
        .from(messages)
        .where(
          and(
            inArray(
              messages.companyId,
              companies.map((c) => c.companyId),
            ),
            like(messages.body, `live ${serviceTag} %`),
          ),
        );
      const persisted = stored?.n ?? 0;

      // --- the baseline: the same sockets in the same rooms on the bare server, the same payload
      const bareHttp = createHttpClient(bare.url);
      clients.push(bareHttp);
      await bareHttp.post('/template', await template);
      const bareReaders = await connectClients(
        bare.url,
        readers.map((u, s) => ({
          rooms: [`user:${u.id}`, `session:${sessions[s]}:members`, `session:${sessions[s]}:readers`],
        })),
        { concurrency: 8 },
      );
      opened.push(...bareReaders);
      const bareAdmins = await connectClients(
        bare.url,
        companies.map((c) => ({ rooms: [`user:admin-${c.companyId}`, `company:${c.companyId}:admins`] })),
      );
      opened.push(...bareAdmins);
      const bareAudience: Audience = {
        readers: bareReaders,
        admins: bareAdmins,
        fire: (s, _i, text) =>
          bareHttp.post('/emit', {
            rooms: [`company:${companyOf(s).companyId}:admins`, `session:${sessions[s]}:readers`],
            text,
          }),
      };
      const bareCpu = cpuSecondsOf(bare.pid);
      const bareRss = rssOf(bare.pid);
      const bareBenchCpu = cpuSecondsOf(process.pid);
      const baseline = await drive(bareAudience, randomBytes(4).toString('hex'), seconds, warmupSeconds);
      const baselineCpu = {
        server: ((cpuSecondsOf(bare.pid) - bareCpu) * 1000) / baseline.sent,
        bench: ((cpuSecondsOf(process.pid) - bareBenchCpu) * 1000) / baseline.sent,
        rssGrowth: rssOf(bare.pid) - bareRss,
      };
      log(
        `baseline: broadcast → socket p50 ${round(baseline.latency.p50)} p99 ${round(baseline.latency.p99)} ms, HTTP call → socket p99 ${round(baseline.callLatency.p99)} ms; ${describe(baseline)}`,
      );

      const s = subject.latency;
      const b = baseline.latency;
      return {
        scenario: 'live traffic',
        size: { sessions: SESSIONS, 'msg/s': RATE, seconds, messages: subject.sent },
        baseline: `a bare socket.io 4.8 server (node:http, default options, own process) with the same sockets in the same rooms, driven at the same pace: one HTTP POST → one room broadcast of the same payload`,
        metrics: [
          { name: 'engine event → socket, p50', unit: 'ms', value: s.p50, baseline: b.p50 },
          { name: 'engine event → socket, p90', unit: 'ms', value: s.p90, baseline: b.p90 },
          { name: 'engine event → socket, p99', unit: 'ms', value: s.p99, baseline: b.p99 },
          { name: 'engine event → socket, max', unit: 'ms', value: s.max, baseline: b.max },
          {
            name: 'HTTP call → socket, p50',
            unit: 'ms',
            value: subject.callLatency.p50,
            baseline: baseline.callLatency.p50,
          },
          {
            name: 'HTTP call → socket, p99',
            unit: 'ms',
            value: subject.callLatency.p99,
            baseline: baseline.callLatency.p99,
          },
          {
            name: 'server CPU per message',
            unit: 'ms',
            value: subjectCpu.server,
            baseline: baselineCpu.server,
          },
          ...(subjectCpu.postgres === null
            ? []
            : [
                {
                  name: 'PostgreSQL CPU per message',
                  unit: 'ms',
                  value: subjectCpu.postgres,
                  baseline: null,
                },
              ]),
          {
            name: 'bench (clients) CPU per message',
            unit: 'ms',
            value: subjectCpu.bench,
            baseline: baselineCpu.bench,
          },
          // The bare server keeps nothing; its growth is in the notes (a ratio to ~0 says nothing).
          {
            name: 'server RSS growth over the run',
            unit: 'MiB',
            value: subjectCpu.rssGrowth,
            baseline: null,
          },
          {
            name: 'pace achieved',
            unit: 'msg/s',
            value: subject.achievedPerSecond,
            baseline: baseline.achievedPerSecond,
          },
        ],
        checks: [
          atMost(`engine event → socket p99 ≤ ${TARGET.p99Ms} ms`, s.p99, TARGET.p99Ms, 'ms'),
          {
            target: 'nothing lost: every message received exactly once and persisted',
            actual: `${describe(subject)}; ${persisted} of ${subject.sent} persisted`,
            pass: exactlyOnce(subject) && persisted === subject.sent,
          },
        ],
        notes: [
          `engine event → socket = from the engine event (the message's timestamp, which the simulator stamps as it emits the event; the baseline stamps its broadcast the same way) to the session's reader socket receiving whatsapp:message (this process's clock as epoch ms: performance.timeOrigin + performance.now(); it agreed with Date.now() to ${round(clockSkewMs)} ms). The timestamp has millisecond precision and is truncated, so this reads up to 1 ms long, never short`,
          `HTTP call → socket = from just before the HTTP call that makes the simulator emit (POST /api/simulator/sessions/:id/incoming) to the same receipt: it adds the HTTP hop and the simulator's control route (authentication, the session check, a query) to the path`,
          `${SESSIONS} sessions (${COMPANIES} companies × ${SESSIONS_PER_COMPANY}, the default SESSIONS_PER_COMPANY), ${CONTACTS_PER_SESSION} contacts each, round robin; each session has one manager socket with canRead, each company its admin socket; all ${subject.sent} messages have unique texts; ${warmupSeconds} s of the same traffic first warm the server up (checked for loss, not timed), and the timed ${seconds} s start once they have all arrived`,
          `p99 by ${STRETCH_SECONDS} s of traffic: service ${subject.p99ByStretch.map((v) => round(v)).join(', ')} ms; baseline ${baseline.p99ByStretch.map((v) => round(v)).join(', ')} ms`,
          `calls go out on schedule whether or not earlier ones have answered (worst start lag: service ${round(subject.maxLagMs)} ms, baseline ${round(baseline.maxLagMs)} ms); "pace achieved" = timed messages / time from the first timed call until the last one answered, below ${RATE} msg/s when the server falls behind`,
          `CPU per message = CPU time (user + system, /proc/<pid>/stat) over the run ÷ messages: the server process, this database's PostgreSQL backends, and the bench process (HTTP client and sockets); RSS growth = the server's RSS after the run minus before, garbage not yet collected included (the service also keeps recent broadcasts for connection-state recovery: up to 2 minutes, at most 10,000); the bare server's: ${round(baselineCpu.rssGrowth)} MiB`,
          `the baseline shows what the HTTP hop, socket.io delivery and the bench's own clients cost at this pace; the difference is the service's own work (authentication, validation, the session check, the ingest statement on PostgreSQL, fan-out). It ran after the service, without PostgreSQL busy; baseline delivery: ${describe(baseline)}`,
        ],
      };
    } finally {
      closeClients(opened);
      for (const client of clients) {
        client.close();
      }
      await Promise.all([server.stop(), bare.stop()]);
    }
  },
};
