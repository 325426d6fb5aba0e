import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { mapLimit, readySession } from '../lib/population.js';
import { api, registerCompany, startServer } from '../lib/server.js';
import { SAMPLE_EVERY_MS, settle, type Settled, TAIL_MS } from '../lib/settle.js';
import { atMost, round, type Scenario } from '../lib/types.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET = { idleMB: 120, perSessionMB: 1 };

/** The baseline: `node` running an empty Fastify server (one route), answered once, then left idle. */
async function startBareFastify(): Promise<{ pid: number; stop(): Promise<void> }> {
  const program = [
    "import Fastify from 'fastify';",
    'const app = Fastify();',
    "app.get('/health', async () => ({ status: 'ok' }));",
    "await app.listen({ port: 0, host: '127.0.0.1' });",
    "process.stdout.write('listening on ' + app.server.address().port + '\\n');",
    "process.on('SIGTERM', () => app.close().then(() => process.exit(0)));",
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bare Fastify did not start:\n${output}`)), 30_000);
      const keep = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.once('exit', (code) => reject(new Error(`bare Fastify exited with ${code}:\n${output}`)));
    });
    await fetch(`http://127.0.0.1:${port}/health`).then((res) => res.text());
    return { pid: child.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export const footprint: Scenario = {
  name: 'footprint',
  databases: ['postgres'],
  async run({ databaseUrl, quick, log }) {
    if (!databaseUrl) {
      throw new Error('footprint runs the server, which needs PostgreSQL');
    }
    const count = quick ? 50 : 500;
    // Long enough for V8's memory reducer (it starts some seconds after allocation stops); quick
    // runs cannot wait that long, so their numbers include what boot and the API calls left behind.
    const windowMs = quick ? 2_000 : 60_000;
    log(
      `footprint: server RSS idle, then with ${count} ready simulated sessions (windows up to ${windowMs / 1000} s)`,
    );

    // Users who link 500 numbers to one company raise the limit; the env is how they would.
    const [server, bare] = await Promise.all([
      startServer(databaseUrl, { SESSIONS_PER_COMPANY: String(count) }),
      startBareFastify(),
    ]);
    try {
      // Both left alone side by side: the same window, the same machine.
      const [idle, baseline] = (await settle([server.pid, bare.pid], windowMs)) as [Settled, Settled];
      await bare.stop();
      log(
        `server idle: ${round(idle.first)} → ${round(idle.settled)} MB; bare Fastify ${round(baseline.settled)} MB`,
      );

      const company = await registerCompany(server.url, 'Footprint');
      const started = performance.now();
      await mapLimit(Array.from({ length: count }), 4, (_, k) =>
        readySession(server.url, company.token, `Footprint ${k + 1}`),
      );
      const list = await api<{ status: string }[]>(server.url, 'GET', '/api/whatsapp/sessions', {
        token: company.token,
      });
      const ready = list.filter((s) => s.status === 'ready').length;
      if (ready !== count) {
        throw new Error(`expected ${count} ready sessions, found ${ready} of ${list.length}`);
      }
      log(`${count} sessions ready in ${round(performance.now() - started)} ms`);
      const [loaded] = (await settle([server.pid], windowMs)) as [Settled];
      const perSession = (loaded.settled - idle.settled) / count;
      log(
        `server with ${count} sessions: ${round(loaded.first)} → ${round(loaded.settled)} MB (${round(perSession * 1000)} kB per session)`,
      );

      const every = Math.max(1, Math.round(2_500 / SAMPLE_EVERY_MS));
      const trace = (s: Settled) =>
        s.trace
          .filter((_, i) => i % every === 0)
          .map((v) => Math.round(v))
          .join(' ');
      return {
        scenario: 'footprint',
        size: { sessions: count, 'longest settle (s)': windowMs / 1000 },
        baseline:
          '`node` running an empty Fastify server (one route, answered once), started and left idle beside the server, its RSS read the same way',
        metrics: [
          { name: 'RSS idle, right after boot', unit: 'MB', value: idle.first, baseline: baseline.first },
          { name: 'RSS idle, settled', unit: 'MB', value: idle.settled, baseline: baseline.settled },
          {
            name: `RSS with ${count} ready sessions, right after`,
            unit: 'MB',
            value: loaded.first,
            baseline: null,
          },
          {
            name: `RSS with ${count} ready sessions, settled`,
            unit: 'MB',
            value: loaded.settled,
            baseline: null,
          },
          { name: 'RSS per ready session', unit: 'MB', value: perSession, baseline: null },
        ],
        checks: [
          atMost(`idle ≤ ${TARGET.idleMB} MB`, idle.settled, TARGET.idleMB, 'MB'),
          atMost(`≤ ${TARGET.perSessionMB} MB per simulated session`, perSession, TARGET.perSessionMB, 'MB'),
        ],
        notes: [
          `MB = 10^6 bytes, as the targets say (1 MiB = 1.049 MB). RSS from /proc/<pid>/status every ${SAMPLE_EVERY_MS} ms while the process is left alone, until ${TAIL_MS / 1000} s after it fell by a tenth or for at most ${windowMs / 1000} s; "right after" is the median of the first ${TAIL_MS / 1000} s, "settled" of the last ${TAIL_MS / 1000} s. Nothing is forced (no --expose-gc): V8's memory reducer gives back the heap's garbage by itself once allocation has stopped for a while (seen here after 15–40 s), and the window waits for it`,
          `idle = the built server (node dist/main.js, simulator engine, PostgreSQL) after boot and its health checks, before any company exists; then one company registers (through the API) and links ${count} sessions (POST /api/whatsapp/sessions, then the simulator's scan, 4 at a time), all verified ready; SESSIONS_PER_COMPANY=${count} is set in the server's environment`,
          `per session = (settled RSS with ${count} − settled RSS idle) / ${count}: it includes the company and whatever the ${count * 2} API calls left behind`,
          `readings every ${(every * SAMPLE_EVERY_MS) / 1000} s (MB): idle ${trace(idle)}; with ${count} sessions ${trace(loaded)}; bare Fastify ${trace(baseline)}`,
        ],
      };
    } finally {
      await Promise.all([server.stop(), bare.stop()]);
    }
  },
};
