import type { AddressInfo } from 'node:net';

import { io as connect, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

import type { TestApp } from './test-app.js';

/** The origin a listening test app serves (`await app.http.listen({ port: 0, host: '127.0.0.1' })`). */
export function originOf(app: TestApp): string {
  const address = app.http.server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

export interface Received {
  event: string;
  payload: any;
}

/**
 * A real socket.io client that records every event it hears, so a test can wait for one event
 * (`next`) or assert that one never came (`heard` after a positive control elsewhere).
 */
export interface TestSocket {
  socket: Socket;
  /** Every event so far, in order. */
  events: Received[];
  /** Every raw packet the connection decoded, connected or not (what went over the wire). */
  packets: any[];
  /** The payloads of `event` heard so far that match. */
  heard(event: string, match?: (payload: any) => boolean): any[];
  /** The first payload of `event` that matches, heard already or within `timeoutMs`. */
  next(event: string, match?: (payload: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Resolves on the next `disconnect` with its reason. */
  disconnected(timeoutMs?: number): Promise<string>;
  close(): void;
}

type Options = Partial<ManagerOptions & SocketOptions>;

const open = new Set<Socket>();

/** Creates a client without waiting; `connected`/`refused` wait for the outcome. */
export function socketFor(app: TestApp, token: string | undefined, options: Options = {}): TestSocket {
  const socket = connect(originOf(app), {
    forceNew: true,
    transports: ['websocket'],
    reconnection: false,
    ...(token !== undefined ? { auth: { token } } : {}),
    ...options,
  });
  open.add(socket);
  const events: Received[] = [];
  const packets: any[] = [];
  const waiters = new Set<() => void>();
  socket.onAny((event: string, payload: unknown) => {
    events.push({ event, payload });
    for (const wake of waiters) {
      wake();
    }
  });
  socket.io.on('packet', (packet) => packets.push(packet));

  const heard = (event: string, match: (payload: any) => boolean = () => true) =>
    events.filter((e) => e.event === event && match(e.payload)).map((e) => e.payload);

  return {
    socket,
    events,
    packets,
    heard,
    next(event, match = () => true, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = heard(event, match)[0];
          if (found !== undefined) {
            cleanup();
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no '${event}' within ${timeoutMs} ms; heard: ${JSON.stringify(events)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    disconnected(timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no disconnect within ${timeoutMs} ms`)), timeoutMs);
        socket.once('disconnect', (reason) => {
          clearTimeout(timer);
          resolve(reason);
        });
      });
    },
    close() {
      socket.close();
      open.delete(socket);
    },
  };
}

/** Waits for the outcome of a connection attempt: the socket, or the connect_error. */
function outcome(client: TestSocket, timeoutMs = 5000): Promise<{ ok: true } | { ok: false; error: Error }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no connect or connect_error within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const done = (result: { ok: true } | { ok: false; error: Error }) => {
      clearTimeout(timer);
      client.socket.off('connect', onConnect);
      client.socket.off('connect_error', onError);
      resolve(result);
    };
    const onConnect = () => done({ ok: true });
    const onError = (error: Error) => done({ ok: false, error });
    client.socket.on('connect', onConnect);
    client.socket.on('connect_error', onError);
  });
}

/** Connects and waits until the server has admitted the socket and set its rooms. */
export async function connected(app: TestApp, token: string | undefined, options: Options = {}) {
  const client = socketFor(app, token, options);
  const result = await outcome(client);
  if (!result.ok) {
    client.close();
    throw new Error(`connect failed: ${result.error.message}`);
  }
  // Rooms are set before this first event is sent, so a test may act on the socket's rooms now.
  await client.next('realtime:connected');
  return client;
}

/** Connects and expects the handshake to be refused; returns the connect_error. */
export async function refused(
  app: TestApp,
  token: string | undefined,
  options: Options = {},
): Promise<Error & { data?: any }> {
  const client = socketFor(app, token, options);
  try {
    const result = await outcome(client);
    // Refused at the handshake, not connected and then kicked: no CONNECT packet ever arrived.
    if (result.ok || client.packets.some((p) => p.type === 0)) {
      throw new Error('connected, but the handshake was expected to be refused');
    }
    return result.error;
  } finally {
    client.close();
  }
}

/** Reconnects a client that lost its connection, and waits for the outcome. */
export async function reconnect(client: TestSocket) {
  const result = outcome(client);
  client.socket.connect();
  return result;
}

/** Closes every client this file opened. */
export function closeAllSockets(): void {
  for (const socket of open) {
    socket.close();
  }
  open.clear();
}

/** Lets in-flight packets land: used only after a positive control has received its copy. */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
