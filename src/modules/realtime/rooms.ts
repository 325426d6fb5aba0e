import type { Actor } from '../../shared/actor.js';
import type { Rights } from '../access/policy.js';
import { allows } from '../access/policy.js';

/**
 * Room names. Socket authorization is room membership: a socket hears a session's events only
 * while it is in one of the session's rooms, and those are computed from the access policy.
 */
export const rooms = {
  /** Every socket of one user (disconnect, recompute). */
  user: (userId: string) => `user:${userId}`,
  /** The company's admins: every session of the company, QR codes included. */
  admins: (companyId: string) => `company:${companyId}:admins`,
  /** Managers with canRead on the session: message events. */
  readers: (sessionId: string) => `session:${sessionId}:readers`,
  /** Managers with any right on the session: status events. */
  members: (sessionId: string) => `session:${sessionId}:members`,
};

/** Rooms whose membership the service manages (everything but socket.io's own per-socket room). */
export function isManagedRoom(room: string): boolean {
  return room.startsWith('user:') || room.startsWith('company:') || room.startsWith('session:');
}

/** The rooms an actor's sockets belong in, given what the policy says the actor may see. */
export function roomsFor(actor: Actor, visible: { session: { id: string }; rights: Rights }[]): string[] {
  if (actor.role === 'admin') {
    return [rooms.user(actor.userId), rooms.admins(actor.companyId)];
  }
  return [
    rooms.user(actor.userId),
    ...visible.flatMap(({ session, rights }) => sessionRooms(session.id, rights)),
  ];
}

/** A manager's rooms for one session: members with any right, readers with canRead. */
export function sessionRooms(sessionId: string, rights: Rights | null): string[] {
  const result: string[] = [];
  if (rights && allows(rights, 'any')) {
    result.push(rooms.members(sessionId));
  }
  if (rights && allows(rights, 'read')) {
    result.push(rooms.readers(sessionId));
  }
  return result;
}

/** The minimal shape of a socket (local or fetched) whose rooms we set. */
export interface RoomMember {
  readonly rooms: Set<string>;
  join(room: string | string[]): unknown;
  leave(room: string): unknown;
}

/** Makes the socket's managed rooms exactly `desired`: leaves the rest, joins what is missing. */
export function setRooms(socket: RoomMember, desired: string[]): void {
  const want = new Set(desired);
  for (const room of [...socket.rooms]) {
    if (isManagedRoom(room) && !want.has(room)) {
      void socket.leave(room);
    }
  }
  const missing = desired.filter((room) => !socket.rooms.has(room));
  if (missing.length > 0) {
    void socket.join(missing);
  }
}
