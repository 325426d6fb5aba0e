import { request } from 'node:http';
import type { AddressInfo } from 'node:net';

import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { isTransientDbError } from '../../src/db/errors.js';
import { call, givenCompany, givenSession } from '../support/factories.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

/**
 * The database failing for real under the running app: its connections terminated by the server,
 * the network to it cut, a crashed instance's leases left behind. PostgreSQL only (the embedded
 * database has no connections to lose); the answers that hold on both run on both.
 */
const provided = inject('database');
const onPostgres = provided.kind === 'postgres';

let app: TestApp;
let proxy: TcpProxy | null = null;

beforeAll(async () => {
  if (onPostgres) {
    const target = new URL(provided.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  }
  app = await createTestApp(
    { AUTH_RATE_LIMIT_PER_MINUTE: '100000', SEND_RATE_PER_MINUTE: '0', SESSION_LEASE_TTL: '3s' },
    { connectVia: (url) => proxy?.url(url) ?? url },
  );
});
afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await app.close();
  await proxy?.close();
});

/** Terminates the service's own connections to its test database, as a server restart would. */
async function terminateBackends(): Promise<number> {
  const admin = new pg.Client({ connectionString: (provided as { url: string }).url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>(
      `select pg_terminate_backend(pid) as pid from pg_stat_activity
        where datname = $1 and pid <> pg_backend_pid()`,
      [app.databaseName],
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('answers that hold on every database', () => {
  it('answers a path that climbs out of a static root with 4xx in the envelope, not 500', async () => {
    // Sent as raw bytes over a socket: URL parsers (fetch, inject) would resolve the dots first.
    await app.http.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.http.server.address() as AddressInfo;
    for (const path of ['/docs/static/%2e%2e/', '/docs/static/%2e%2e/%2e%2e/package.json']) {
      const res = await rawGet(port, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(JSON.parse(res.body), path).toMatchObject({
        success: false,
        error: { code: expect.any(String) },
      });
    }
  });

  it('tells the client when to try again while a session is not connected', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/disconnect`, { token: company.token });
    const res = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/chats/79991234567/send`, {
      token: company.token,
      body: { message: 'to a disconnected number' },
    });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('SESSION_NOT_READY');
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe.runIf(onPostgres)('PostgreSQL failing under the running service', () => {
  it('a connection terminated inside a transaction fails that transaction only; the process lives on', async () => {
    const failure = await app.database.db
      .transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        // The server ends this very connection between two statements of the transaction.
        await terminateBackends();
        await new Promise((resolve) => setTimeout(resolve, 200));
        await tx.execute(sql`select 1`);
      })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(failure).not.toBeNull();
    expect(isTransientDbError(failure)).toBe(true);
    // The pool replaced the broken connection: the next statement simply works.
    const res = await call(app, 'GET', '/api/health');
    expect(res.status).toBe(200);
  });

  it('connections terminated under sends and a history import: no 500, nothing accepted lost, all sent once', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company, { phoneNumber: '79990000077' });
    const base = `/api/whatsapp/sessions/${session.id}`;
    const history = call(app, 'POST', `/api/simulator/sessions/${session.id}/history`, {
      token: company.token,
      body: { chats: 20, messagesPerChat: 50 },
    });
    const accepted = new Map<string, string>();
    const statuses: number[] = [];
    const sends = (async () => {
      for (let i = 0; i < 40; i++) {
        const key = `fault-${i}`;
        // A client retries with the same key until the service accepts, as the contract asks.
        for (let attempt = 0; attempt < 50; attempt++) {
          const res = await call(app, 'POST', `${base}/chats/79991230000/send`, {
            token: company.token,
            headers: { 'idempotency-key': key },
            body: { message: `message ${i}` },
          });
          statuses.push(res.status);
          if (res.status === 201 || res.status === 200) {
            accepted.set(key, res.body.data.message.waMessageId);
            break;
          }
          expect(res.status).toBe(503);
          expect(res.headers['retry-after']).toBeDefined();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    })();
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await terminateBackends();
    }
    await sends;
    const imported = await history;
    expect(statuses).not.toContain(500);
    expect([200, 202, 503]).toContain(imported.status);
    expect(accepted.size).toBe(40);

    const outgoing = await waitFor(
      'every accepted message to reach the network',
      async () => {
        const res = await call(app, 'GET', `/api/simulator/sessions/${session.id}/outgoing`, {
          token: company.token,
        });
        return res.status === 200 && res.body.data.length >= 40 ? res.body.data : null;
      },
      20_000,
    );
    const ids = outgoing.map((o: { waMessageId: string }) => o.waMessageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(accepted.values()));
  });

  it('a database out of reach answers 503 with Retry-After, and everything answers again when it is back', async () => {
    const company = await givenCompany(app);
    await proxy!.cut();
    try {
      const list = await call(app, 'GET', '/api/whatsapp/sessions', { token: company.token });
      expect(list.status).toBe(503);
      expect(list.headers['retry-after']).toBe('5');
      expect(list.body.error.code).toBe('DATABASE_UNAVAILABLE');
      const health = await call(app, 'GET', '/api/health');
      expect(health.status).toBe(503);
    } finally {
      await proxy!.restore();
    }
    const back = await waitFor('the database to answer again', async () => {
      const res = await call(app, 'GET', '/api/whatsapp/sessions', { token: company.token });
      return res.status === 200 ? res : null;
    });
    expect(back.body.success).toBe(true);
  });

  it('a session whose lease a crashed instance still holds is taken over when the lease expires, with nobody asking', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company, { phoneNumber: '79990000088' });
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { offline: true },
    });
    const accepted = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/chats/79991234567/send`, {
      token: company.token,
      body: { message: 'accepted before the crash' },
    });
    expect(accepted.status).toBe(201);

    // The instance that ran it died without a word: its lease stays in the table until it expires.
    app = await app.restart({
      beforeStart: async () => {
        await app.database.db.execute(sql`
          insert into session_leases (session_id, holder, expires_at)
          values (${session.id}, 'crashed-instance', now() + interval '2 seconds')
          on conflict (session_id) do update set holder = excluded.holder, expires_at = excluded.expires_at`);
      },
    });

    // Until then the session runs nowhere, yet it takes messages: they wait as pending.
    const meanwhile = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/chats/79991234567/send`, {
      token: company.token,
      body: { message: 'accepted while the lease runs out' },
    });
    expect(meanwhile.status).toBe(201);
    expect(meanwhile.body.data.message.status).toBe('pending');

    const out = await waitFor(
      'the pending messages to go out once the session is taken over',
      async () => {
        const res = await call(app, 'GET', `/api/simulator/sessions/${session.id}/outgoing`, {
          token: company.token,
        });
        return res.status === 200 && res.body.data.length >= 2 ? res.body.data : null;
      },
      10_000,
    );
    expect(out.map((o: { waMessageId: string }) => o.waMessageId)).toEqual([
      accepted.body.data.message.waMessageId,
      meanwhile.body.data.message.waMessageId,
    ]);
    const shown = await call(app, 'GET', `/api/whatsapp/sessions/${session.id}`, { token: company.token });
    expect(shown.body.data.status).toBe('ready');
  });
});
