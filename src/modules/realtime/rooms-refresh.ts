import type { FastifyBaseLogger } from 'fastify';
import type { Socket } from 'socket.io';

import type { Authenticate } from '../../http/auth.js';
import { UnauthorizedError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';
import type { Io } from './fan-out.js';
import { tokenOf } from './handshake.js';
import type { RightsClock } from './rights-clock.js';
import { type RoomMember, rooms, setRooms } from './rooms.js';
import type { SocketData } from './socket-events.js';

type AnySocket = RoomMember & {
  id: string;
  data: Partial<SocketData>;
  handshake: Socket['handshake'];
  disconnect(close?: boolean): unknown;
};

/**
 * Recomputes the rooms of a user's sockets: one job at a time per user; only a job that started
 * after the user's latest change applies.
 */
export function createRoomsRefresh(deps: {
  io: Io;
  authenticate: Authenticate;
  roomsOf: (actor: Actor) => Promise<string[]>;
  clock: RightsClock;
  log: FastifyBaseLogger;
}): (userId: string) => void {
  const { io, clock, log } = deps;
  const queues = new Map<string, Promise<void>>();

  /** Re-checks every socket of the user (token, user still active) and resets its rooms. */
  const recompute = async (userId: string) => {
    const roomsComputedAt = clock.version();
    const sockets: AnySocket[] = await io.in(rooms.user(userId)).fetchSockets();
    const admitted: { socket: AnySocket; actor: Actor }[] = [];
    for (const socket of sockets) {
      try {
        const { auth, headers } = socket.handshake;
        admitted.push({ socket, actor: await deps.authenticate(tokenOf(auth, headers) ?? '') });
      } catch (err) {
        if (!(err instanceof UnauthorizedError)) {
          throw err;
        }
        log.debug({ userId, socketId: socket.id }, 'socket token no longer valid; disconnecting');
        socket.disconnect(true);
      }
    }
    const first = admitted[0];
    let desired = [rooms.user(userId)];
    if (first) {
      try {
        desired = await deps.roomsOf(first.actor);
      } catch (err) {
        // Unknown rights hear nothing until the next connection or change.
        log.error({ err, userId }, 'could not read rights; the sockets keep their user room only');
      }
    }
    if (clock.rightsChangedSince(userId, roomsComputedAt)) {
      return; // a later change queued another job, which reads fresher rights
    }
    for (const { socket } of admitted) {
      setRooms(socket, desired);
      socket.data.roomsComputedAt = roomsComputedAt;
    }
  };

  return (userId) => {
    const job = (queues.get(userId) ?? Promise.resolve())
      .then(() => recompute(userId))
      .catch((err: unknown) => {
        log.error({ err, userId }, 'socket rooms recompute failed');
      });
    queues.set(userId, job);
    void job.then(() => {
      if (queues.get(userId) === job) {
        queues.delete(userId);
      }
    });
  };
}
