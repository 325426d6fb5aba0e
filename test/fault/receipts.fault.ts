import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Account } from '../wa-server/accounts.js';
import { WaServer } from '../wa-server/server.js';
import { Deployment } from './support/deployment.js';
import { call, type Client, is2xx } from './support/http.js';
import { createPrivateCluster, type PrivateCluster } from './support/postgres.js';
import { type CaseResult, formatTable } from './support/report.js';
import { assertBuilt, killAllServers, repoRoot, sleep } from './support/server.js';

/**
 * No message is lost at the delivery receipt. The built server runs the real engine (Baileys,
 * patched to store a message before it acknowledges it) against the WhatsApp server stand-in in
 * this process. Under a stream of messages from several contacts, the server process is killed
 * (SIGKILL) at the moment the stand-in sees a delivery receipt, again and again; a process manager
 * starts it again. Every message the stand-in got a receipt for must be stored, the rest must
 * arrive by redelivery, and none twice.
 */

const MESSAGES = 1000;
const CONTACTS = 5;
/** Kill at these delivery receipts (counted from the first). */
const KILL_AT = new Set([60, 170, 290, 400, 520, 640, 760, 880]);
const PRELOAD = join(repoRoot, 'test', 'wa-server', 'trust.mjs');

let cluster: PrivateCluster;
let standin: WaServer;
const results: CaseResult[] = [];

beforeAll(async () => {
  assertBuilt();
  cluster = await createPrivateCluster();
  // The server process trusts the stand-in's root through its preload, not through this process.
  standin = await WaServer.start({ trust: false });
}, 60_000);

afterAll(async () => {
  await killAllServers();
  await standin?.close();
  await cluster?.destroy();
  if (results.length > 0) {
    console.log(`\n${formatTable(results)}\n`);
  }
}, 60_000);

async function adminOf(deployment: Deployment): Promise<Client> {
  const registered = await call(
    { base: deployment.base, token: null, observations: null },
    'POST',
    '/api/auth/register',
    {
      body: {
        companyName: 'Receipts',
        name: 'Receipts Admin',
        email: `receipts-${randomBytes(3).toString('hex')}@example.com`,
        password: 'fault-password-1',
      },
    },
  );
  if (!is2xx(registered)) {
    throw new Error(`register answered ${registered.status ?? registered.failure}`);
  }
  return { base: deployment.base, token: registered.body.data.token as string, observations: null };
}

/** Creates a session and links `phone` by scanning the QR the service shows. */
async function link(admin: Client, phone: Account): Promise<string> {
  const created = await call(admin, 'POST', '/api/whatsapp/sessions', { body: { name: 'Receipts' } });
  const sessionId = created.body.data.id as string;
  let qr: string | null = null;
  for (const deadline = Date.now() + 20_000; !qr && Date.now() < deadline; await sleep(100)) {
    const res = await call(admin, 'GET', `/api/whatsapp/sessions/${sessionId}/qr`);
    qr = (res.body?.data?.qr as string | null) ?? null;
  }
  if (!qr) {
    throw new Error('no QR');
  }
  await standin.scan(qr, phone.pn);
  await untilReady(admin, sessionId);
  return sessionId;
}

async function untilReady(admin: Client, sessionId: string, timeoutMs = 30_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    const res = await call(admin, 'GET', `/api/whatsapp/sessions/${sessionId}`);
    if (res.body?.data?.status === 'ready') {
      return;
    }
  }
  throw new Error(`session ${sessionId} not ready`);
}

describe('delivery receipts and crashes, on the real engine', () => {
  it(`loses and doubles none of ${MESSAGES} messages through ${KILL_AT.size} kills at the receipt`, async () => {
    const deployment = await Deployment.create(cluster, 'receipts', {
      WA_ENGINE: 'baileys',
      WA_WEBSOCKET_URL: standin.url,
      SESSION_LEASE_TTL: '3s',
      RECONNECT_MIN_DELAY: '100ms',
      RECONNECT_MAX_DELAY: '500ms',
    });
    deployment.nodeArgs = ['--import', PRELOAD];
    await deployment.start();
    const admin = await adminOf(deployment);
    const shop = standin.addAccount({ pn: '15557000000', name: 'Receipts shop' });
    const contacts = Array.from({ length: CONTACTS }, (_, i) =>
      standin.addAccount({ pn: `1555701000${i}`, name: `Contact ${i}` }),
    );
    const sessionId = await link(admin, shop);

    // Kill at the receipt: synchronously in the stand-in's handler, before anything else runs.
    const receipted = new Set<string>();
    let deliveryReceipts = 0;
    let kills = 0;
    standin.on('receipt', (receipt) => {
      if (receipt.type === 'retry' || receipt.type === 'read' || receipt.type === 'peer_msg') {
        return;
      }
      for (const id of receipt.ids) {
        receipted.add(id);
      }
      deliveryReceipts++;
      if (KILL_AT.has(deliveryReceipts) && deployment.server && !deployment.server.exit()) {
        deployment.server.child.kill('SIGKILL');
        kills++;
      }
    });
    deployment.supervise = true; // a killed server is started again, as a process manager would

    const sent: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const from = contacts[i % CONTACTS]!;
      sent.push(await standin.deliver(from, shop, { conversation: `message ${i}` }, { id: `R${i}` }));
      if (i % 10 === 9) {
        await sleep(15);
      }
    }

    // Every message ends acknowledged (stored, then receipted), by redelivery where a kill came first.
    const companion = standin.companionOf(shop.pn)!;
    for (const deadline = Date.now() + 180_000; Date.now() < deadline; await sleep(250)) {
      if (sent.every((id) => !companion.unacknowledged.has(id))) {
        break;
      }
    }
    const unacknowledged = sent.filter((id) => companion.unacknowledged.has(id));
    deployment.supervise = false;

    const db = new pg.Client({ connectionString: cluster.url(deployment.database) });
    await db.connect();
    const { rows } = await db.query<{ wa_message_id: string; n: number }>(
      `select wa_message_id, count(*)::int as n from messages where session_id = $1 group by wa_message_id`,
      [sessionId],
    );
    await db.end();
    const stored = new Map(rows.map((r) => [r.wa_message_id, r.n]));
    const receiptedNotStored = [...receipted].filter((id) => sent.includes(id) && !stored.has(id));
    const lost = sent.filter((id) => !stored.has(id)).length;
    const doubled = rows.reduce((sum, r) => sum + (r.n - 1), 0);

    const problems = [
      ...(receiptedNotStored.length > 0 ? [`${receiptedNotStored.length} receipted but not stored`] : []),
      ...(unacknowledged.length > 0 ? [`${unacknowledged.length} never acknowledged`] : []),
      ...(lost + doubled > 0 ? [`${lost} lost, ${doubled} doubled`] : []),
    ];
    results.push({
      name: `kill at the receipt ×${kills} (real engine)`,
      messages: { incoming: MESSAGES, sends: 0 },
      lost,
      doubled,
      recoverMs: null,
      seen: '-',
      sockets: '-',
      problems,
      details: { kills, receipted: receipted.size, receiptedNotStored, unacknowledged },
    });
    await deployment.dispose();

    expect(kills).toBe(KILL_AT.size);
    expect(receiptedNotStored).toEqual([]);
    expect(unacknowledged).toEqual([]);
    expect({ lost, doubled }).toEqual({ lost: 0, doubled: 0 });
  }, 600_000);
});
