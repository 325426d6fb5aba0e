import type { IncomingMessage, Server as HttpServer } from 'node:http';

import type { FastifyBaseLogger } from 'fastify';
import { Server, type Socket } from 'socket.io';

import type { EventBus } from '../../events/event-bus.js';
import type { Authenticate } from '../../http/auth.js';
import type { Actor } from '../../shared/actor.js';
import type { AccessPolicy } from '../access/policy.js';
import { type Io, ioOutbox, subscribeFanOut } from './fan-out.js';
import { authenticateHandshake, refusal } from './handshake.js';
import { subscribeMembership } from './membership-events.js';
import { MAX_DISCONNECTION_MS, RecoveryAdapter } from './recovery-adapter.js';
import { guardRecovery } from './recovery-guard.js';
import { createRightsClock } from './rights-clock.js';
import { rooms, roomsFor, setRooms } from './rooms.js';
import { createRoomsRefresh } from './rooms-refresh.js';
import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from './socket-events.js';

export interface RealtimeDeps {
  /** The same token check as HTTP. */
  authenticate: Authenticate;
  policy: Pick<AccessPolicy, 'visibleSessions'>;
  events: EventBus;
  log: FastifyBaseLogger;
  /** The HTTP CORS origins; none → same-origin only. */
  corsOrigins: string[];
  /** Behind a trusted proxy, the same-origin check reads X-Forwarded-Host. */
  trustProxy: boolean;
}

export interface Realtime {
  io: Io;
  /** Disconnects every socket and stops the engine.io server. */
  close(): Promise<void>;
}

/**
 * Attaches socket.io to the HTTP server. Authorization is room membership (rooms.ts): the handshake
 * refuses bad tokens, each connection (fresh or recovered) gets the rooms the access policy allows,
 * and a change of rights or of the user recomputes the rooms of that user's sockets at once.
 */
export function attachRealtime(server: HttpServer, deps: RealtimeDeps): Realtime {
  const log = deps.log.child({ module: 'realtime' });
  const io = createIo(server, deps);
  const clock = createRightsClock();
  const roomsOf = async (actor: Actor) =>
    roomsFor(actor, actor.role === 'admin' ? [] : await deps.policy.visibleSessions(actor));
  // Rooms computed by the handshake, applied on connection.
  const handshakeRooms = new WeakMap<object, string[]>();

  const recovery = guardRecovery(io, {
    authenticateHandshake: (auth, headers) => authenticateHandshake(deps.authenticate, auth, headers),
    isStale: clock.isStale,
    log,
  });

  // --- Handshake ----------------------------------------------------------------------------------
  io.use((socket, next) => {
    void admit(socket).then(
      () => next(),
      (err: unknown) => next(refusal(err, log)),
    );
  });

  const admit = async (
    socket: Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>,
  ) => {
    const { auth, headers } = socket.handshake;
    const proof = recovery.takeProof(auth);
    const actor = await (proof ?? authenticateHandshake(deps.authenticate, auth, headers));
    const roomsComputedAt = clock.version();
    const desired = await roomsOf(actor);
    socket.data = { actor, roomsComputedAt };
    handshakeRooms.set(socket, desired);
  };

  // --- Connection ---------------------------------------------------------------------------------
  io.on('connection', (socket) => {
    const { actor } = socket.data;
    const userRoom = rooms.user(actor.userId);
    if (clock.isStale(socket.data)) {
      // Rights changed while the handshake read them: hear nothing of them until they are re-read.
      setRooms(socket, [userRoom]);
      refresh(actor.userId);
    } else {
      // Fresh or recovered alike: the rooms are what the policy says now, not what the socket had.
      setRooms(socket, handshakeRooms.get(socket) ?? [userRoom]);
    }
    handshakeRooms.delete(socket);
    const context = { companyId: actor.companyId, userId: actor.userId, socketId: socket.id };
    log.debug({ ...context, role: actor.role, recovered: socket.recovered }, 'socket connected');
    socket.on('disconnect', (reason) => log.debug({ ...context, reason }, 'socket disconnected'));
    io.to(socket.id).emit('realtime:connected', { recovered: socket.recovered });
  });

  // --- Recompute on change ------------------------------------------------------------------------
  const refresh = createRoomsRefresh({ io, authenticate: deps.authenticate, roomsOf, clock, log });
  const offs = [
    subscribeFanOut(deps.events, ioOutbox(io)),
    ...subscribeMembership(io, deps.events, { clock, refresh }),
  ];

  return {
    io,
    async close() {
      for (const off of offs) {
        off();
      }
      await io.close();
    },
  };
}

function createIo(server: HttpServer, deps: RealtimeDeps): Io {
  const cors = deps.corsOrigins;
  return new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(server, {
    serveClient: false,
    // Clients send nothing but the handshake; a large token still fits.
    maxHttpBufferSize: 64 * 1024,
    connectionStateRecovery: { maxDisconnectionDuration: MAX_DISCONNECTION_MS, skipMiddlewares: false },
    adapter: RecoveryAdapter,
    ...(cors.length > 0 ? { cors: { origin: cors.includes('*') ? true : cors } } : {}),
    // `cors` only answers browsers' polling requests; WebSocket handshakes carry an Origin that
    // nothing else checks, so both transports pass through the same origin rule here.
    allowRequest: (req, callback) => {
      const allowed = originAllowed(req, cors, deps.trustProxy);
      callback(allowed ? null : 'origin not allowed', allowed);
    },
  });
}

/** No Origin (non-browser clients), a configured origin, or the server's own origin. */
function originAllowed(req: IncomingMessage, allowed: string[], trustProxy: boolean): boolean {
  const origin = req.headers.origin;
  if (!origin || allowed.includes('*') || allowed.includes(origin)) {
    return true;
  }
  const forwarded = trustProxy ? req.headers['x-forwarded-host'] : undefined;
  const host =
    (typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined) ?? req.headers.host;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
