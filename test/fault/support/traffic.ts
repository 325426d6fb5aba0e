import { io, type Socket } from 'socket.io-client';

import { backoffMs, call, type Client, is2xx, type Outcome } from './http.js';
import { sleep } from './server.js';

/**
 * Steady traffic against one session and the bookkeeping to count what was lost or doubled.
 *
 * Incoming: a contact's message with a unique text and a fixed WhatsApp id, delivered through the
 * simulator's control call; a failed call is made again with the same id (as the network
 * redelivers). Lost: answered 2xx but never stored. Doubled: stored more than once.
 *
 * Sends: a unique text under a unique Idempotency-Key; a failed call (5xx, refused, reset,
 * timeout) is made again with the same key until it is answered 2xx. Lost: accepted but never
 * received by the network, or not `sent` once the service recovered. Doubled: the network received
 * more than one distinct message (WhatsApp id) for the key, or it is stored more than once.
 */

export interface Target {
  client: Client;
  sessionId: string;
  /** Part of every text and id, so that each case's messages are its own. */
  tag: string;
}

export interface IncomingEntry {
  from: string;
  text: string;
  waMessageId: string;
  attempts: number;
  acceptedAt: number | null;
  /** The last answer (status and code) or failure, while not accepted. */
  last: string;
}

export interface SendEntry {
  to: string;
  key: string;
  text: string;
  attempts: number;
  acceptedAt: number | null;
  last: string;
  messageId: string | null;
  waMessageId: string | null;
}

export class Ledger {
  readonly incoming = new Map<string, IncomingEntry>();
  readonly sends = new Map<string, SendEntry>();
  /** Every chat the traffic wrote to or from (phone numbers). */
  readonly chats = new Set<string>();
}

const DELIVERED = new Set(['sent', 'delivered', 'read', 'played']);
/** 4xx answers that are final: trying again would not change them. */
const retryable = (o: Outcome) => o.failure !== null || o.status === 429 || (o.status ?? 0) >= 500;

const describe = (o: Outcome) =>
  o.failure ??
  `${o.status} ${(o.body as { error?: { code?: string } } | undefined)?.error?.code ?? ''}`.trim();

/**
 * Makes the same request again, as a client should, until it is answered 2xx, is refused for good
 * or `until` passes; records the attempts on the entry. Returns the accepting answer, or null.
 */
async function untilAccepted(
  entry: { attempts: number; acceptedAt: number | null; last: string },
  until: () => number,
  request: () => Promise<Outcome>,
): Promise<Outcome | null> {
  while (Date.now() < until()) {
    entry.attempts += 1;
    const o = await request();
    if (is2xx(o)) {
      entry.acceptedAt = o.at;
      return o;
    }
    entry.last = describe(o);
    if (!retryable(o)) {
      return null;
    }
    await sleep(backoffMs(o));
  }
  return null;
}

let counter = 0;
const nextId = () => (++counter).toString(36).toUpperCase().padStart(5, '0');

/** Delivers one incoming message, again with the same id until answered 2xx or `until` passes. */
export async function deliverIncoming(
  t: Target,
  ledger: Ledger,
  from: string,
  until: () => number,
): Promise<IncomingEntry> {
  const id = nextId();
  const entry: IncomingEntry = {
    from,
    text: `in ${t.tag} ${id}`,
    waMessageId: `FAULT${t.tag.toUpperCase().replace(/[^A-Z0-9]/g, '')}${id}`,
    attempts: 0,
    acceptedAt: null,
    last: 'not tried',
  };
  ledger.incoming.set(entry.text, entry);
  ledger.chats.add(from);
  await untilAccepted(entry, until, () =>
    call(t.client, 'POST', `/api/simulator/sessions/${t.sessionId}/incoming`, {
      body: { from, pushName: 'Fault Contact', text: entry.text, waMessageId: entry.waMessageId },
    }),
  );
  return entry;
}

/** Sends one message under its own key, again with the same key until answered 2xx or `until` passes. */
export async function sendWithKey(
  t: Target,
  ledger: Ledger,
  to: string,
  until: () => number,
): Promise<SendEntry> {
  const id = nextId();
  const entry: SendEntry = {
    to,
    key: `fault-${t.tag}-${id}`,
    text: `out ${t.tag} ${id}`,
    attempts: 0,
    acceptedAt: null,
    last: 'not tried',
    messageId: null,
    waMessageId: null,
  };
  ledger.sends.set(entry.key, entry);
  ledger.chats.add(to);
  const accepted = await untilAccepted(entry, until, () =>
    call(t.client, 'POST', `/api/whatsapp/sessions/${t.sessionId}/chats/${to}/send`, {
      body: { message: entry.text },
      headers: { 'idempotency-key': entry.key },
    }),
  );
  entry.messageId = accepted?.body?.data?.message?.id ?? null;
  entry.waMessageId = accepted?.body?.data?.message?.waMessageId ?? null;
  return entry;
}

export interface Traffic {
  /** Ends the loops; a call in progress keeps trying for at most `drainMs`. */
  stop(drainMs: number): Promise<void>;
}

/** A few loops of incoming messages and sends, each one call at a time, until stopped. */
export function startTraffic(
  t: Target,
  ledger: Ledger,
  options: { incomingLoops: number; sendLoops: number; pauseMs: number },
): Traffic {
  let running = true;
  let deadline = Number.POSITIVE_INFINITY;
  const until = () => deadline;
  const loops: Promise<void>[] = [];
  for (let i = 0; i < options.incomingLoops; i++) {
    const from = `7990100${String(i).padStart(4, '0')}`;
    loops.push(
      (async () => {
        while (running) {
          await deliverIncoming(t, ledger, from, until);
          await sleep(options.pauseMs);
        }
      })(),
    );
  }
  for (let i = 0; i < options.sendLoops; i++) {
    const to = `7990200${String(i).padStart(4, '0')}`;
    loops.push(
      (async () => {
        while (running) {
          await sendWithKey(t, ledger, to, until);
          await sleep(options.pauseMs);
        }
      })(),
    );
  }
  return {
    async stop(drainMs) {
      running = false;
      deadline = Date.now() + drainMs;
      await Promise.all(loops);
    },
  };
}

interface StoredMessage {
  id: string;
  waMessageId: string;
  direction: 'incoming' | 'outgoing';
  body: string | null;
  status: string;
}

/** Every message of a chat (null when the chat cannot be listed now). */
async function chatMessages(t: Target, phone: string): Promise<StoredMessage[] | null> {
  const all: StoredMessage[] = [];
  let cursor: string | undefined;
  for (;;) {
    const query = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const o = await call(
      { ...t.client, observations: null },
      'GET',
      `/api/whatsapp/sessions/${t.sessionId}/chats/${phone}/messages?${query}`,
    );
    if (o.status === 404) {
      return [];
    }
    if (!is2xx(o)) {
      return null;
    }
    all.push(...(o.body.data as StoredMessage[]));
    cursor = o.body.pagination?.nextCursor ?? undefined;
    if (!cursor) {
      return all;
    }
  }
}

interface NetworkRecord {
  waMessageId: string;
  to: string;
  text: string;
  deliveries?: number;
}

async function networkOutgoing(t: Target): Promise<NetworkRecord[] | null> {
  const o = await call(
    { ...t.client, observations: null },
    'GET',
    `/api/simulator/sessions/${t.sessionId}/outgoing`,
  );
  return is2xx(o) ? (o.body.data as NetworkRecord[]) : null;
}

export interface Verdict {
  incoming: { accepted: number; notAccepted: number; lost: string[]; doubled: string[] };
  sends: {
    accepted: number;
    notAccepted: number;
    lost: string[];
    doubled: string[];
    /** Ids the network received more than once (the same message again, not a double). */
    redelivered: number;
  };
  /** Calls that were still not answered 2xx when the retries stopped, with their last answer. */
  neverAccepted: string[];
  /** Whether the service could be read at all at the end. */
  readable: boolean;
}

function judge(ledger: Ledger, stored: StoredMessage[], network: NetworkRecord[]): Verdict {
  const byBody = new Map<string, StoredMessage[]>();
  for (const m of stored) {
    if (m.body !== null) {
      byBody.set(m.body, [...(byBody.get(m.body) ?? []), m]);
    }
  }
  const idsByText = new Map<string, Set<string>>();
  let redelivered = 0;
  for (const r of network) {
    idsByText.set(r.text, (idsByText.get(r.text) ?? new Set()).add(r.waMessageId));
    if ((r.deliveries ?? 1) > 1) {
      redelivered += 1;
    }
  }

  const verdict: Verdict = {
    incoming: { accepted: 0, notAccepted: 0, lost: [], doubled: [] },
    sends: { accepted: 0, notAccepted: 0, lost: [], doubled: [], redelivered },
    neverAccepted: [],
    readable: true,
  };
  for (const e of ledger.incoming.values()) {
    const copies = (byBody.get(e.text) ?? []).filter((m) => m.direction === 'incoming');
    if (copies.length > 1) {
      verdict.incoming.doubled.push(`${e.text}: stored ${copies.length} times`);
    }
    if (e.acceptedAt === null) {
      verdict.incoming.notAccepted += 1;
      verdict.neverAccepted.push(`${e.text}: ${e.attempts} attempts, last ${e.last}`);
      continue;
    }
    verdict.incoming.accepted += 1;
    if (copies.length === 0) {
      verdict.incoming.lost.push(`${e.text}: answered 2xx, never stored`);
    }
  }
  for (const e of ledger.sends.values()) {
    const copies = (byBody.get(e.text) ?? []).filter((m) => m.direction === 'outgoing');
    const ids = idsByText.get(e.text) ?? new Set<string>();
    if (ids.size > 1) {
      verdict.sends.doubled.push(`${e.key}: the network received ${ids.size} distinct messages`);
    } else if (copies.length > 1) {
      verdict.sends.doubled.push(`${e.key}: stored ${copies.length} times`);
    }
    if (e.acceptedAt === null) {
      verdict.sends.notAccepted += 1;
      verdict.neverAccepted.push(`${e.key}: ${e.attempts} attempts, last ${e.last}`);
      continue;
    }
    verdict.sends.accepted += 1;
    if (ids.size === 0) {
      verdict.sends.lost.push(
        `${e.key}: accepted, never received by the network (stored: ${copies.map((c) => c.status).join(', ') || 'no'})`,
      );
    } else if (!copies.some((c) => DELIVERED.has(c.status))) {
      verdict.sends.lost.push(
        `${e.key}: received by the network but stored as ${copies.map((c) => c.status).join(', ') || 'nothing'}`,
      );
    }
  }
  return verdict;
}

/**
 * Reads what the service stored and what the network received until nothing accepted is missing
 * (a send may still be on its way), or until `timeoutMs`; then judges.
 */
export async function verify(t: Target, ledger: Ledger, timeoutMs: number): Promise<Verdict> {
  const deadline = Date.now() + timeoutMs;
  let last: Verdict | null = null;
  for (;;) {
    const network = await networkOutgoing(t);
    const stored: StoredMessage[] = [];
    let complete = network !== null;
    for (const phone of ledger.chats) {
      const messages = complete ? await chatMessages(t, phone) : null;
      if (messages === null) {
        complete = false;
        break;
      }
      stored.push(...messages);
    }
    if (complete) {
      last = judge(ledger, stored, network!);
      if (last.incoming.lost.length === 0 && last.sends.lost.length === 0) {
        return last;
      }
    }
    if (Date.now() >= deadline) {
      return (
        last ?? {
          ...judge(ledger, [], []),
          readable: false,
        }
      );
    }
    await sleep(500);
  }
}

/**
 * Time to recover: from `since` until an incoming message (delivered after it) is stored and a
 * send (made after it) is accepted and sent. Null if that did not happen within `timeoutMs`.
 */
export async function probeRecovery(
  t: Target,
  ledger: Ledger,
  since: number,
  timeoutMs: number,
): Promise<number | null> {
  const deadline = since + timeoutMs;
  const until = () => deadline;
  const from = '79903000001';
  const to = '79904000001';
  for (;;) {
    const incoming = await deliverIncoming(t, ledger, from, until);
    if (incoming.acceptedAt === null) {
      return null;
    }
    if (await pollChat(t, from, deadline, (m) => m.body === incoming.text)) {
      break;
    }
    if (Date.now() >= deadline) {
      return null;
    }
  }
  const send = await sendWithKey(t, ledger, to, until);
  if (send.acceptedAt === null) {
    return null;
  }
  const sent = await pollChat(t, to, deadline, (m) => m.id === send.messageId && DELIVERED.has(m.status));
  return sent ? Date.now() - since : null;
}

/** Polls a chat's newest messages until one matches; false after `deadline`. */
async function pollChat(
  t: Target,
  phone: string,
  deadline: number,
  match: (m: StoredMessage) => boolean,
): Promise<boolean> {
  while (Date.now() < deadline) {
    const o = await call(
      { ...t.client, observations: null },
      'GET',
      `/api/whatsapp/sessions/${t.sessionId}/chats/${phone}/messages?limit=10`,
    );
    if (is2xx(o) && (o.body.data as StoredMessage[]).some(match)) {
      return true;
    }
    await sleep(100);
  }
  return false;
}

export interface SocketWatch {
  /** Per socket: texts of `whatsapp:message` events heard, with how often. */
  heard: Map<string, number>[];
  connects: number[];
  /** Resolves once every socket has connected (true), or after `timeoutMs` (false). */
  connected(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/**
 * Sockets of the company's admin that count `whatsapp:message` events. They reconnect by
 * themselves, also after a refused handshake (socket.io leaves that one to the client).
 */
export function watchSockets(base: string, token: string, count: number): SocketWatch {
  const sockets: Socket[] = [];
  let closed = false;
  const watch: SocketWatch = {
    heard: [],
    connects: [],
    connected: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (watch.connects.some((n) => n === 0)) {
        if (Date.now() >= deadline) {
          return false;
        }
        await sleep(50);
      }
      return true;
    },
    close: () => {
      closed = true;
      for (const s of sockets) {
        s.close();
      }
    },
  };
  for (let i = 0; i < count; i++) {
    const heard = new Map<string, number>();
    watch.heard.push(heard);
    watch.connects.push(0);
    const socket = io(base, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 1000,
    });
    socket.on('connect', () => {
      watch.connects[i]! += 1;
    });
    socket.on('connect_error', () => {
      if (!socket.active) {
        setTimeout(() => {
          if (!closed) {
            socket.connect();
          }
        }, 500);
      }
    });
    socket.on('whatsapp:message', (payload: { message?: { body?: string | null; direction?: string } }) => {
      const body = payload.message?.body;
      if (body && payload.message?.direction === 'incoming') {
        heard.set(body, (heard.get(body) ?? 0) + 1);
      }
    });
    sockets.push(socket);
  }
  return watch;
}
