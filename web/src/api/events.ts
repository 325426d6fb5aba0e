/**
 * The socket.io events, shared with the server: `ServerToClientEvents` is the server's own
 * declaration (src/modules/realtime/socket-events.ts), imported as a type only, so nothing of
 * the server is bundled and a payload change on the server is a type error here.
 */
import type { ClientToServerEvents, ServerToClientEvents } from '../../../src/modules/realtime/socket-events';

export type { ClientToServerEvents, ServerToClientEvents };
export type EventName = keyof ServerToClientEvents;
export type EventPayload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];
