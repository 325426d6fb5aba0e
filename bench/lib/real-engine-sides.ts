/**
 * The three configurations of the real-engine scenario, each in a process of its own and measured
 * the same way: RSS with no session, N sessions linked, a warm-up (every contact writes to every
 * session once), RSS settled, then M messages at a steady rate with the process's CPU time read
 * around them. The WhatsApp server stand-in (`standin-process.ts`) plays the network for the real
 * engine and bare Baileys; the simulator engine is driven through its own HTTP route.
 */
import { join } from 'node:path';

import type { Socket } from 'socket.io-client';

import type { Database } from '../../src/db/client.js';
import { startBareBaileys } from './bare-baileys.js';
import { cpuSecondsOf, postgresCpu } from './cpu.js';
import { createHttpClient, paced } from './http-client.js';
import { mapLimit, readySession } from './population.js';
import { api, registerCompany, startServer } from './server.js';
import { settle, type Settled } from './settle.js';
import { connectClient } from './sockets.js';
import { epochNow, type Standin, type StreamResult } from './standin-process.js';

const PRELOAD = join(import.meta.dirname, '..', '..', 'test', 'wa-server', 'trust.mjs');
const LINK_CONCURRENCY = 4;
const DRAIN_TIMEOUT_MS = 30_000;

export interface SideSize {
  sessions: number;
  messages: number;
  perSecond: number;
  /** Longest RSS settle window (ms). */
  settleMs: number;
}

export interface Side {
  idle: Settled;
  loaded: Settled;
  /** (settled RSS with N sessions − settled RSS with none) / N, in MB. */
  perSessionMB: number;
  /** The measured process's CPU time over the stream ÷ messages (ms). */
  cpuMsPerMessage: number;
  /** This database's PostgreSQL backends over the same stretch (ms per message); null if none or unreadable. */
  postgresMsPerMessage: number | null;
  /** Per message, epoch ms: stanza written by the stand-in (or HTTP call made), receipt, socket. */
  sentAt: number[];
  receiptAt: (number | null)[];
  /** The admin socket's first `whatsapp:message` for each message, and the engine's own stamp. */
  socketAt: (number | null)[];
  eventAt: (number | null)[];
  heardTwice: number;
  linkSeconds: number;
  maxLagMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Epoch ms of the first `whatsapp:message` per WhatsApp id on `socket`, and how many came twice. */
function listen(socket: Socket) {
  const heard = new Map<string, { at: number; event: number }>();
  let twice = 0;
  let waiting: { ids: string[]; resolve: () => void } | null = null;
  socket.on('whatsapp:message', (payload: { message: { waMessageId: string; timestamp: string } }) => {
    const at = epochNow();
    const id = payload.message.waMessageId;
    if (heard.has(id)) {
      twice += 1;
      return;
    }
    heard.set(id, { at, event: Date.parse(payload.message.timestamp) });
    if (waiting?.ids.every((w) => heard.has(w))) {
      waiting.resolve();
    }
  });
  return {
    heard,
    twice: () => twice,
    /** Resolves when every id has been heard, or after the drain timeout. */
    async all(ids: string[]) {
      if (ids.every((id) => heard.has(id))) {
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
        waiting = {
          ids,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
      waiting = null;
    },
  };
}

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    const value = await probe();
    if (value !== null) {
      return value;
    }
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The built service with `env`, idle, then a company with its admin's socket connected. */
async function serviceWithAdmin(
  databaseUrl: string | null,
  env: Record<string, string>,
  nodeArgs: string[],
  size: SideSize,
) {
  const server = await startServer(
    databaseUrl,
    { SESSIONS_PER_COMPANY: String(size.sessions), ...env },
    nodeArgs,
  );
  try {
    const [idle] = (await settle([server.pid], size.settleMs)) as [Settled];
    const company = await registerCompany(server.url, 'Real engine');
    const admin = await connectClient(server.url, { token: company.token });
    return { server, idle, company, admin };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** (1) The service on the real engine: N sessions linked to the stand-in by QR, as an admin does. */
export async function measureRealEngine(options: {
  standin: Standin;
  /** The server's database when it is PostgreSQL (its backends' CPU is read), else null. */
  database: Database | null;
  databaseUrl: string | null;
  size: SideSize;
  shops: string[];
  contacts: string[];
  version: string;
  tag: string;
}): Promise<Side> {
  const { standin, size, shops } = options;
  const { server, idle, company, admin } = await serviceWithAdmin(
    options.databaseUrl,
    { WA_ENGINE: 'baileys', WA_WEBSOCKET_URL: standin.url, WA_WEB_VERSION: options.version },
    ['--import', PRELOAD],
    size,
  );
  try {
    const linkStarted = performance.now();
    await mapLimit(shops, LINK_CONCURRENCY, async (pn, k) => {
      const session = await api<{ id: string }>(server.url, 'POST', '/api/whatsapp/sessions', {
        token: company.token,
        body: { name: `Real ${k + 1}` },
      });
      const path = `/api/whatsapp/sessions/${session.id}`;
      const qr = await until(`a QR for session ${k + 1}`, async () => {
        const res = await api<{ qr: string | null }>(server.url, 'GET', `${path}/qr`, {
          token: company.token,
        });
        return res.qr;
      });
      await standin.scan(qr, pn);
      await until(`session ${k + 1} ready`, async () => {
        const res = await api<{ status: string }>(server.url, 'GET', path, { token: company.token });
        return res.status === 'ready' ? true : null;
      });
    });
    const linkSeconds = (performance.now() - linkStarted) / 1000;
    const heard = listen(admin);
    return await streamThroughStandin(options, server.pid, idle, linkSeconds, heard);
  } finally {
    admin.close();
    await server.stop();
  }
}

/** Warm-up, settle, then the measured stream; shared by the real engine and bare Baileys. */
async function streamThroughStandin(
  options: {
    standin: Standin;
    database: Database | null;
    size: SideSize;
    shops: string[];
    contacts: string[];
    tag: string;
  },
  pid: number,
  idle: Settled,
  linkSeconds: number,
  heard: ReturnType<typeof listen> | null,
): Promise<Side> {
  const { standin, size, shops, contacts, tag } = options;
  // Every contact writes to every session once: Signal sessions and chats exist before the clock runs.
  const warm = await standin.stream({
    shops,
    contacts,
    count: shops.length * contacts.length,
    perSecond: size.perSecond,
    idPrefix: `W${tag}`,
    textPrefix: `warm-up ${tag} `,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
  });
  if (warm.receiptAt.some((at) => at === null)) {
    throw new Error(
      `warm-up: ${warm.receiptAt.filter((at) => at === null).length} messages never acknowledged`,
    );
  }
  await heard?.all(ids(`W${tag}`, warm.sentAt.length));
  const [loaded] = (await settle([pid], size.settleMs)) as [Settled];

  const prefix = `M${tag}`;
  const cpuBefore = cpuSecondsOf(pid);
  const pgCpu = options.database ? await postgresCpu(options.database) : null;
  const stream: StreamResult = await standin.stream({
    shops,
    contacts,
    count: size.messages,
    perSecond: size.perSecond,
    idPrefix: prefix,
    textPrefix: `measured ${tag} `,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
  });
  await heard?.all(ids(prefix, size.messages));
  const cpuSeconds = cpuSecondsOf(pid) - cpuBefore;
  const pgSeconds = pgCpu ? await pgCpu() : null;
  const socket = ids(prefix, size.messages).map((id) => heard?.heard.get(id) ?? null);
  return {
    idle,
    loaded,
    perSessionMB: (loaded.settled - idle.settled) / shops.length,
    cpuMsPerMessage: (cpuSeconds * 1000) / size.messages,
    postgresMsPerMessage: pgSeconds === null ? null : (pgSeconds * 1000) / size.messages,
    sentAt: stream.sentAt,
    receiptAt: stream.receiptAt,
    socketAt: socket.map((s) => s?.at ?? null),
    eventAt: socket.map((s) => s?.event ?? null),
    heardTwice: heard?.twice() ?? 0,
    linkSeconds,
    maxLagMs: stream.maxLagMs,
  };
}

/** (3) Bare Baileys: N clients in a process of their own, in-memory auth, a no-op handler. */
export async function measureBareBaileys(options: {
  standin: Standin;
  size: SideSize;
  shops: string[];
  contacts: string[];
  version: [number, number, number];
  tag: string;
}): Promise<Side> {
  const bare = await startBareBaileys({ standinUrl: options.standin.url, version: options.version });
  try {
    const [idle] = (await settle([bare.pid], options.size.settleMs)) as [Settled];
    const linkStarted = performance.now();
    await mapLimit(options.shops, LINK_CONCURRENCY, async (pn) => {
      const qr = await bare.open(pn);
      await options.standin.scan(qr, pn);
      await bare.ready(pn);
    });
    const linkSeconds = (performance.now() - linkStarted) / 1000;
    return await streamThroughStandin({ ...options, database: null }, bare.pid, idle, linkSeconds, null);
  } finally {
    await bare.stop();
  }
}

/**
 * (2) The service on the simulator engine: the same number of sessions, linked by the simulator's
 * scan; the same warm-up and stream, each message through the simulator's incoming route.
 */
export async function measureSimulator(options: {
  /** The server's database when it is PostgreSQL (its backends' CPU is read), else null. */
  database: Database | null;
  databaseUrl: string | null;
  size: SideSize;
  contacts: string[];
  tag: string;
}): Promise<Side> {
  const { size, contacts, tag } = options;
  const { server, idle, company, admin } = await serviceWithAdmin(options.databaseUrl, {}, [], size);
  const http = createHttpClient(server.url);
  try {
    const linkStarted = performance.now();
    const sessions = await mapLimit(Array.from({ length: size.sessions }), LINK_CONCURRENCY, (_, k) =>
      readySession(server.url, company.token, `Simulated ${k + 1}`),
    );
    const linkSeconds = (performance.now() - linkStarted) / 1000;
    const heard = listen(admin);
    const fire = async (prefix: string, i: number, sentAt: number[]) => {
      const contact = contacts[Math.floor(i / sessions.length) % contacts.length]!;
      sentAt[i] = epochNow();
      const res = await http.post(
        `/api/simulator/sessions/${sessions[i % sessions.length]}/incoming`,
        {
          from: contact,
          pushName: `Contact ${contact}`,
          text: `${prefix} ${i}`,
          waMessageId: `${prefix}${i}`,
        },
        company.token,
      );
      if (res.status !== 201) {
        throw new Error(`simulator incoming answered ${res.status}: ${res.body}`);
      }
    };
    const warmCount = sessions.length * contacts.length;
    const warmSent: number[] = [];
    await paced(warmCount, size.perSecond, (i) => fire(`W${tag}`, i, warmSent));
    await heard.all(ids(`W${tag}`, warmCount));
    const [loaded] = (await settle([server.pid], size.settleMs)) as [Settled];

    const prefix = `M${tag}`;
    const sentAt = new Array<number>(size.messages).fill(0);
    const cpuBefore = cpuSecondsOf(server.pid);
    const pgCpu = options.database ? await postgresCpu(options.database) : null;
    const { maxLagMs } = await paced(size.messages, size.perSecond, (i) => fire(prefix, i, sentAt));
    await heard.all(ids(prefix, size.messages));
    const cpuSeconds = cpuSecondsOf(server.pid) - cpuBefore;
    const pgSeconds = pgCpu ? await pgCpu() : null;
    const socket = ids(prefix, size.messages).map((id) => heard.heard.get(id) ?? null);
    return {
      idle,
      loaded,
      perSessionMB: (loaded.settled - idle.settled) / size.sessions,
      cpuMsPerMessage: (cpuSeconds * 1000) / size.messages,
      postgresMsPerMessage: pgSeconds === null ? null : (pgSeconds * 1000) / size.messages,
      sentAt,
      receiptAt: sentAt.map(() => null),
      socketAt: socket.map((s) => s?.at ?? null),
      eventAt: socket.map((s) => s?.event ?? null),
      heardTwice: heard.twice(),
      linkSeconds,
      maxLagMs,
    };
  } finally {
    http.close();
    admin.close();
    await server.stop();
  }
}
