import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');

export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';

/** The service as users run it: `node dist/main.js` in a process of its own, simulator engine. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Resident set size of the server process, in MiB, read from /proc. */
  rssMiB(): number;
  /** SIGTERM, then waits for a graceful exit. */
  stop(): Promise<void>;
}

let built = false;

/** The newest modification time of any file under `dir`, in ms. */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * Compiles src/ to dist/ once per bench run, so the server measured is the current code; skipped
 * when dist/ is already newer than every source file (as after `npm run build`).
 */
export function buildServer(): void {
  if (built) {
    return;
  }
  if (!existsSync(MAIN) || statSync(MAIN).mtimeMs < newestUnder(join(ROOT, 'src'))) {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: ROOT, stdio: 'inherit' },
    );
  }
  built = true;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process, in MiB, from /proc. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (!kb) {
    throw new Error(`no VmRSS for process ${pid}`);
  }
  return Number(kb) / 1024;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not answer /api/health within 30 s:\n${output()}`);
}

/**
 * Starts the built server on `databaseUrl` (null: the embedded PGlite in its own data directory)
 * with production settings except the simulator engine. `env` overrides (e.g.
 * SEND_RATE_PER_MINUTE=0 for pacing off); `nodeArgs` go before the script (e.g. a preload).
 */
export async function startServer(
  databaseUrl: string | null,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  buildServer();
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing after the build`);
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-bench-data-'));
  // To profile the server under a scenario: BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const profileArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...profileArgs, ...nodeArgs, MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      ...(databaseUrl === null ? {} : { DATABASE_URL: databaseUrl }),
      WA_ENGINE: 'simulator',
      // The bench drives the simulator under production settings.
      ALLOW_SIMULATOR_IN_PRODUCTION: 'true',
      JWT_SECRET: BENCH_JWT_SECRET,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      // The bench registers many users from one address; production keeps the default.
      AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid!, rssMiB: () => rssOf(child.pid!), stop };
}

/** The API through fetch, unwrapping the envelope; throws with the body on any non-2xx. */
export async function api<T = any>(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`${method} ${path}: ${res.status} ${text}`);
  }
  return (text ? (JSON.parse(text) as { data: T }).data : undefined) as T;
}

/** Registers a company and returns its admin's token. */
export async function registerCompany(
  url: string,
  label = 'Bench',
): Promise<{ token: string; companyId: string }> {
  const suffix = randomBytes(5).toString('hex');
  const data = await api<{ token: string; company: { id: string } }>(url, 'POST', '/api/auth/register', {
    body: {
      companyName: `${label} ${suffix}`,
      name: 'Admin',
      email: `admin-${suffix}@bench.example`,
      password: 'bench-password-1',
    },
  });
  return { token: data.token, companyId: data.company.id };
}
