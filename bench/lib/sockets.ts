import { io, type Socket } from 'socket.io-client';

import { mapLimit } from './population.js';

/**
 * A socket.io client as an application would open one: its own connection (`forceNew`), WebSocket
 * only (no long-polling upgrade dance, which would only add noise), no reconnection. Resolves once
 * `readyEvent` arrives: the service sends `realtime:connected` after it has set the socket's rooms.
 */
export function connectClient(
  url: string,
  auth: Record<string, unknown>,
  readyEvent = 'realtime:connected',
  timeoutMs = 30_000,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      forceNew: true,
      transports: ['websocket'],
      reconnection: false,
      timeout: timeoutMs,
      auth,
    });
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`socket not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`socket refused: ${err.message}`));
    });
  });
}

/** Opens one client per auth, `concurrency` handshakes at a time. */
export async function connectClients(
  url: string,
  auths: readonly Record<string, unknown>[],
  options: { readyEvent?: string; concurrency?: number } = {},
): Promise<Socket[]> {
  const opened: Socket[] = [];
  try {
    return await mapLimit(auths, options.concurrency ?? 50, async (auth) => {
      const socket = await connectClient(url, auth, options.readyEvent);
      opened.push(socket);
      return socket;
    });
  } catch (err) {
    closeClients(opened);
    throw err;
  }
}

export function closeClients(sockets: readonly Socket[]): void {
  for (const socket of sockets) {
    socket.close();
  }
}
