/**
 * The limit for the real engine: Baileys itself and nothing else. A process of its own holds any
 * number of `makeWASocket` clients linked to the stand-in, each with its credentials and Signal
 * keys in memory and a no-op message handler: what one linked device costs before any service
 * work (no database, no event queue, no socket.io). The socket options are the service's
 * (`src/modules/engine/baileys/baileys-socket.ts`) less its hooks and caches.
 *
 * Driven over IPC (`ipc-child.ts`): `open(key)` starts a client and answers its first QR;
 * `ready(key)` resolves once that client, scanned and restarted (515), is logged in.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { AuthenticationCreds, SignalDataSet, SignalKeyStore } from 'baileys';

import { type IpcChild, serveIpc, startIpcChild } from './ipc-child.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(SELF, '..', '..', '..');
const PRELOAD = join(ROOT, 'test', 'wa-server', 'trust.mjs');

export interface BareBaileys {
  pid: number;
  rssMiB(): number;
  /** Starts client `key` and resolves with the first QR it shows. */
  open(key: string): Promise<string>;
  /** Resolves once client `key` is logged in (after the phone scanned its QR). */
  ready(key: string): Promise<void>;
  stop(): Promise<void>;
}

/** The bare clients' process, trusting the stand-in's root through the same preload as the server. */
export async function startBareBaileys(options: {
  standinUrl: string;
  version: [number, number, number];
}): Promise<BareBaileys> {
  const child: IpcChild = await startIpcChild(SELF, {
    env: {
      BARE_BAILEYS_PROCESS: '1',
      BARE_BAILEYS_URL: options.standinUrl,
      BARE_BAILEYS_VERSION: options.version.join('.'),
    },
    nodeArgs: ['--import', PRELOAD],
    label: 'bare Baileys',
  });
  return {
    pid: child.pid,
    rssMiB: () => child.rssMiB(),
    open: (key) => child.call<string>('open', key),
    ready: (key) => child.call('ready', key),
    stop: () => child.stop(),
  };
}

// ---- the child --------------------------------------------------------------------------------

/** Credentials and Signal keys in memory, as Baileys' own examples keep them (less the files). */
function memoryAuth(initAuthCreds: () => AuthenticationCreds) {
  const creds = initAuthCreds();
  const data = new Map<string, unknown>();
  const keys: SignalKeyStore = {
    get: (type, ids) => {
      const found: Record<string, any> = {};
      for (const id of ids) {
        const value = data.get(`${type}:${id}`);
        if (value !== undefined) {
          found[id] = value;
        }
      }
      return found;
    },
    set: (update: SignalDataSet) => {
      for (const [type, entries] of Object.entries(update)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value) {
            data.set(`${type}:${id}`, value);
          } else {
            data.delete(`${type}:${id}`);
          }
        }
      }
    },
  };
  return { creds, keys };
}

async function serve(): Promise<void> {
  const { Browsers, DisconnectReason, initAuthCreds, makeWASocket } = await import('baileys');
  const { pino } = await import('pino');
  const logger = pino({ level: 'warn' });
  const url = process.env.BARE_BAILEYS_URL!;
  const version = process.env.BARE_BAILEYS_VERSION!.split('.').map(Number) as [number, number, number];

  interface Client {
    auth: ReturnType<typeof memoryAuth>;
    firstQr: Promise<string>;
    open: Promise<void>;
  }
  const clients = new Map<string, Client>();

  const connect = (
    auth: Client['auth'],
    onQr: (qr: string) => void,
    onOpen: () => void,
    onFail: (err: Error) => void,
  ) => {
    const socket = makeWASocket({
      auth,
      logger,
      browser: Browsers.ubuntu('Chrome'),
      markOnlineOnConnect: false,
      syncFullHistory: false,
      version,
      waWebSocketUrl: url,
    });
    socket.ev.on('creds.update', (update) => Object.assign(auth.creds, update));
    // The no-op handler: Baileys decrypts, emits, and acknowledges; nothing else happens.
    socket.ev.on('messages.upsert', () => {});
    socket.ev.on('connection.update', (update) => {
      if (update.qr) {
        onQr(update.qr);
      }
      if (update.connection === 'open') {
        onOpen();
      }
      if (update.connection === 'close') {
        const code = (update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)
          ?.output?.statusCode;
        if (code === DisconnectReason.restartRequired) {
          connect(auth, onQr, onOpen, onFail); // after pairing, as WhatsApp Web does
        } else {
          onFail(new Error(`closed with ${code}`));
        }
      }
    });
  };

  serveIpc({
    open: (key: string) => {
      const auth = memoryAuth(initAuthCreds);
      let gotQr!: (qr: string) => void;
      let opened!: () => void;
      let failed!: (err: Error) => void;
      const client: Client = {
        auth,
        firstQr: new Promise((resolve) => (gotQr = resolve)),
        open: new Promise((resolve, reject) => {
          opened = resolve;
          failed = reject;
        }),
      };
      client.open.catch(() => {}); // awaited by `ready`
      clients.set(key, client);
      connect(auth, gotQr, opened, failed);
      return client.firstQr;
    },
    ready: (key: string) => clients.get(key)?.open ?? Promise.reject(new Error(`no client ${key}`)),
  });
}

if (process.env.BARE_BAILEYS_PROCESS === '1' && process.argv[1] === SELF) {
  void serve();
}
