import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { call, type Client, is2xx, Observations } from './http.js';
import { freePort } from './ports.js';
import type { PrivateCluster } from './postgres.js';
import { type Exit, type ServerProcess, sleep, spawnServer } from './server.js';
import type { Target } from './traffic.js';

/** Fixed secrets: tokens and encrypted credentials stay valid across restarts. */
const JWT_SECRET = 'fault-suite-jwt-secret-0123456789abcdefghijklmnop';
const ENCRYPTION_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
export const LEASE_TTL_MS = 10_000;

export interface UnexpectedExit extends Exit {
  /** The last error-level log line, or stderr's end: why it exited. */
  reason: string;
}

/**
 * One case's service: its own database on the private cluster, DATA_DIR and port, and the server
 * process (restarted on the same port and DATA_DIR). With `supervise`, an exit nobody asked for is
 * recorded and the server started again at once, as a process manager would.
 */
export class Deployment {
  readonly base: string;
  server: ServerProcess | null = null;
  readonly unexpectedExits: UnexpectedExit[] = [];
  readonly servers: ServerProcess[] = [];
  supervise = false;
  /** Node options for every server process of this deployment (a test preload). */
  nodeArgs: string[] = [];
  private expecting = new WeakSet<ServerProcess>();

  private constructor(
    readonly database: string,
    readonly port: number,
    readonly dataDir: string,
    readonly env: Record<string, string>,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  static async create(
    cluster: PrivateCluster,
    name: string,
    extraEnv: Record<string, string> = {},
  ): Promise<Deployment> {
    const database = `fault_${name}_${randomBytes(3).toString('hex')}`;
    await cluster.createDatabase(database);
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-fault-data-'));
    return new Deployment(database, port, dataDir, {
      DATABASE_URL: cluster.url(database),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      WA_ENGINE: 'simulator',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      JWT_SECRET,
      ENCRYPTION_KEY,
      SEND_RATE_PER_MINUTE: '0',
      SESSION_LEASE_TTL: `${LEASE_TTL_MS / 1000}s`,
      PASSWORD_HASH_COST: '10',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      ...extraEnv,
    });
  }

  /** Starts a server process (without waiting for it to listen). */
  spawn(): ServerProcess {
    const server = spawnServer(this.env, this.nodeArgs);
    this.server = server;
    this.servers.push(server);
    void server.exited.then((exit) => {
      if (this.expecting.has(server)) {
        return;
      }
      const lastError = [...server.logs].reverse().find((l) => (l.level ?? 0) >= 50);
      const reason = lastError
        ? `${lastError.msg ?? ''} ${JSON.stringify((lastError.err as { message?: string })?.message ?? '')}`
        : server.stderr().trim().split('\n').slice(0, 3).join(' | ');
      this.unexpectedExits.push({ ...exit, reason });
      if (this.supervise && this.server === server) {
        // As a process manager would, after a second.
        setTimeout(() => {
          if (this.supervise && this.server === server) {
            this.spawn();
          }
        }, 1000);
      }
    });
    return server;
  }

  async start(timeoutMs = 30_000): Promise<ServerProcess> {
    const server = this.spawn();
    await server.waitForLog((l) => /^Server listening at http:\/\//.test(l.msg ?? ''), timeoutMs);
    return server;
  }

  /** Kills the current server with `signal`, as expected, and waits for the exit. */
  async kill(signal: NodeJS.Signals): Promise<Exit> {
    const server = this.server!;
    this.expecting.add(server);
    server.child.kill(signal);
    return server.exited;
  }

  async stop(): Promise<void> {
    this.supervise = false;
    const server = this.server;
    if (server && !server.exit()) {
      this.expecting.add(server);
      await server.stop();
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The session's status as the service reports it now, or what kept it from answering. */
  async sessionStatus(target: Target): Promise<string> {
    const o = await call(
      { ...target.client, observations: null },
      'GET',
      `/api/whatsapp/sessions/${target.sessionId}`,
    );
    return is2xx(o) ? String(o.body.data.status) : (o.failure ?? String(o.status));
  }

  /** Log lines of every process of this deployment. */
  logs() {
    return this.servers.flatMap((s) => s.logs);
  }

  /** A company, a session linked by the simulated phone and ready, and a client for its admin. */
  async linkedSession(tag: string): Promise<Target & { token: string }> {
    const anonymous: Client = { base: this.base, token: null, observations: null };
    const registered = await call(anonymous, 'POST', '/api/auth/register', {
      body: {
        companyName: `Fault ${tag}`,
        name: 'Fault Admin',
        email: `fault-${tag}-${randomBytes(3).toString('hex')}@example.com`,
        password: 'fault-password-1',
      },
    });
    if (!is2xx(registered)) {
      throw new Error(`register answered ${registered.status ?? registered.failure}`);
    }
    const token = registered.body.data.token as string;
    const admin: Client = { base: this.base, token, observations: null };
    const created = await call(admin, 'POST', '/api/whatsapp/sessions', { body: {} });
    if (!is2xx(created)) {
      throw new Error(`session create answered ${created.status ?? created.failure}`);
    }
    const sessionId = created.body.data.id as string;
    const scanned = await call(admin, 'POST', `/api/simulator/sessions/${sessionId}/scan`, {
      body: { phoneNumber: '79990000001' },
    });
    if (!is2xx(scanned)) {
      throw new Error(`scan answered ${scanned.status ?? scanned.failure}`);
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const session = await call(admin, 'GET', `/api/whatsapp/sessions/${sessionId}`);
      if (session.body?.data?.status === 'ready') {
        return {
          client: { base: this.base, token, observations: new Observations() },
          sessionId,
          tag,
          token,
        };
      }
      await sleep(100);
    }
    throw new Error('the session did not become ready after the scan');
  }
}
