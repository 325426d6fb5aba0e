/**
 * The WhatsApp server stand-in (test/wa-server) in a process of its own, so that its side of the
 * protocol (Noise, Signal encryption of every delivery) does not share the bench's event loop or
 * count as the measured process's work. Driven over IPC (`ipc-child.ts`): accounts, the phone
 * scanning a QR, and a stream of messages from contacts at a steady rate, answered with when each
 * stanza went out and when the linked device's delivery receipt came back.
 */
import { fileURLToPath } from 'node:url';

import { type IpcChild, serveIpc, startIpcChild } from './ipc-child.js';

const SELF = fileURLToPath(import.meta.url);

/** This process's clock as epoch milliseconds, to the microsecond (comparable across processes). */
export const epochNow = () => performance.timeOrigin + performance.now();

export interface StreamRequest {
  /** Message i goes to `shops[i % shops.length]`… */
  shops: string[];
  /** …from `contacts[floor(i / shops.length) % contacts.length]`. */
  contacts: string[];
  count: number;
  perSecond: number;
  /** Message i has WhatsApp id `${idPrefix}${i}` and text `${textPrefix}${i}`. */
  idPrefix: string;
  textPrefix: string;
  /** How long to wait for the last receipts after the last delivery. */
  drainTimeoutMs: number;
}

export interface StreamResult {
  /** Epoch ms when message i's stanza was written to its device's connection. */
  sentAt: number[];
  /** Epoch ms of the first delivery receipt for message i, or null if none came. */
  receiptAt: (number | null)[];
  /** Worst lateness of a delivery against its schedule (ms). */
  maxLagMs: number;
  /** From the first delivery to the last receipt (or the drain timeout), in ms. */
  elapsedMs: number;
  /** The stand-in's own CPU time over the stream (seconds). */
  standinCpuSeconds: number;
  /** This process's epoch clock minus its Date.now(), at the end (ms). */
  clockSkewMs: number;
}

export interface Standin {
  /** The WebSocket URL clients connect to (WA_WEBSOCKET_URL, Baileys' waWebSocketUrl). */
  url: string;
  pid: number;
  addAccounts(accounts: { pn: string; name: string }[]): Promise<void>;
  /** The phone `pn` scans `qr`; resolves once the client confirmed the pairing. */
  scan(qr: string, pn: string): Promise<void>;
  stream(request: StreamRequest): Promise<StreamResult>;
  stop(): Promise<void>;
}

export async function startStandin(): Promise<Standin> {
  const child: IpcChild = await startIpcChild(SELF, {
    env: { STANDIN_PROCESS: '1' },
    label: 'stand-in',
  });
  try {
    const url = await child.call<string>('url');
    return {
      url,
      pid: child.pid,
      addAccounts: (accounts) => child.call('addAccounts', accounts),
      scan: (qr, pn) => child.call('scan', { qr, pn }),
      stream: (request) => child.call<StreamResult>('stream', request),
      stop: () => child.stop(),
    };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

// ---- the child --------------------------------------------------------------------------------

async function serve(): Promise<void> {
  const { WaServer } = await import('../../test/wa-server/server.js');
  // The clients are in other processes; they trust the stand-in's root through their preload.
  const server = await WaServer.start({ trust: false });
  const tracked = new Map<string, number | null>();
  let onTracked: (() => void) | null = null;
  server.on('receipt', (receipt) => {
    if (receipt.type === 'retry') {
      return;
    }
    const at = epochNow();
    for (const id of receipt.ids) {
      if (tracked.get(id) === null) {
        tracked.set(id, at);
        onTracked?.();
      }
    }
  });

  const stream = async (request: StreamRequest): Promise<StreamResult> => {
    const shops = request.shops.map((pn) => server.account(pn));
    const contacts = request.contacts.map((pn) => server.account(pn));
    const ids = Array.from({ length: request.count }, (_, i) => `${request.idPrefix}${i}`);
    for (const id of ids) {
      tracked.set(id, null);
    }
    let outstanding = ids.length;
    const allIn = new Promise<void>((resolve) => {
      onTracked = () => {
        outstanding -= 1;
        if (outstanding === 0) {
          resolve();
        }
      };
    });
    const sentAt = new Array<number>(request.count).fill(0);
    const interval = 1000 / request.perSecond;
    const cpu = process.cpuUsage();
    const started = performance.now();
    let maxLagMs = 0;
    // One delivery at a time: the contacts' Signal sessions are not encrypted for concurrently.
    for (let i = 0; i < request.count; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) {
        await new Promise((r) => setTimeout(r, wait));
      }
      maxLagMs = Math.max(maxLagMs, performance.now() - due);
      const to = shops[i % shops.length]!;
      const from = contacts[Math.floor(i / shops.length) % contacts.length]!;
      await server.deliver(from, to, { conversation: `${request.textPrefix}${i}` }, { id: ids[i]! });
      sentAt[i] = epochNow();
    }
    await Promise.race([allIn, new Promise((r) => setTimeout(r, request.drainTimeoutMs))]);
    onTracked = null;
    const elapsedMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const receiptAt = ids.map((id) => tracked.get(id) ?? null);
    for (const id of ids) {
      tracked.delete(id);
    }
    return {
      sentAt,
      receiptAt,
      maxLagMs,
      elapsedMs,
      standinCpuSeconds: (used.user + used.system) / 1e6,
      clockSkewMs: epochNow() - Date.now(),
    };
  };

  serveIpc({
    url: () => server.url,
    addAccounts: (accounts: { pn: string; name: string }[]) => {
      for (const account of accounts) {
        server.addAccount(account);
      }
    },
    scan: async ({ qr, pn }: { qr: string; pn: string }) => {
      await server.scan(qr, pn);
    },
    stream,
  });
}

if (process.env.STANDIN_PROCESS === '1' && process.argv[1] === SELF) {
  void serve();
}
