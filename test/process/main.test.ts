import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { onJsonLines } from '../support/json-lines.js';

/**
 * The real server as a child process: `node --import tsx src/main.ts`, embedded PGlite under a
 * temporary DATA_DIR. Each start takes a few seconds (PGlite boot and migrations).
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const mainFile = join(repoRoot, 'src', 'main.ts');
// By URL rather than bare `tsx`, so the child can run in a directory of its own (no stray .env).
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

const START_TIMEOUT_MS = 40_000;
const EXIT_TIMEOUT_MS = 15_000;

interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

interface Server {
  child: ChildProcess;
  /** Parsed JSON log lines from stdout, in order. */
  logs: LogLine[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (already seen or to come) that matches. */
  waitForLog: (match: (line: LogLine) => boolean, timeoutMs?: number) => Promise<LogLine>;
}

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function spawnServer(env: Record<string, string>): Server {
  const cwd = tempDir('wa-process-cwd-');
  const child = spawn(process.execPath, ['--import', tsxLoader, mainFile], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);

  const logs: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let stderr = '';
  let stdoutText = '';

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdoutText += chunk;
  });
  onJsonLines<LogLine>(child.stdout, (line) => {
    logs.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = START_TIMEOUT_MS) => {
    const seen = logs.find(match);
    if (seen) {
      return Promise.resolve(seen);
    }
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no matching log line within ${timeoutMs} ms\nstdout:\n${stdoutText}\nstderr:\n${stderr}`,
          ),
        );
      }, timeoutMs);
      waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `server exited (code ${code}, signal ${signal})\nstdout:\n${stdoutText}\nstderr:\n${stderr}`,
          ),
        );
      });
    });
  };

  return { child, logs, stderr: () => stderr, exited, waitForLog };
}

/** Starts the server and waits until it listens; returns its base URL. */
async function startServer(env: Record<string, string>): Promise<Server & { url: string }> {
  const server = spawnServer(env);
  const listening = await server.waitForLog((l) => /^Server listening at http:\/\//.test(l.msg ?? ''));
  const url = /(http:\/\/\S+)/.exec(listening.msg!)![1]!;
  return { ...server, url };
}

function baseEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    WA_ENGINE: 'simulator',
    PASSWORD_HASH_COST: '10',
    ...extra,
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then the exit status; fails if the process takes longer than EXIT_TIMEOUT_MS. */
async function stop(server: Server) {
  server.child.kill('SIGTERM');
  return withTimeout(server.exited, EXIT_TIMEOUT_MS, 'exit after SIGTERM');
}

async function json(method: string, url: string, body?: unknown, token?: string) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function killAll() {
  await Promise.all(
    [...children].map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

afterEach(async () => {
  await killAll();
  for (const dir of tempDirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});
afterAll(killAll);

describe('the server process', { timeout: 120_000 }, () => {
  it('answers health over real HTTP, and on SIGTERM shuts down cleanly with exit code 0', async () => {
    const dataDir = tempDir('wa-process-data-');
    const server = await startServer(baseEnv(dataDir));
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await json('GET', `${server.url}/api/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      success: true,
      data: { status: 'ok', db: 'ok', database: 'pglite', engine: 'simulator' },
    });
    expect(health.headers.get('x-request-id')).toBeTruthy();

    // The embedded database and the generated secrets live under DATA_DIR.
    expect(existsSync(join(dataDir, 'pglite'))).toBe(true);
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(true);

    const started = Date.now();
    const { code, signal } = await stop(server);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(EXIT_TIMEOUT_MS);

    const messages = server.logs.map((l) => l.msg);
    expect(messages).toContain('shutting down');
    expect(messages).toContain('shutdown complete');
    expect(messages.indexOf('shutting down')).toBeLessThan(messages.indexOf('shutdown complete'));
    expect(server.logs.find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGTERM' });
    // Nothing was logged at error level or above.
    expect(server.logs.filter((l) => (l.level ?? 0) >= 50)).toEqual([]);
    expect(server.stderr()).toBe('');

    await expect(fetch(`${server.url}/api/health`)).rejects.toThrow();
  });

  it('after a kill, resumes the linked session without a QR and delivers an accepted send exactly once', async () => {
    const dataDir = tempDir('wa-process-data-');
    const first = await startServer(baseEnv(dataDir, { SEND_RATE_PER_MINUTE: '0' }));
    const { token } = (
      await json('POST', `${first.url}/api/auth/register`, {
        companyName: 'Crash Co',
        name: 'Ann Admin',
        email: `crash-${randomBytes(4).toString('hex')}@example.com`,
        password: 'crash-password-1',
      })
    ).body.data;
    const sessionId = (await json('POST', `${first.url}/api/whatsapp/sessions`, {}, token)).body.data.id;
    expect(
      (await json('POST', `${first.url}/api/simulator/sessions/${sessionId}/scan`, {}, token)).status,
    ).toBe(200);
    // The network is unreachable, so the send stays pending when the process dies.
    await json('POST', `${first.url}/api/simulator/sessions/${sessionId}/faults`, { offline: true }, token);
    const accepted = await json(
      'POST',
      `${first.url}/api/whatsapp/sessions/${sessionId}/chats/79991234567/send`,
      { message: 'accepted before the crash' },
      token,
    );
    expect(accepted.status).toBe(201);
    expect(accepted.body.data.message.status).toBe('pending');

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await startServer(baseEnv(dataDir, { SEND_RATE_PER_MINUTE: '0' }));
    const deadline = Date.now() + 15_000;
    let outgoing: any[] = [];
    while (Date.now() < deadline && outgoing.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      outgoing = (
        await json('GET', `${second.url}/api/simulator/sessions/${sessionId}/outgoing`, undefined, token)
      ).body.data;
    }
    expect(outgoing).toEqual([
      expect.objectContaining({
        waMessageId: accepted.body.data.message.waMessageId,
        text: 'accepted before the crash',
      }),
    ]);
    const session = await json('GET', `${second.url}/api/whatsapp/sessions/${sessionId}`, undefined, token);
    expect(session.body.data.status).toBe('ready');
    const qr = await json('GET', `${second.url}/api/whatsapp/sessions/${sessionId}/qr`, undefined, token);
    expect(qr.body.data.qrCode).toBeNull();

    await new Promise((resolve) => setTimeout(resolve, 300));
    const messages = await json(
      'GET',
      `${second.url}/api/whatsapp/sessions/${sessionId}/chats/79991234567/messages`,
      undefined,
      token,
    );
    expect(messages.body.data).toEqual([
      expect.objectContaining({ status: 'sent', body: 'accepted before the crash' }),
    ]);
    expect(
      (await json('GET', `${second.url}/api/simulator/sessions/${sessionId}/outgoing`, undefined, token)).body
        .data,
    ).toHaveLength(1);
  });

  it('keeps tokens and data across a restart with the same DATA_DIR', async () => {
    const dataDir = tempDir('wa-process-data-');
    const email = `restart-${randomBytes(4).toString('hex')}@example.com`;
    const password = 'restart-password-1';

    const first = await startServer(baseEnv(dataDir));
    const registered = await json('POST', `${first.url}/api/auth/register`, {
      companyName: 'Restart Co',
      name: 'Ann Admin',
      email,
      password,
    });
    expect(registered.status).toBe(201);
    const { token, user, company } = registered.body.data;
    expect(await stop(first)).toEqual({ code: 0, signal: null });

    const second = await startServer(baseEnv(dataDir));
    const me = await json('GET', `${second.url}/api/auth/me`, undefined, token);
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({
      user: { id: user.id, email, role: 'admin' },
      company: { id: company.id, name: 'Restart Co' },
    });

    const login = await json('POST', `${second.url}/api/auth/login`, { email, password });
    expect(login.status).toBe(200);
    expect(login.body.data.user.id).toBe(user.id);

    const again = await json('POST', `${second.url}/api/auth/register`, {
      companyName: 'Other',
      name: 'Bob',
      email,
      password,
    });
    expect(again.status).toBe(409);

    expect(await stop(second)).toEqual({ code: 0, signal: null });
  });

  it('refuses to start in production without JWT_SECRET and ENCRYPTION_KEY, naming both', async () => {
    const dataDir = tempDir('wa-process-data-');
    const started = Date.now();
    const server = spawnServer(baseEnv(dataDir, { NODE_ENV: 'production' }));
    const { code } = await withTimeout(server.exited, 20_000, 'exit of a misconfigured server');

    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(server.stderr()).toContain('Invalid configuration');
    expect(server.stderr()).toContain('JWT_SECRET');
    expect(server.stderr()).toContain('ENCRYPTION_KEY');
    // A configuration message, not a crash.
    expect(server.stderr()).not.toMatch(/\n\s+at /);
    expect(server.logs.some((l) => /listening/i.test(l.msg ?? ''))).toBe(false);
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
  });

  it('lists every configuration problem on stderr at once', async () => {
    const dataDir = tempDir('wa-process-data-');
    const server = spawnServer(baseEnv(dataDir, { PORT: 'abc', WA_ENGINE: 'foo' }));
    const { code } = await withTimeout(server.exited, 20_000, 'exit of a misconfigured server');
    expect(code).toBe(1);
    expect(server.stderr()).toContain('PORT');
    expect(server.stderr()).toContain('WA_ENGINE');
  });

  it('finishes a request that is in flight when SIGTERM arrives, then exits 0', async () => {
    const dataDir = tempDir('wa-process-data-');
    // A costly password hash (about two seconds) keeps the register request in flight. A shorter
    // shutdown allowance than the default 15 s keeps a failure quick and unambiguous.
    const server = await startServer(baseEnv(dataDir, { PASSWORD_HASH_COST: '18', SHUTDOWN_TIMEOUT: '8' }));

    // An ordinary HTTP/1.1 client: fetch keeps the connection alive for reuse, as browsers do.
    const pending = json('POST', `${server.url}/api/auth/register`, {
      companyName: 'In Flight Co',
      name: 'Ann Admin',
      email: `inflight-${randomBytes(4).toString('hex')}@example.com`,
      password: 'in-flight-password-1',
    });
    pending.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    const incoming = await server.waitForLog(
      (l) =>
        l.msg === 'incoming request' && (l.req as { url?: string } | undefined)?.url === '/api/auth/register',
      10_000,
    );
    server.child.kill('SIGTERM');

    const res = await pending;
    expect(res.status).toBe(201);
    expect(res.body.data.token).toEqual(expect.any(String));

    const { code, signal } = await withTimeout(server.exited, EXIT_TIMEOUT_MS, 'exit after SIGTERM');
    const messages = server.logs.map((l) => l.msg);
    expect({ code, signal }, `log: ${messages.join(' | ')}`).toEqual({ code: 0, signal: null });

    // The shutdown began while the request was still being handled, and ended after it.
    const shuttingDown = messages.indexOf('shutting down');
    const completed = server.logs.findIndex(
      (l) => l.msg === 'request completed' && l.requestId === incoming.requestId,
    );
    expect(incoming.requestId).toEqual(expect.any(String));
    expect(shuttingDown).toBeGreaterThanOrEqual(0);
    expect(completed).toBeGreaterThan(shuttingDown);
    expect(messages.indexOf('shutdown complete')).toBeGreaterThan(completed);
  });
});
