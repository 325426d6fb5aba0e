import { randomBytes } from 'node:crypto';

import autocannon from 'autocannon';
import pg from 'pg';

import { newWaMessageId } from '../../src/modules/engine/message-id.js';
import { newId } from '../../src/shared/ids.js';
import { api, startServer } from '../lib/server.js';
import { setUpTenant, type Tenant } from '../lib/tenant.js';
import { type Check, type Metric, percentiles, round, type Scenario } from '../lib/types.js';

/** Requests in flight at once: a busy team's worth of agents pressing Send. */
const CONCURRENCY = 16;
/** The service's default DATABASE_POOL_SIZE, set explicitly; the baseline's pool has the same size. */
const POOL_SIZE = 10;

interface SendRun {
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  acceptMs: number;
  deliverMs: number;
  latency: ReturnType<typeof percentiles>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `n` POST …/send through autocannon, CONCURRENCY in flight; returns the accepted message ids. */
async function fireSends(
  url: string,
  tenant: Tenant,
  chatIds: string[],
  label: string,
  n: number,
): Promise<{ ids: string[]; lastAcceptedAt: number; latencies: number[] }> {
  let next = 0;
  let lastAcceptedAt = 0;
  const ids: string[] = [];
  const failures: string[] = [];
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONCURRENCY,
        amount: n,
        timeout: 60,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              const i = next++;
              return {
                ...request,
                path: `/api/whatsapp/sessions/${tenant.sessionId}/chats/${chatIds[i % chatIds.length]}/send`,
                headers: {
                  authorization: `Bearer ${tenant.manager.token}`,
                  'content-type': 'application/json',
                  'idempotency-key': `${label}-${i}`,
                },
                body: JSON.stringify({ message: `${label} message ${i}: your order has shipped` }),
              };
            },
            onResponse: (status, body) => {
              if (status === 201) {
                lastAcceptedAt = Date.now();
                ids.push((JSON.parse(body) as { data: { message: { id: string } } }).data.message.id);
              } else {
                failures.push(`${status} ${body.slice(0, 200)}`);
              }
            },
          },
        ],
      },
      (err: unknown, res) =>
        err ? reject(err instanceof Error ? err : new Error('autocannon failed')) : resolve(res),
    );
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
  if (failures.length > 0 || result.errors > 0 || ids.length !== n) {
    throw new Error(
      `sending: ${ids.length} of ${n} accepted, ${result.errors} errors, first failures: ${failures.slice(0, 3).join('; ')}`,
    );
  }
  return { ids, lastAcceptedAt, latencies };
}

/** Waits until the session has nothing pending (the sender drained the queue). */
async function drained(client: pg.Client, sessionId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from messages where session_id = $1 and status = 'pending'`,
      [sessionId],
    );
    if (rows[0]!.n === '0') {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`sending: ${rows[0]!.n} messages still pending after ${timeoutMs / 1000} s`);
    }
    await sleep(20);
  }
}

/**
 * The baseline: the same number of plain INSERTs of the rows a send stores (pending, with a
 * WhatsApp id chosen up front), CONCURRENCY at once through a node-postgres Pool of POOL_SIZE.
 * What any durable acceptance must at least do; no HTTP, no rights check, no transaction, no
 * idempotency record, no audit entry, no chat update, no delivery.
 */
async function plainInserts(databaseUrl: string, tenant: Tenant, chatIds: string[], n: number) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const label = `baseline-${randomBytes(3).toString('hex')}`;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      await pool.query(
        `insert into messages (id, session_id, company_id, chat_id, wa_message_id, from_me, type, body,
                               timestamp, status, sent_by_user_id)
         values ($1, $2, $3, $4, $5, true, 'text', $6, $7, 'pending', $8) returning *`,
        [
          newId(),
          tenant.sessionId,
          tenant.companyId,
          chatIds[i % chatIds.length],
          newWaMessageId(),
          `${label} message ${i}: your order has shipped`,
          new Date(),
          tenant.manager.userId,
        ],
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ms = performance.now() - started;
  // They were never meant to be sent: out of the way before the next subject run.
  await pool.query(`delete from messages where session_id = $1 and body like $2`, [
    tenant.sessionId,
    `${label} %`,
  ]);
  await pool.end();
  return { perSecond: n / (ms / 1000), ms };
}

export const sending: Scenario = {
  name: 'sending',
  databases: ['postgres'],
  async run({ databaseUrl, quick, repeats, log }) {
    if (!databaseUrl) {
      throw new Error('sending needs PostgreSQL');
    }
    const n = quick ? 1_000 : 10_000;
    const chatCount = quick ? 20 : 100;
    const runs = quick ? 1 : repeats;
    const server = await startServer(databaseUrl, {
      SEND_RATE_PER_MINUTE: '0',
      DATABASE_POOL_SIZE: String(POOL_SIZE),
    });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const tenant = await setUpTenant(server.url, 'Sending', {
        canRead: true,
        canWrite: true,
        canManageChats: false,
      });
      // The customers write first, as they do: each chat exists before the agents answer.
      for (let c = 0; c < chatCount; c += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, chatCount - c) }, (_, k) =>
            api(server.url, 'POST', `/api/simulator/sessions/${tenant.sessionId}/incoming`, {
              token: tenant.admin.token,
              body: {
                from: `7901${String(c + k).padStart(7, '0')}`,
                pushName: `Customer ${c + k + 1}`,
                text: 'Where is my order?',
              },
            }),
          ),
        );
      }
      const chats = await api<{ id: string }[]>(
        server.url,
        'GET',
        `/api/whatsapp/sessions/${tenant.sessionId}/chats?limit=200`,
        { token: tenant.manager.token },
      );
      const chatIds = chats.map((c) => c.id);
      if (chatIds.length !== chatCount) {
        throw new Error(`sending: expected ${chatCount} chats, found ${chatIds.length}`);
      }
      log(`${n} sends over ${chatCount} chats, ${CONCURRENCY} in flight, pacing off`);

      const subject: SendRun[] = [];
      const baseline: { perSecond: number; ms: number }[] = [];
      const lost: number[] = [];
      const doubled: number[] = [];
      const unsent: number[] = [];
      for (let r = 0; r < runs; r++) {
        const label = `run${r}-${randomBytes(3).toString('hex')}`;
        const startedAt = Date.now();
        const { ids, lastAcceptedAt, latencies } = await fireSends(server.url, tenant, chatIds, label, n);
        await drained(client, tenant.sessionId, 600_000);

        // What the network received: each of this run's messages, once.
        const outgoing = (
          await api<{ waMessageId: string; text: string; at: string }[]>(
            server.url,
            'GET',
            `/api/simulator/sessions/${tenant.sessionId}/outgoing`,
            { token: tenant.admin.token },
          )
        ).filter((o) => o.text.startsWith(`${label} `));
        const { rows } = await client.query<{ id: string; wa_message_id: string; status: string }>(
          `select id, wa_message_id, status from messages where session_id = $1 and body like $2`,
          [tenant.sessionId, `${label} %`],
        );
        // Lost: an accepted message that is not stored, or that the network never received.
        const networkIds = new Set(outgoing.map((o) => o.waMessageId));
        const waIdOf = new Map(rows.map((m) => [m.id, m.wa_message_id]));
        const accepted = new Set(ids);
        const arrived = [...accepted].filter((id) => networkIds.has(waIdOf.get(id) ?? '')).length;
        lost.push(n - arrived);
        // Doubled: the network received one more than once, or more was stored than accepted.
        doubled.push(outgoing.length - networkIds.size + Math.max(0, rows.length - accepted.size));
        unsent.push(rows.filter((m) => !['sent', 'delivered', 'read', 'played'].includes(m.status)).length);
        const lastDeliveredAt = Math.max(...outgoing.map((o) => Date.parse(o.at)));
        const run: SendRun = {
          acceptMs: lastAcceptedAt - startedAt,
          deliverMs: lastDeliveredAt - startedAt,
          acceptedPerSecond: n / ((lastAcceptedAt - startedAt) / 1000),
          deliveredPerSecond: n / ((lastDeliveredAt - startedAt) / 1000),
          latency: percentiles(latencies),
        };
        subject.push(run);
        log(
          `run ${r + 1}: accepted ${round(run.acceptedPerSecond)}/s (${round(run.acceptMs)} ms), delivered ${round(run.deliveredPerSecond)}/s (${round(run.deliverMs)} ms); network got ${outgoing.length}, distinct ${networkIds.size}`,
        );
        const base = await plainInserts(databaseUrl, tenant, chatIds, n);
        baseline.push(base);
        log(`baseline ${r + 1}: ${round(base.perSecond)} inserts/s (${round(base.ms)} ms)`);
      }

      const best = subject.reduce((a, b) => (b.deliveredPerSecond > a.deliveredPerSecond ? b : a));
      const bestAccept = Math.max(...subject.map((s) => s.acceptedPerSecond));
      const bestBase = Math.max(...baseline.map((b) => b.perSecond));
      const metrics: Metric[] = [
        { name: 'sends accepted (201)', unit: 'msg/s', value: bestAccept, baseline: bestBase },
        {
          name: 'sends delivered (network received)',
          unit: 'msg/s',
          value: best.deliveredPerSecond,
          baseline: bestBase,
        },
        { name: 'send request p50', unit: 'ms', value: best.latency.p50, baseline: null },
        { name: 'send request p99', unit: 'ms', value: best.latency.p99, baseline: null },
      ];
      const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const checks: Check[] = [
        {
          target: `none lost: ${n} accepted, stored and received by the network`,
          actual: `${total(lost)} lost`,
          pass: total(lost) === 0,
        },
        {
          target: 'none doubled: the network received each message once',
          actual: `${total(doubled)} doubled`,
          pass: total(doubled) === 0,
        },
        {
          target: 'every accepted message sent',
          actual: `${total(unsent)} not sent`,
          pass: total(unsent) === 0,
        },
      ];
      return {
        scenario: 'sending',
        size: { sends: n, chats: chatCount, 'in flight': CONCURRENCY, runs },
        baseline: `${n} plain INSERTs of the same message rows (pending, WhatsApp id chosen up front), ${CONCURRENCY} at once through a node-postgres Pool of ${POOL_SIZE}: the least a durable acceptance does`,
        metrics,
        checks,
        notes: [
          `subject: node dist/main.js, SEND_RATE_PER_MINUTE=0 (pacing off), simulator engine; a manager with canWrite sends through POST …/chats/{chatId}/send with an Idempotency-Key, ${CONCURRENCY} requests in flight (autocannon)`,
          'accepted: from the first request to the last 201; delivered: to the last message the simulated network received (its outgoing log), all stored messages then checked sent',
          `runs (accepted/s, delivered/s): ${subject.map((s) => `${round(s.acceptedPerSecond)}, ${round(s.deliveredPerSecond)}`).join('; ')}; baseline inserts/s: ${baseline.map((b) => round(b.perSecond)).join(', ')}`,
        ],
      };
    } finally {
      await client.end();
      await server.stop();
    }
  },
};
