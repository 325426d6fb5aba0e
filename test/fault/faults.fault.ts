import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Deployment, LEASE_TTL_MS } from './support/deployment.js';
import type { Observations } from './support/http.js';
import { createPrivateCluster, type PrivateCluster } from './support/postgres.js';
import { type CaseResult, formatTable, writeReport } from './support/report.js';
import { assertBuilt, killAllServers, type LogLine, sleep, waitHealthy } from './support/server.js';
import {
  Ledger,
  probeRecovery,
  startTraffic,
  type Target,
  type Verdict,
  verify,
  watchSockets,
} from './support/traffic.js';

/**
 * Fault injection against the built server (`node dist/main.js`, simulator engine) on a private
 * PostgreSQL cluster that the suite may stop and start. Each case runs steady traffic through a
 * fault and counts what was lost or doubled; afterAll prints the table (and writes it as JSON to
 * FAULT_REPORT when set). Run with `npm run test:fault` after `npm run build`.
 */

const TRAFFIC = { incomingLoops: 2, sendLoops: 2, pauseMs: 40 };
const DRAIN_MS = 20_000;
const VERIFY_MS = 20_000;
const STARTUP_TIMEOUT_MS = 3000;

let cluster: PrivateCluster;
const results: CaseResult[] = [];
const deployments: Deployment[] = [];

beforeAll(async () => {
  assertBuilt();
  cluster = await createPrivateCluster();
}, 60_000);

afterAll(async () => {
  await killAllServers();
  for (const d of deployments) {
    await d.dispose();
  }
  await cluster?.destroy();
  console.log(`\n${formatTable(results)}\n`);
  const file = writeReport(results);
  if (file) {
    console.log(`fault report written to ${file}`);
  }
}, 60_000);

async function deploy(name: string, env: Record<string, string> = {}) {
  if (!cluster.running()) {
    await cluster.start();
  }
  const d = await Deployment.create(cluster, name, env);
  deployments.push(d);
  return d;
}

/** The problems every traffic case shares: lost, doubled, calls never accepted, process exits. */
function commonProblems(d: Deployment, verdict: Verdict): string[] {
  const problems: string[] = [];
  const lost = [...verdict.incoming.lost, ...verdict.sends.lost];
  const doubled = [...verdict.incoming.doubled, ...verdict.sends.doubled];
  if (!verdict.readable) {
    problems.push('the service could not be read at the end (messages or the network record)');
  }
  const split = (a: string[], b: string[]) => `${a.length} incoming, ${b.length} sends`;
  if (lost.length > 0) {
    problems.push(
      `${lost.length} lost (${split(verdict.incoming.lost, verdict.sends.lost)}), e.g. ${lost.slice(0, 3).join('; ')}`,
    );
  }
  if (doubled.length > 0) {
    problems.push(
      `${doubled.length} doubled (${split(verdict.incoming.doubled, verdict.sends.doubled)}), e.g. ${doubled.slice(0, 3).join('; ')}`,
    );
  }
  if (verdict.neverAccepted.length > 0) {
    problems.push(
      `${verdict.neverAccepted.length} calls never answered 2xx in ${DRAIN_MS / 1000} s of retries, e.g. ${verdict.neverAccepted.slice(0, 3).join('; ')}`,
    );
  }
  for (const e of d.unexpectedExits) {
    problems.push(`the server exited (code ${e.code}, signal ${e.signal}): ${e.reason}`);
  }
  return problems;
}

/** While the database is unavailable, clients get 503 with Retry-After, never 500. */
function degradedProblems(o: Observations): string[] {
  const problems: string[] = [];
  for (const [key, n] of o.counts) {
    if (/^5\d\d/.test(key) && !key.startsWith('503')) {
      problems.push(`${n} answers ${key} (503 with Retry-After expected)`);
    }
  }
  for (const [key, n] of o.withoutRetryAfter) {
    problems.push(`${n} answers ${key} without Retry-After`);
  }
  const other = o.unexpected.filter((u) => u.status < 500);
  if (other.length > 0) {
    problems.push(
      `unexpected answers, e.g. ${other
        .slice(0, 2)
        .map((u) => `${u.status} to ${u.path}: ${JSON.stringify(u.body).slice(0, 200)}`)
        .join('; ')}`,
    );
  }
  return problems;
}

function socketSummary(sockets: ReturnType<typeof watchSockets>, ledger: Ledger, verdict: Verdict) {
  const stored = [...ledger.incoming.values()].filter((e) => e.acceptedAt !== null).length;
  const lost = new Set(verdict.incoming.lost.map((l) => l.split(':')[0]));
  const expected = stored - lost.size;
  return sockets.heard
    .map((heard) => {
      const ours = [...heard.keys()].filter((text) => ledger.incoming.has(text));
      const repeats = ours.filter((text) => heard.get(text)! > 1).length;
      return `${ours.length}/${expected}${repeats > 0 ? ` (${repeats} twice)` : ''}`;
    })
    .join(', ');
}

/**
 * The shape of a traffic case: sockets and traffic start, `fault` runs and returns when the
 * fault ended, the recovery is timed, traffic goes on a little, then everything is counted.
 */
async function trafficCase(
  name: string,
  d: Deployment,
  target: Target & { token: string },
  options: {
    before: number;
    after: number;
    recoverWithinMs: number;
    fault: () => Promise<number>;
    degraded: boolean;
  },
): Promise<CaseResult> {
  const ledger = new Ledger();
  const sockets = watchSockets(d.base, target.token, 2);
  const socketsUp = await sockets.connected(5000);
  const traffic = startTraffic(target, ledger, TRAFFIC);
  let recoverMs: number | null;
  let verdict: Verdict;
  let sessionStatus: string;
  try {
    try {
      await sleep(options.before);
      const faultEnd = await options.fault();
      recoverMs = await probeRecovery(target, ledger, faultEnd, options.recoverWithinMs);
      await sleep(options.after);
    } finally {
      await traffic.stop(DRAIN_MS);
    }
    verdict = await verify(target, ledger, VERIFY_MS);
    sessionStatus = await d.sessionStatus(target);
    await sleep(300);
  } finally {
    sockets.close();
  }

  const observations = target.client.observations!;
  const problems = commonProblems(d, verdict);
  if (recoverMs === null) {
    problems.push(
      `did not recover within ${options.recoverWithinMs / 1000} s of the end of the fault (session status at the end: ${sessionStatus})`,
    );
  }
  if (options.degraded) {
    problems.push(...degradedProblems(observations));
  }
  return {
    name,
    messages: { incoming: verdict.incoming.accepted, sends: verdict.sends.accepted },
    lost: verdict.incoming.lost.length + verdict.sends.lost.length,
    doubled: verdict.incoming.doubled.length + verdict.sends.doubled.length,
    recoverMs,
    seen: observations.summary(),
    sockets: socketSummary(sockets, ledger, verdict),
    problems,
    details: {
      verdict,
      observations: observations.toJSON(),
      socketConnects: sockets.connects,
      socketsConnectedBeforeTraffic: socketsUp,
      sessionStatus,
      unexpectedExits: d.unexpectedExits,
      sendsRedelivered: verdict.sends.redelivered,
      errorLogs: errorLogs(d.logs()),
    },
  };
}

/** Boot waits for the database with one warning line per miss, saying which attempt it was. */
function retryWarningProblems(retrying: LogLine[]): string[] {
  if (retrying.length === 0) {
    return ["no 'database unreachable; retrying' warning while the database was down"];
  }
  if (retrying.some((l) => typeof l.attempt !== 'number' || l.level !== 40)) {
    return [`retry lines without an attempt number or not at warn level: ${JSON.stringify(retrying[0])}`];
  }
  return [];
}

/** Error-level log lines (message and error message only), at most 20. */
function errorLogs(logs: LogLine[]) {
  return logs
    .filter((l) => (l.level ?? 0) >= 50)
    .slice(0, 20)
    .map((l) => ({ msg: l.msg, err: (l.err as { message?: string } | undefined)?.message }));
}

/** Runs a case, records its result (also when it throws), and fails it on any problem. */
async function recorded(name: string, run: () => Promise<CaseResult>) {
  let result: CaseResult;
  try {
    result = await run();
  } catch (err) {
    result = {
      name,
      messages: null,
      lost: null,
      doubled: null,
      recoverMs: null,
      seen: '',
      sockets: '',
      problems: [`the case could not run: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')}`],
      details: { error: String((err as Error).stack ?? err) },
    };
  }
  results.push(result);
  expect(result.problems, `${name}:\n${result.problems.join('\n')}`).toEqual([]);
}

describe.sequential('faults', () => {
  it('0. no fault: the counting itself finds nothing lost or doubled', { timeout: 60_000 }, async () => {
    const name = '0 no fault (baseline)';
    await recorded(name, async () => {
      const d = await deploy('baseline');
      await d.start();
      const target = await d.linkedSession('baseline');
      return trafficCase(name, d, target, {
        before: 2000,
        after: 1000,
        recoverWithinMs: 5000,
        degraded: true,
        fault: () => Promise.resolve(Date.now()),
      });
    });
  });

  it('1. SIGKILL and an immediate restart', { timeout: 120_000 }, async () => {
    const name = '1 SIGKILL, immediate restart';
    await recorded(name, async () => {
      const d = await deploy('kill');
      await d.start();
      const target = await d.linkedSession('kill');
      return trafficCase(name, d, target, {
        before: 3000,
        after: 2000,
        // Sessions come back once the dead process's leases expire, with no manual step.
        recoverWithinMs: LEASE_TTL_MS + 10_000,
        degraded: false,
        fault: async () => {
          await d.kill('SIGKILL');
          d.supervise = true;
          d.spawn();
          return Date.now();
        },
      });
    });
  });

  it('2. database connections terminated under load', { timeout: 120_000 }, async () => {
    const name = '2 pg_terminate_backend x3';
    await recorded(name, async () => {
      const d = await deploy('terminate');
      d.supervise = true;
      await d.start();
      const target = await d.linkedSession('terminate');
      const terminated: number[] = [];
      const result = await trafficCase(name, d, target, {
        before: 2000,
        after: 2000,
        recoverWithinMs: 15_000,
        degraded: true,
        fault: async () => {
          for (let i = 0; i < 3; i++) {
            terminated.push(await cluster.terminateBackends(d.database));
            await sleep(i < 2 ? 1500 : 0);
          }
          return Date.now();
        },
      });
      result.details.terminated = terminated;
      return result;
    });
  });

  it('3. the database stopped for 10 s and started again', { timeout: 120_000 }, async () => {
    const name = '3 database down 10 s';
    await recorded(name, async () => {
      const d = await deploy('dbdown');
      d.supervise = true;
      await d.start();
      const target = await d.linkedSession('dbdown');
      const result = await trafficCase(name, d, target, {
        before: 2000,
        after: 2000,
        recoverWithinMs: 15_000,
        degraded: true,
        fault: async () => {
          await cluster.stop();
          await sleep(10_000);
          await cluster.start();
          return Date.now();
        },
      });
      if (target.client.observations!.get('503') === 0) {
        result.problems.push('no 503 was seen while the database was down');
      }
      return result;
    });
  });

  it('4a. the database unreachable at boot, up 5 s later', { timeout: 120_000 }, async () => {
    const name = '4a database up 5 s after boot';
    await recorded(name, async () => {
      const d = await deploy('bootlate', { DATABASE_STARTUP_TIMEOUT: '60s' });
      await cluster.stop();
      const server = d.spawn();
      await sleep(5000);
      const problems: string[] = [];
      const retrying = server.logs.filter((l) => /database unreachable; retrying/.test(l.msg ?? ''));
      problems.push(...retryWarningProblems(retrying));
      await cluster.start();
      const faultEnd = Date.now();
      const healthyAt = await waitHealthy(d.base, 30_000, server);
      if (healthyAt === null) {
        problems.push(...d.unexpectedExits.map((e) => `the server exited (code ${e.code}): ${e.reason}`));
        problems.push('the server did not become healthy within 30 s of the database starting');
        return {
          name,
          messages: null,
          lost: null,
          doubled: null,
          recoverMs: null,
          seen: '',
          sockets: '',
          problems,
          details: { retryWarnings: retrying.length, stderr: server.stderr().slice(0, 2000) },
        };
      }
      const target = await d.linkedSession('bootlate');
      const result = await trafficCase(name, d, target, {
        before: 0,
        after: 3000,
        recoverWithinMs: 30_000,
        degraded: false,
        fault: () => Promise.resolve(faultEnd),
      });
      result.problems.unshift(...problems);
      result.details.healthyAfterMs = healthyAt - faultEnd;
      result.details.retryWarnings = retrying.length;
      return result;
    });
  });

  it('4b. the database unreachable at boot past DATABASE_STARTUP_TIMEOUT', { timeout: 60_000 }, async () => {
    const name = '4b database down, timeout 3 s';
    await recorded(name, async () => {
      const d = await deploy('bootfail', { DATABASE_STARTUP_TIMEOUT: `${STARTUP_TIMEOUT_MS / 1000}s` });
      await cluster.stop();
      const server = d.spawn();
      const started = Date.now();
      const exit = await Promise.race([server.exited, sleep(20_000).then(() => null)]);
      const problems: string[] = [];
      const retrying = server.logs.filter((l) => /database unreachable; retrying/.test(l.msg ?? ''));
      const stackLines = server.logs.filter((l) => /\n\s+at /.test(JSON.stringify(l).replace(/\\n/g, '\n')));
      if (!exit) {
        problems.push('still running 20 s after start with DATABASE_STARTUP_TIMEOUT=3s');
      } else {
        if (exit.code !== 1) {
          problems.push(`exited with code ${exit.code} (signal ${exit.signal}), expected 1`);
        }
        if (exit.at - started > 15_000) {
          problems.push(`exited only after ${((exit.at - started) / 1000).toFixed(1)} s`);
        }
        // The first attempt: the first warning's time less what it says it had waited.
        const first = retrying[0];
        if (first && typeof first.time === 'number') {
          const triedFor = exit.at - (first.time - Number(first.waitedMs ?? 0));
          if (triedFor < STARTUP_TIMEOUT_MS - 500) {
            problems.push(
              `gave up ${(triedFor / 1000).toFixed(1)} s after its first attempt, before DATABASE_STARTUP_TIMEOUT (${STARTUP_TIMEOUT_MS / 1000} s): a database back within the timeout would be missed`,
            );
          }
        }
      }
      const stderr = server.stderr();
      if (!/unreachable/i.test(stderr) || !/after|DATABASE_STARTUP_TIMEOUT/.test(stderr)) {
        problems.push(
          `no clear "database unreachable after …" message on stderr: ${JSON.stringify(stderr.slice(0, 300))}`,
        );
      }
      problems.push(...retryWarningProblems(retrying));
      if (retrying.length > 30) {
        problems.push(`${retrying.length} retry warnings in ${STARTUP_TIMEOUT_MS / 1000} s`);
      }
      if (/\n\s+at /.test(server.stderr())) {
        problems.push('a stack trace on stderr');
      }
      if (stackLines.length > 1) {
        problems.push(`stack traces in ${stackLines.length} log lines`);
      }
      await d.stop();
      return {
        name,
        messages: null,
        lost: null,
        doubled: null,
        recoverMs: null,
        seen: exit ? `exit ${exit.code} after ${((exit.at - started) / 1000).toFixed(1)} s` : 'no exit',
        sockets: '',
        problems,
        details: { exit, retryWarnings: retrying, stderr: server.stderr().slice(0, 3000) },
      };
    });
  });
});
