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

/** The contract's "to" column. */
export type Audience = 'admins' | 'members' | 'readers';
export type Scope = { companyId: string; sessionId: string };
export type ServerEvent = keyof ServerToClientEvents;
export type PayloadOf<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

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

/**
 * Domain event → the contract event and its audience. Payloads are built field by field: what is
 * not listed (companyId, anything added to a domain event later) never leaves the server.
 */
export const fanOut: FanOut = {
  'session.qr': (e, out) =>
    out.send('admins', e, 'whatsapp:qr', {
      sessionId: e.sessionId,
      qrCode: e.qrCode,
      qr: e.qr,
      expiresAt: e.expiresAt,
    }),
  'session.ready': (e, out) =>
    out.send('members', e, 'whatsapp:ready', {
      sessionId: e.sessionId,
      phoneNumber: e.phoneNumber,
      displayName: e.displayName,
    }),
  'session.disconnected': (e, out) =>
    out.send('members', e, 'whatsapp:disconnected', {
      sessionId: e.sessionId,
      reason: e.reason,
      loggedOut: e.loggedOut,
    }),
  'session.status_changed': (e, out) =>
    out.send('members', e, 'whatsapp:session_status', { sessionId: e.sessionId, status: e.status }),
  'session.history_progress': (e, out) =>
    out.send('admins', e, 'whatsapp:history_progress', {
      sessionId: e.sessionId,
      progress: e.progress,
      chats: e.chats,
      messages: e.messages,
    }),
  'message.received': (e, out) =>
    out.send('readers', e, 'whatsapp:message', {
      sessionId: e.sessionId,
      chatId: e.chat.id,
      chat: e.chat,
      message: e.message,
    }),
  'message.sent': (e, out) =>
    out.send('readers', e, 'whatsapp:message_sent', {
      sessionId: e.sessionId,
      chatId: e.chatId,
      message: e.message,
    }),
  'message.status': (e, out) =>
    out.send('readers', e, 'whatsapp:message_status', {
      sessionId: e.sessionId,
      chatId: e.chatId,
      messageId: e.messageId,
      waMessageId: e.waMessageId,
      status: e.status,
    }),
  'message.updated': (e, out) =>
    out.send('readers', e, 'whatsapp:message_updated', {
      sessionId: e.sessionId,
      chatId: e.chatId,
      message: e.message,
    }),
  'chat.updated': (e, out) =>
    out.send('readers', e, 'whatsapp:chat_updated', { sessionId: e.sessionId, chat: e.chat }),
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
