import type { EventBus } from '../../events/event-bus.js';
import type { Io } from './fan-out.js';
import type { RightsClock } from './rights-clock.js';
import { rooms, sessionRooms } from './rooms.js';

/**
 * Moves sockets between rooms when rights, users or sessions change. Returns the unsubscribers.
 */
export function subscribeMembership(
  io: Io,
  events: EventBus,
  deps: { clock: RightsClock; refresh: (userId: string) => void },
): (() => void)[] {
  const { clock, refresh } = deps;
  return [
    // The event carries the new rights, so the user's sockets move rooms synchronously: a revoke is
    // in force before the HTTP answer, and no event of the session can fall between leave and join.
    events.on('access.changed', ({ userId, sessionId, rights }) => {
      clock.markRightsChanged(userId);
      const sockets = io.in(rooms.user(userId));
      sockets.socketsLeave([rooms.readers(sessionId), rooms.members(sessionId)]);
      sockets.socketsJoin(sessionRooms(sessionId, rights));
      io.to(rooms.user(userId)).emit('whatsapp:access_changed', { sessionId, rights });
      // Connected sockets now hold the current rooms: they may recover later; only those away now may not.
      for (const id of io.of('/').adapter.rooms.get(rooms.user(userId)) ?? []) {
        const socket = io.of('/').sockets.get(id);
        if (socket) {
          socket.data.roomsComputedAt = clock.version();
        }
      }
    }),
    events.on('user.changed', ({ userId }) => {
      // A new password ends old tokens, a deactivation all of them: each socket re-proves its token.
      clock.markRightsChanged(userId);
      refresh(userId);
    }),
    events.on('user.deactivated', ({ userId }) => {
      clock.markRightsChanged(userId);
      io.in(rooms.user(userId)).disconnectSockets(true);
    }),
    events.on('session.deleted', ({ sessionId }) => {
      const gone = [rooms.readers(sessionId), rooms.members(sessionId)];
      io.in(gone).socketsLeave(gone);
    }),
  ];
}
