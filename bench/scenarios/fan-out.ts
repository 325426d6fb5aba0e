import { randomBytes } from 'node:crypto';

import type { Socket } from 'socket.io-client';

import type { Database } from '../../src/db/client.js';
import { type BareServer, startBareSocketIoServer } from '../lib/bare-socketio-server.js';
import { createHttpClient } from '../lib/http-client.js';
import {
  type BenchUser,
  grantRead,
  insertCompanies,
  insertUsers,
  mapLimit,
  readySession,
} from '../lib/population.js';
import { registerCompany, type ServerProcess, startServer } from '../lib/server.js';
import { closeClients, connectClients } from '../lib/sockets.js';
import { atMost, type Percentiles, percentiles, round, type Scenario } from '../lib/types.js';

const TARGET = { p99Ms: 50, maxRatio: 2 };
const ROUND_TIMEOUT_MS = 10_000;

/**
 * Who holds the sockets. One in ten is entitled (a manager with canRead on the session); the rest
 * must hear nothing: managers of the same company with canRead on another session, managers of
 * the same company with no grant, and other companies (each: its admin and managers).
 */
interface Sizing {
  sockets: number;
  entitled: number;
  otherSession: number;
  noGrant: number;
  otherCompanies: number;
  perOtherCompany: number;
}

function sizing(sockets: number): Sizing {
  const entitled = sockets / 10;
  const otherSession = Math.round(sockets * 0.225);
  const otherCompanies = Math.max(1, Math.round(sockets / 220));
  const perOtherCompany = Math.floor((sockets * 0.45) / otherCompanies);
  return {
    sockets,
    entitled,
    otherSession,
    noGrant: sockets - entitled - otherSession - otherCompanies * perOtherCompany,
    otherCompanies,
    perOtherCompany,
  };
}

/** One side of the comparison: fire one incoming message, resolve when all entitled sockets have it. */
interface Side {
  /** Sockets that must get each message once, and sockets that must get none. */
  entitled: Socket[];
  others: Socket[];
  /** The HTTP call that makes the server emit one message with this text. */
  fire(text: string): Promise<{ status: number; body: string }>;
  /** Per timed round: time to the first and to the last entitled receipt (ms). */
  first: number[];
  all: number[];
  duplicates: number;
  leaked: number;
}

function side(entitled: Socket[], others: Socket[], fire: Side['fire']): Side {
  return { entitled, others, fire, first: [], all: [], duplicates: 0, leaked: 0 };
}

/**
 * Listens on every socket of a side: counts entitled receipts of the current round's text,
 * duplicates, and anything at all heard by a socket that is not entitled. Returns one round.
 */
function instrument(s: Side) {
  let current: {
    text: string;
    seen: Set<number>;
    firstAt: number;
    resolve: (at: number) => void;
  } | null = null;
  s.entitled.forEach((socket, index) => {
    socket.on('whatsapp:message', (payload: { message: { body: string } }) => {
      const at = performance.now();
      if (!current || payload.message.body !== current.text) {
        return; // a late copy of an earlier round would have been counted as a duplicate there
      }
      if (current.seen.has(index)) {
        s.duplicates += 1;
        return;
      }
      current.seen.add(index);
      if (current.seen.size === 1) {
        current.firstAt = at;
      }
      if (current.seen.size === s.entitled.length) {
        current.resolve(at);
      }
    });
  });
  for (const socket of s.others) {
    socket.on('whatsapp:message', () => {
      s.leaked += 1;
    });
  }
  return async (text: string, timed: boolean) => {
    const done = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`only ${current?.seen.size ?? 0} of ${s.entitled.length} sockets got '${text}'`)),
        ROUND_TIMEOUT_MS,
      );
      current = {
        text,
        seen: new Set(),
        firstAt: 0,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
    });
    const turn = current!;
    const started = performance.now();
    const response = s.fire(text);
    const allAt = await done;
    const res = await response;
    if (res.status !== 201) {
      throw new Error(`emit call answered ${res.status}: ${res.body}`);
    }
    if (timed) {
      s.first.push(turn.firstAt - started);
      s.all.push(allAt - started);
    }
  };
}

/** The service's tenants, users and grants; each user's sockets connect later. */
async function populate(server: ServerProcess, database: Database, size: Sizing) {
  const url = server.url;
  const company = await registerCompany(url, 'Fan-out');
  const target = await readySession(url, company.token, 'Target');
  const other = await readySession(url, company.token, 'Other');
  const readers = await insertUsers(database, company.companyId, size.entitled);
  const colleagues = await insertUsers(database, company.companyId, size.otherSession + size.noGrant);
  await mapLimit([...readers, ...colleagues.slice(0, size.otherSession)], 8, (u, i) =>
    grantRead(url, company.token, i < readers.length ? target : other, u.id),
  );
  const outsiders: BenchUser[] = [];
  for (const companyId of await insertCompanies(database, size.otherCompanies)) {
    outsiders.push(...(await insertUsers(database, companyId, 1, 'admin')));
    outsiders.push(...(await insertUsers(database, companyId, size.perOtherCompany - 1)));
  }
  return { company, target, other, readers, colleagues, outsiders };
}

type Population = Awaited<ReturnType<typeof populate>>;

/** The same users' sockets on the bare server, in the rooms the service gives them. */
function bareRooms(p: Population, size: Sizing) {
  const rooms = (u: BenchUser, sessionId: string | null) => ({
    rooms: [
      `user:${u.id}`,
      ...(u.role === 'admin' ? [`company:${u.companyId}:admins`] : []),
      ...(sessionId ? [`session:${sessionId}:members`, `session:${sessionId}:readers`] : []),
    ],
  });
  return {
    entitled: p.readers.map((u) => rooms(u, p.target)),
    others: [
      ...p.colleagues.map((u, i) => rooms(u, i < size.otherSession ? p.other : null)),
      ...p.outsiders.map((u) => rooms(u, null)),
    ],
  };
}

async function connectSide(url: string, entitled: object[], others: object[]) {
  const a = await connectClients(url, entitled as Record<string, unknown>[]);
  try {
    return { entitled: a, others: await connectClients(url, others as Record<string, unknown>[]) };
  } catch (err) {
    closeClients(a);
    throw err;
  }
}

export const fanOut: Scenario = {
  name: 'fan-out',
  databases: ['postgres'],
  async run({ database, databaseUrl, quick, log }) {
    if (!databaseUrl) {
      throw new Error('fan-out runs the server, which needs PostgreSQL');
    }
    // Quick (CI) proves the scenario works at a quarter of the size; the targets are for 2,000/200.
    const size = sizing(quick ? 500 : 2_000);
    const rounds = quick ? 20 : 100;
    const warmup = quick ? 3 : 10;
    log(
      `fan-out: ${size.sockets} sockets, ${size.entitled} entitled, ${rounds} timed rounds each side (after ${warmup} untimed)`,
    );

    const [server, bare]: [ServerProcess, BareServer] = await Promise.all([
      startServer(databaseUrl),
      startBareSocketIoServer(),
    ]);
    const opened: Socket[] = [];
    const http = createHttpClient(server.url);
    const bareHttp = createHttpClient(bare.url);
    try {
      const p = await populate(server, database, size);
      const started = performance.now();
      const bareAuth = bareRooms(p, size);
      // Both servers' clients connect at once: each server is in a process of its own.
      const [own, plain] = await Promise.all([
        connectSide(
          server.url,
          p.readers.map((u) => ({ token: u.token })),
          [...p.colleagues, ...p.outsiders].map((u) => ({ token: u.token })),
        ),
        connectSide(bare.url, bareAuth.entitled, bareAuth.others),
      ]);
      opened.push(...own.entitled, ...own.others, ...plain.entitled, ...plain.others);
      log(`${opened.length} sockets connected in ${round(performance.now() - started)} ms`);

      let contact = 0;
      const service = side(own.entitled, own.others, (text) =>
        http.post(
          `/api/simulator/sessions/${p.target}/incoming`,
          { from: `7912${String(contact++ % 1000).padStart(7, '0')}`, pushName: 'Fan-out contact', text },
          p.company.token,
        ),
      );
      const baseline = side(plain.entitled, plain.others, (text) =>
        bareHttp.post('/emit', {
          rooms: [`company:${p.company.companyId}:admins`, `session:${p.target}:readers`],
          text,
        }),
      );
      const serviceRound = instrument(service);
      const baselineRound = instrument(baseline);

      // One real whatsapp:message payload is the baseline's template, so both carry the same bytes.
      const sample = new Promise<unknown>((resolve) => own.entitled[0]!.once('whatsapp:message', resolve));
      await serviceRound(`fan-out template ${randomBytes(4).toString('hex')}`, false);
      const template = await bareHttp.post('/template', await sample);
      if (template.status !== 204) {
        throw new Error(`the bare server refused the template: ${template.status}`);
      }

      const tag = randomBytes(4).toString('hex');
      const pause = () => new Promise((r) => setTimeout(r, 20));
      // Rounds alternate between the two servers (and which goes first), so both see the same noise.
      for (let k = 0; k < warmup + rounds; k++) {
        const order = k % 2 === 0 ? [serviceRound, baselineRound] : [baselineRound, serviceRound];
        for (const fire of order) {
          await fire(`fan-out ${tag} ${k}`, k >= warmup);
          await pause();
        }
      }
      // Anything still in flight to a socket that must hear nothing lands now.
      await new Promise((r) => setTimeout(r, 300));

      const s = percentiles(service.all);
      const b = percentiles(baseline.all);
      const sFirst = percentiles(service.first);
      const bFirst = percentiles(baseline.first);
      log(
        `service: all ${size.entitled} p50 ${round(s.p50)} p99 ${round(s.p99)} ms; baseline p50 ${round(b.p50)} p99 ${round(b.p99)} ms`,
      );
      const all = `until all ${size.entitled} have it`;
      return {
        scenario: 'fan-out',
        size: { sockets: size.sockets, entitled: size.entitled, rounds },
        baseline: `a bare socket.io 4.8 server (node:http, default options, own process) with the same ${size.sockets} sockets in the same rooms; one HTTP POST → one broadcast of the same payload to the same rooms`,
        metrics: [
          ...latencyMetrics(all, s, b),
          { name: 'until the first has it, p50', unit: 'ms', value: sFirst.p50, baseline: bFirst.p50 },
          { name: 'until the first has it, p99', unit: 'ms', value: sFirst.p99, baseline: bFirst.p99 },
        ],
        checks: [
          atMost(`p99 ≤ ${TARGET.p99Ms} ms`, s.p99, TARGET.p99Ms, 'ms'),
          atMost(`p99 ≤ ${TARGET.maxRatio}× the baseline's p99`, s.p99 / b.p99, TARGET.maxRatio, '×'),
          {
            target: `each message reaches the ${size.entitled} entitled sockets once and none of the other ${size.sockets - size.entitled}`,
            actual: `${service.duplicates} duplicates, ${service.leaked} to others`,
            pass: service.duplicates === 0 && service.leaked === 0,
          },
        ],
        notes: [
          `time from just before the HTTP call that makes the server emit (the simulator's POST …/incoming; the baseline's POST /emit) to the ${size.entitled}th receipt, in the bench process, which hosts all clients of both servers (WebSocket transport, one connection each); ${rounds} rounds per server, alternating, after ${warmup} untimed; the p99 of ${rounds} rounds is its ${Math.ceil(rounds * 0.99)}th value`,
          `service sockets: ${size.entitled} managers with canRead on the session; ${size.otherSession} managers of the same company with canRead on another session; ${size.noGrant} with no grant; ${size.otherCompanies} other companies × (admin + ${size.perOtherCompany - 1} managers); the company's admin is not connected. Users are inserted rows with tokens from the service's own signer; grants go through the API`,
          `the service's path adds to the baseline's: authentication, the session check, the ingest statement on PostgreSQL (the message and its chat), and the fan-out through the access rooms`,
          `baseline sockets: ${baseline.duplicates} duplicates, ${baseline.leaked} to others`,
        ],
      };
    } finally {
      closeClients(opened);
      http.close();
      bareHttp.close();
      await Promise.all([server.stop(), bare.stop()]);
    }
  },
};

function latencyMetrics(what: string, s: Percentiles, b: Percentiles) {
  return [
    { name: `${what}, p50`, unit: 'ms', value: s.p50, baseline: b.p50 },
    { name: `${what}, p90`, unit: 'ms', value: s.p90, baseline: b.p90 },
    { name: `${what}, p99`, unit: 'ms', value: s.p99, baseline: b.p99 },
    { name: `${what}, max`, unit: 'ms', value: s.max, baseline: b.max },
  ];
}
