import { io, type Socket } from 'socket.io-client';

import type { ClientToServerEvents, ServerToClientEvents } from './events';

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * One socket.io connection to this origin, authenticated with `token` at the handshake. It
 * reconnects by itself (growing delay, forever); after a short drop the server replays what was
 * missed and says `realtime:connected {recovered: true}`, otherwise `{recovered: false}`.
 */
export function connectSocket(token: string): AppSocket {
  return io({
    // Connected by the provider's effect, so React's strict-mode remount does not leak a socket.
    autoConnect: false,
    auth: { token },
    transports: ['websocket', 'polling'],
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
  });
}
