import type { Server } from 'socket.io';

import type { DomainEvents } from '../../events/domain-events.js';
import type { EventBus, EventName } from '../../events/event-bus.js';
import { rooms } from './rooms.js';
import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from './socket-events.js';

export type Io = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Who hears a session's event: the company's admins, and managers with any right or with canRead. */
export type Audience = 'admins' | 'members' | 'readers';
export type Scope = { companyId: string; sessionId: string };
export type ServerEvent = keyof ServerToClientEvents;
export type PayloadOf<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

const AUDIENCE_TEXT: Record<Audience, string> = {
  admins: 'admins',
  members: 'admins; managers with access',
  readers: 'admins; managers with canRead',
};

/**
 * Every event the server sends, who hears it and what it carries: the contract's real-time table,
 * our additions after it, in the order the API description lists them. An event with an `audience`
 * goes to that audience's rooms (fanOut below sends it there); the others name who gets them.
 */
export const SOCKET_EVENTS = {
  'whatsapp:qr': { audience: 'admins', payload: '{sessionId, qrCode, qr, expiresAt}' },
  'whatsapp:ready': { audience: 'members', payload: '{sessionId, phoneNumber, displayName}' },
  'whatsapp:message': { audience: 'readers', payload: '{sessionId, chatId, chat, message}' },
  'whatsapp:message_sent': { audience: 'readers', payload: '{sessionId, chatId, message}' },
  'whatsapp:message_status': {
    audience: 'readers',
    payload: '{sessionId, chatId, messageId, waMessageId, status}',
  },
  'whatsapp:message_updated': {
    audience: 'readers',
    payload: '{sessionId, chatId, message} (edited or deleted by its sender)',
  },
  'whatsapp:chat_updated': { audience: 'readers', payload: '{sessionId, chat}' },
  'whatsapp:disconnected': { audience: 'members', payload: '{sessionId, reason, loggedOut}' },
  'whatsapp:session_status': { audience: 'members', payload: '{sessionId, status}' },
  'whatsapp:history_progress': { audience: 'admins', payload: '{sessionId, progress, chats, messages}' },
  'whatsapp:access_changed': {
    to: 'the manager concerned',
    payload: '{sessionId, rights} (rights null when revoked)',
  },
  'realtime:connected': { to: 'the connecting socket', payload: '{recovered}' },
} as const satisfies {
  [E in ServerEvent]: { audience: Audience; payload: string } | { to: string; payload: string };
};

/** The events sent to an audience's rooms. */
type RoomEvent = {
  [E in ServerEvent]: (typeof SOCKET_EVENTS)[E] extends { audience: Audience } ? E : never;
}[ServerEvent];

/** SOCKET_EVENTS as the API description's markdown table. */
export function socketEventsTable(): string {
  const rows = Object.entries(SOCKET_EVENTS).map(([event, entry]) => {
    const to = 'audience' in entry ? AUDIENCE_TEXT[entry.audience] : entry.to;
    return `| ${event} | ${to} | ${entry.payload} |`;
  });
  return ['| event | to | payload |', '|---|---|---|', ...rows].join('\n');
}

/** Where fan-out sends (socket.io in the service; a recorder in a unit test). */
export interface Outbox {
  send<E extends ServerEvent>(audience: Audience, scope: Scope, event: E, payload: PayloadOf<E>): void;
}

/** The rooms of an audience: admins always; managers with access (members) or with canRead (readers). */
export function audienceRooms(audience: Audience, scope: Scope): string[] {
  const admins = rooms.admins(scope.companyId);
  if (audience === 'admins') {
    return [admins];
  }
  return [admins, audience === 'members' ? rooms.members(scope.sessionId) : rooms.readers(scope.sessionId)];
}

/** Broadcasts to the audience's rooms at once, so a socket in several of them gets one copy. */
export function ioOutbox(io: Io): Outbox {
  return {
    send(audience, scope, event, payload) {
      // The event/payload pairing is checked by `send`'s signature; socket.io's own generic cannot follow it.
      const target = io.to(audienceRooms(audience, scope)) as unknown as {
        emit(event: string, payload: unknown): boolean;
      };
      target.emit(event, payload);
    },
  };
}

type FanOut = { [K in EventName]?: (event: DomainEvents[K], out: Outbox) => void };

/** Sends a session's event to the audience SOCKET_EVENTS gives it. */
function send<E extends RoomEvent>(out: Outbox, scope: Scope, event: E, payload: PayloadOf<E>): void {
  out.send(SOCKET_EVENTS[event].audience, scope, event, payload);
}

/**
 * Domain event → the contract event (its audience is in SOCKET_EVENTS). Payloads are built field by
 * field: what is not listed (companyId, anything added to a domain event later) never leaves the server.
 */
export const fanOut: FanOut = {
  'session.qr': (e, out) =>
    send(out, e, 'whatsapp:qr', {
      sessionId: e.sessionId,
      qrCode: e.qrCode,
      qr: e.qr,
      expiresAt: e.expiresAt,
    }),
  'session.ready': (e, out) =>
    send(out, e, 'whatsapp:ready', {
      sessionId: e.sessionId,
      phoneNumber: e.phoneNumber,
      displayName: e.displayName,
    }),
  'session.disconnected': (e, out) =>
    send(out, e, 'whatsapp:disconnected', {
      sessionId: e.sessionId,
      reason: e.reason,
      loggedOut: e.loggedOut,
    }),
  'session.status_changed': (e, out) =>
    send(out, e, 'whatsapp:session_status', { sessionId: e.sessionId, status: e.status }),
  'session.history_progress': (e, out) =>
    send(out, e, 'whatsapp:history_progress', {
      sessionId: e.sessionId,
      progress: e.progress,
      chats: e.chats,
      messages: e.messages,
    }),
  'message.received': (e, out) =>
    send(out, e, 'whatsapp:message', {
      sessionId: e.sessionId,
      chatId: e.chat.id,
      chat: e.chat,
      message: e.message,
    }),
  'message.sent': (e, out) =>
    send(out, e, 'whatsapp:message_sent', {
      sessionId: e.sessionId,
      chatId: e.chatId,
      message: e.message,
    }),
  'message.status': (e, out) =>
    send(out, e, 'whatsapp:message_status', {
      sessionId: e.sessionId,
      chatId: e.chatId,
      messageId: e.messageId,
      waMessageId: e.waMessageId,
      status: e.status,
      error: e.error,
    }),
  'message.updated': (e, out) =>
    send(out, e, 'whatsapp:message_updated', {
      sessionId: e.sessionId,
      chatId: e.chatId,
      message: e.message,
    }),
  'chat.updated': (e, out) => send(out, e, 'whatsapp:chat_updated', { sessionId: e.sessionId, chat: e.chat }),
};

/** Subscribes every entry of the table to the bus; returns the unsubscribe. */
export function subscribeFanOut(events: EventBus, out: Outbox, table: FanOut = fanOut): () => void {
  const wire = <K extends EventName>(name: K) => {
    const send = table[name];
    return send ? events.on(name, (payload) => send(payload, out)) : () => undefined;
  };
  const offs = (Object.keys(table) as EventName[]).map(wire);
  return () => {
    for (const off of offs) {
      off();
    }
  };
}
