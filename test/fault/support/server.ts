import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { onJsonLines } from '../../support/json-lines.js';

/**
 * The built server (`npm run build` → `node dist/main.js`) as a child process, as it runs in
 * production: JSON log lines on stdout are parsed and kept, stderr is kept as text.
 */

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const builtMain = join(repoRoot, 'dist', 'main.js');

export interface LogLine {
  level?: number;
  msg?: string;
  time?: number;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When it exited (Date.now()). */
  at: number;
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  startedAt: number;
  logs: LogLine[];
  stderr(): string;
  /** Set once the process has exited. */
  exit(): Exit | null;
  exited: Promise<Exit>;
  /** The first log line (seen already or to come) that matches; rejects on timeout or exit. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<Exit>;
}

const children = new Set<ChildProcess>();

export function assertBuilt(): void {
  if (!existsSync(builtMain)) {
    throw new Error(`${builtMain} does not exist: run \`npm run build\` before the fault suite`);
  }
}

/** `nodeArgs` go before the script, e.g. `['--import', preload]`. */
export function spawnServer(env: Record<string, string>, nodeArgs: string[] = []): ServerProcess {
  // A working directory of its own, so no stray .env is read.
  const cwd = mkdtempSync(join(tmpdir(), 'wa-fault-cwd-'));
  const child = spawn(process.execPath, ['--enable-source-maps', ...nodeArgs, builtMain], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const startedAt = Date.now();
  const logs: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let stderr = '';
  let exit: Exit | null = null;

  onJsonLines<LogLine>(child.stdout, (line) => {
    logs.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      exit = { code, signal, at: Date.now() };
      rmSync(cwd, { recursive: true, force: true });
      resolve(exit);
    });
  });

  const describe = () =>
    `log (last 15 lines):\n${logs
      .slice(-15)
      .map((l) => JSON.stringify(l))
      .join('\n')}\nstderr:\n${stderr.slice(-3000)}`;

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs: number) => {
    const seen = logs.find(match);
    if (seen) {
      return Promise.resolve(seen);
    }
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching log line within ${timeoutMs} ms\n${describe()}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then((e) => {
        if (waiters.delete(waiter)) {
          clearTimeout(timer);
          reject(new Error(`the server exited (code ${e.code}, signal ${e.signal})\n${describe()}`));
        }
      });
    });
  };

  return {
    child,
    pid: child.pid!,
    startedAt,
    logs,
    stderr: () => stderr,
    exit: () => exit,
    exited,
    waitForLog,
    async stop(graceMs = 10_000) {
      if (exit) {
        return exit;
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Kills every server this file started that is still running. */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }),
  );
}

/** Polls GET /api/health until it answers 200; returns when, or null after `timeoutMs`. */
export async function waitHealthy(
  base: string,
  timeoutMs: number,
  server?: ServerProcess,
): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exit()) {
      return null;
    }
    try {
      const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        return Date.now();
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return null;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
