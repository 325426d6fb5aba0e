import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { type AuthenticationState, Curve, initAuthCreds, makeWASocket, WA_CERT_DETAILS } from 'baileys';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { waitFor } from '../support/wait.js';
import { STANDIN_ROOT } from './certs.js';
import { WaServer } from './server.js';
import { trustWhatsAppOnly } from './trust.js';

/**
 * Baileys checks the certificate chain the server presents in the Noise handshake, and the
 * phone's signature over a new device (both restored by patches/baileys+7.0.0-rc14.patch). The
 * bare client, against the stand-in, accepts only what was signed by keys it trusts.
 */

const repoRoot = new URL('../../', import.meta.url);

/** Auth for a fresh device; these tests end before any Signal key is stored. */
const freshAuth = (): AuthenticationState => ({
  creds: initAuthCreds(),
  keys: { get: () => Promise.resolve({}), set: () => Promise.resolve() },
});

interface Client {
  qrs: string[];
  /** Every `me` the client wrote into its credentials (set only by a pairing it accepted). */
  me: unknown[];
  /** Why the connection closed, once it has. */
  closedWith: Error | undefined;
  end(): Promise<void>;
}

let servers: WaServer[] = [];
let clients: Client[] = [];

async function startServer(options: Parameters<typeof WaServer.start>[0] = {}): Promise<WaServer> {
  const server = await WaServer.start(options);
  servers.push(server);
  return server;
}

function connect(server: WaServer): Client {
  const auth = freshAuth();
  const sock = makeWASocket({
    auth,
    waWebSocketUrl: server.url,
    logger: pino({ level: process.env.WA_TEST_LOG ?? 'silent' }),
    markOnlineOnConnect: false,
  });
  const client: Client = { qrs: [], me: [], closedWith: undefined, end: () => sock.end(undefined) };
  sock.ev.on('creds.update', (update) => {
    Object.assign(auth.creds, update);
    if (update.me) {
      client.me.push(update.me);
    }
  });
  sock.ev.on('connection.update', (update) => {
    if (update.qr) {
      client.qrs.push(update.qr);
    }
    if (update.connection === 'close') {
      client.closedWith = update.lastDisconnect?.error ?? new Error('closed without a reason');
    }
  });
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.map((client) => client.end()));
  await Promise.all(servers.map((server) => server.close()));
  clients = [];
  servers = [];
});

describe('the Noise certificate chain', () => {
  it('is accepted when it is signed by the root the client trusts', async () => {
    const server = await startServer();
    const client = connect(server);
    await waitFor('a QR', () => client.qrs.length > 0);
    expect(client.closedWith).toBeUndefined();
  });

  it('is refused when another root signed it', async () => {
    const server = await startServer({ certRoot: Curve.generateKeyPair() });
    const registrations: string[][] = [];
    server.on('qr', (refs) => registrations.push(refs));
    const client = connect(server);
    const reason = await waitFor('the client to close', () => client.closedWith);
    expect(reason.message).toBe('noise intermediate certificate signature invalid');
    // The client stopped before it sent its own payload: the server never saw a registration.
    expect(registrations).toEqual([]);
    expect(client.qrs).toEqual([]);
  });

  it("is refused when it is the stand-in's and the client trusts WhatsApp's root only", async () => {
    const server = await startServer({ trust: false });
    trustWhatsAppOnly();
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(STANDIN_ROOT.public)).toBe(false);
    const client = connect(server);
    const reason = await waitFor('the client to close', () => client.closedWith);
    expect(reason.message).toBe('noise intermediate certificate signature invalid');
    expect(client.qrs).toEqual([]);
  });
});

describe("the phone's signature over a new device", () => {
  it('links the device when the account key signed it', async () => {
    const server = await startServer();
    const phone = server.addAccount({ pn: '15550009001', name: 'Shop' });
    const client = connect(server);
    await waitFor('a QR', () => client.qrs.length > 0);
    const companion = await server.scan(client.qrs[0]!, phone.pn);
    expect(companion.device).toBe(1);
    expect(client.me).toEqual([expect.objectContaining({ id: '15550009001:1@s.whatsapp.net' })]);
  });

  it('is refused when another key signed it than the account key it names', async () => {
    const server = await startServer();
    const phone = server.addAccount({ pn: '15550009002', name: 'Shop' });
    const client = connect(server);
    await waitFor('a QR', () => client.qrs.length > 0);
    await expect(server.scan(client.qrs[0]!, phone.pn, { forgeAccountSignature: true })).rejects.toThrow(
      'the client closed the connection instead of confirming the pairing',
    );
    const reason = await waitFor('the client to close', () => client.closedWith);
    expect(reason.message).toBe('Failed to verify account signature');
    expect(client.me).toEqual([]);
    expect(server.companionOf(phone.pn)).toBeUndefined();
  });
});

describe('the preload for a server in its own process (trust.mjs)', () => {
  const printRoot = [
    '--input-type=module',
    '-e',
    "import { WA_CERT_DETAILS } from 'baileys'; console.log(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).toString('hex'))",
  ];
  const rootSeenBy = async (args: string[]): Promise<string> => {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot });
    return stdout.trim();
  };

  it("makes the app's Baileys trust the stand-in's root", async () => {
    const root = await rootSeenBy(['--import', './test/wa-server/trust.mjs', ...printRoot]);
    expect(root).toBe(Buffer.from(STANDIN_ROOT.public).toString('hex'));
  });

  it("leaves WhatsApp's root in place without it", async () => {
    trustWhatsAppOnly();
    const root = await rootSeenBy(printRoot);
    expect(root).toBe(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).toString('hex'));
    expect(root).not.toBe(Buffer.from(STANDIN_ROOT.public).toString('hex'));
  });
});
