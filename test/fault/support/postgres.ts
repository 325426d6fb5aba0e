import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

import { freePort } from './ports.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of our own in a temporary directory, so that it can be stopped and started
 * under a running server. The shared server on 5432 is never touched.
 */
export interface PrivateCluster {
  port: number;
  /** A connection URL to `database` on this cluster. */
  url(database: string): string;
  running(): boolean;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: open connections are closed, as when a database server goes down. */
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
  /** Terminates every connection to `database` (but the one asking); returns how many. */
  terminateBackends(database: string): Promise<number>;
  /** Stops the cluster if it runs, then removes its directory. */
  destroy(): Promise<void>;
}

/** The directory of PostgreSQL's server binaries: next to `initdb` in PATH, or the newest installed. */
function binDir(): string {
  for (const dir of ['/usr/local/bin', ...(process.env.PATH ?? '').split(':')]) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) {
      return dir;
    }
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) {
      return join(root, versions[0], 'bin');
    }
  }
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) were not found');
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root). */
async function pgRun(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    const { stdout, stderr } = await run(file, argv, { timeout: timeoutMs });
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${bin} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
      cause: err,
    });
  }
}

export async function createPrivateCluster(): Promise<PrivateCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'wa-fault-pg-'));
  if (asRoot) {
    chownSync(dir, uid('postgres'), gid('postgres'));
  }
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  const port = await freePort();
  let up = false;

  await pgRun(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);

  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url('postgres') });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;

  const cluster: PrivateCluster = {
    port,
    url,
    running: () => up,
    async start() {
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
      try {
        await pgRun(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', log, '-w', '-t', '30', 'start']);
      } catch (err) {
        const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
        throw new Error(`${(err as Error).message}\nserver log:\n${tail}`, { cause: err });
      }
      up = true;
    },
    async stop() {
      await pgRun(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
      up = false;
    },
    async createDatabase(name) {
      await admin((c) => c.query(`create database "${name}"`));
    },
    async terminateBackends(database) {
      return admin(async (c) => {
        const { rows } = await c.query<{ terminated: boolean }>(
          `select pg_terminate_backend(pid) as terminated from pg_stat_activity
            where datname = $1 and pid <> pg_backend_pid()`,
          [database],
        );
        return rows.filter((r) => r.terminated).length;
      });
    },
    async destroy() {
      if (up) {
        await cluster.stop().catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

function idOf(file: string, name: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) {
    throw new Error(`no '${name}' in ${file}: create the user to run PostgreSQL as root`);
  }
  return Number(line.split(':')[2]);
}

const uid = (name: string) => idOf('/etc/passwd', name);
const gid = (name: string) => idOf('/etc/group', name);
