/**
 * The reading baseline: a bare Fastify server in a process of its own that answers `GET /<case>`
 * by running that case's SQL (text and values captured from the service's repositories) through
 * a node-postgres Pool and returning the rows as JSON. No authentication, no rights check, no
 * envelope, no Zod: what remains is HTTP, the pool, the query and JSON.
 *
 * Run as a program by `startBareReadServer` (node --import tsx this file); BARE_CONFIG holds the
 * JSON configuration, and `PUT /_cases` the statements (captured once the data is seeded).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import Fastify from 'fastify';
import pg from 'pg';

import type { CapturedQuery } from './capture-sql.js';

interface BareConfig {
  databaseUrl: string;
  poolSize: number;
}

export interface BareReadServer {
  url: string;
  pid: number;
  /** Sets what `GET /<case>` runs (before anything is timed; a control route, not a measured one). */
  setCases(cases: Record<string, CapturedQuery>): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function serve(config: BareConfig): Promise<void> {
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });
  pool.on('error', () => undefined);
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  let cases: Record<string, CapturedQuery> = {};
  app.put<{ Body: Record<string, CapturedQuery> }>('/_cases', (request, reply) => {
    cases = request.body;
    void reply.send({ cases: Object.keys(cases).length });
  });
  app.get<{ Params: { name: string } }>('/:name', async (request, reply) => {
    const query = cases[request.params.name];
    if (!query) {
      return reply.code(404).send({ error: 'no such case' });
    }
    const { rows } = await pool.query({ text: query.text, values: query.values });
    return rows;
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`listening ${address}\n`);
  process.once('SIGTERM', () => {
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0));
  });
}

/** Starts the baseline server on a pool of `poolSize`; `setCases` then says what each case runs. */
export async function startBareReadServer(databaseUrl: string, poolSize: number): Promise<BareReadServer> {
  const config: BareConfig = { databaseUrl, poolSize };
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', BARE_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baseline server did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`baseline server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    async setCases(cases) {
      const res = await fetch(`${url}/_cases`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(cases),
      });
      if (!res.ok) {
        throw new Error(`baseline server refused its cases: ${res.status} ${await res.text()}`);
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

if (process.env.BARE_CONFIG && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  serve(JSON.parse(process.env.BARE_CONFIG) as BareConfig).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
