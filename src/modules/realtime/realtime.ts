import type { IncomingHttpHeaders, IncomingMessage, Server as HttpServer } from 'node:http';

import type { FastifyBaseLogger } from 'fastify';
import { type ExtendedError, Server, type Socket } from 'socket.io';
import type { Session } from 'socket.io-adapter';

import type { EventBus } from '../../events/event-bus.js';
import { type Authenticate, bearerToken } from '../../http/auth.js';
import { UnauthorizedError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';
import type { AccessPolicy } from '../access/policy.js';
import { type Io, ioOutbox, subscribeFanOut } from './fan-out.js';
import { MAX_DISCONNECTION_MS, RecoveryAdapter } from './recovery-adapter.js';
import { type RoomMember, rooms, roomsFor, sessionRooms, setRooms } from './rooms.js';
import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from './socket-events.js';

/** How long a user's "rights changed" mark must outlive any socket state computed before it. */
const CHANGE_MEMORY_MS = MAX_DISCONNECTION_MS + 60_000;

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

/** The private `Namespace#_createSocket(client, auth)` of socket.io 4.8.4 (pinned exactly). */
type CreateSocket = (client: { request: IncomingMessage }, auth: Record<string, unknown>) => Promise<unknown>;

type AnySocket = RoomMember & {
  id: string;
  data: Partial<SocketData>;
  handshake: Socket['handshake'];
  disconnect(close?: boolean): unknown;
};

/**
 * Attaches socket.io to the HTTP server. Authorization is room membership (rooms.ts): the handshake
 * refuses bad tokens, each connection (fresh or recovered) gets the rooms the access policy allows,
 * and a change of rights or of the user recomputes the rooms of that user's sockets at once.
 */
export function attachRealtime(server: HttpServer, deps: RealtimeDeps): Realtime {
  const log = deps.log.child({ module: 'realtime' });
  const cors = deps.corsOrigins;
  const io: Io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(
    server,
    {
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
    },
  );

  // --- Membership bookkeeping -------------------------------------------------------------------
  // A version number that goes up whenever a user's rights (or the user) change. A socket records
  // the version its rooms were computed at; rooms computed before the user's latest change are stale.
  let rightsVersion = 0;
  const rightsChangedAt = new Map<string, { version: number; at: number }>();
  const markRightsChanged = (userId: string) => {
    rightsVersion += 1;
    const now = Date.now();
    rightsChangedAt.set(userId, { version: rightsVersion, at: now });
    if (rightsChangedAt.size > 1000) {
      for (const [id, mark] of rightsChangedAt) {
        if (now - mark.at > CHANGE_MEMORY_MS) {
          rightsChangedAt.delete(id);
        }
      }
    }
  };
  const rightsChangedSince = (userId: string, version: number) =>
    (rightsChangedAt.get(userId)?.version ?? 0) > version;
  const isStale = (data: Partial<SocketData> | undefined) =>
    !data?.actor || rightsChangedSince(data.actor.userId, data.roomsComputedAt ?? -1);

  const roomsOf = async (actor: Actor) =>
    roomsFor(actor, actor.role === 'admin' ? [] : await deps.policy.visibleSessions(actor));

  // Rooms computed by the handshake, applied on connection.
  const handshakeRooms = new WeakMap<object, string[]>();

  // --- Recovery -------------------------------------------------------------------------------------
  // socket.io restores a session in the Socket constructor, before any middleware runs: the socket
  // gets the rooms and data it had, and the events it missed are written to the wire at once. So a
  // handshake that asks to resume (`pid` and `offset`) is authenticated before that, and the
  // session is handed back only to the user it belonged to; anyone else gets a fresh socket, which
  // the middleware then refuses or admits as who they are. The only hook between the CONNECT packet
  // and the constructor is the namespace's private `_createSocket` (socket.io is pinned to an exact
  // version); should an upgrade rename it, attaching fails here rather than the check going quiet.
  const namespace = io.of('/') as unknown as { _createSocket?: CreateSocket };
  const adapter = io.of('/').adapter;
  if (typeof namespace._createSocket !== 'function' || !(adapter instanceof RecoveryAdapter)) {
    throw new Error(
      "socket.io's Namespace#_createSocket or the recovery adapter is missing: recovery cannot be authenticated",
    );
  }
  // The handshake's token check, done once: by `_createSocket` for a resuming handshake, read back
  // by the middleware through the handshake's `auth` object (which the socket keeps as is).
  const proofs = new WeakMap<object, Promise<Actor>>();
  // The verified user of the handshake whose socket is being created, by the pid it asks for. Set
  // and cleared around the synchronous start of `_createSocket`, which is when it restores.
  const claimants = new Map<string, Actor>();

  const createSocket = namespace._createSocket.bind(namespace);
  namespace._createSocket = async (client, auth) => {
    const pid = auth.pid;
    if (typeof pid !== 'string' || typeof auth.offset !== 'string') {
      return createSocket(client, auth);
    }
    const proof = authenticateHandshake(auth, client.request.headers);
    proofs.set(auth, proof);
    const actor = await proof.catch(() => null);
    if (actor) {
      claimants.set(pid, actor);
    }
    try {
      return createSocket(client, auth);
    } finally {
      claimants.delete(pid);
    }
  };

  // Only the owner gets the session back (looked at first, so that no one else's attempt uses it
  // up). And if the owner's rights changed while away, the rooms the socket had are no longer a
  // safe filter for what it missed: the client starts afresh instead (it refetches what it shows).
  const restore = adapter.restoreSession.bind(adapter);
  adapter.restoreSession = async (pid, offset) => {
    const claimant = claimants.get(pid);
    const owner = (adapter.keptData(pid) as Partial<SocketData> | undefined)?.actor;
    if (!claimant || !owner || owner.userId !== claimant.userId || owner.companyId !== claimant.companyId) {
      if (owner) {
        log.debug(
          { userId: owner.userId, claimant: claimant?.userId },
          'socket recovery refused: not its owner',
        );
      }
      return null as unknown as Session;
    }
    const session = await restore(pid, offset);
    if (session && isStale(session.data as Partial<SocketData>)) {
      log.debug({ userId: owner.userId }, 'socket recovery refused: rights changed');
      return null as unknown as Session;
    }
    return session;
  };

  // --- Handshake ----------------------------------------------------------------------------------
  io.use((socket, next) => {
    void admit(socket).then(
      () => next(),
      (err: unknown) => next(refusal(err)),
    );
  });

  const authenticateHandshake = (auth: unknown, headers: IncomingHttpHeaders): Promise<Actor> => {
    const token = tokenOf(auth, headers);
    return token
      ? deps.authenticate(token)
      : Promise.reject(
          new UnauthorizedError('UNAUTHORIZED', 'A token is required: connect with auth: { token }'),
        );
  };

  const admit = async (
    socket: Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>,
  ) => {
    const { auth, headers } = socket.handshake;
    const proof = proofs.get(auth);
    proofs.delete(auth);
    const actor = await (proof ?? authenticateHandshake(auth, headers));
    const roomsComputedAt = rightsVersion;
    const desired = await roomsOf(actor);
    socket.data = { actor, roomsComputedAt };
    handshakeRooms.set(socket, desired);
  };

  const refusal = (err: unknown): ExtendedError => {
    if (err instanceof UnauthorizedError) {
      log.debug({ code: err.code }, 'socket handshake refused');
      return Object.assign(new Error(err.message), { data: { code: err.code } });
    }
    log.warn({ err }, 'socket handshake failed');
    return Object.assign(new Error('Authentication is unavailable, try again later'), {
      data: { code: 'SERVICE_UNAVAILABLE' },
    });
  };

  // --- Connection ---------------------------------------------------------------------------------
  io.on('connection', (socket) => {
    const { actor } = socket.data;
    const userRoom = rooms.user(actor.userId);
    if (isStale(socket.data)) {
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
  // One job at a time per user; only a job that started after the user's latest change applies.
  const queues = new Map<string, Promise<void>>();
  const refresh = (userId: string) => {
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

  /** Re-checks every socket of the user (token, user still active) and resets its rooms. */
  const recompute = async (userId: string) => {
    const roomsComputedAt = rightsVersion;
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
        desired = await roomsOf(first.actor);
      } catch (err) {
        // Unknown rights hear nothing until the next connection or change.
        log.error({ err, userId }, 'could not read rights; the sockets keep their user room only');
      }
    }
    if (rightsChangedSince(userId, roomsComputedAt)) {
      return; // a later change queued another job, which reads fresher rights
    }
    for (const { socket } of admitted) {
      setRooms(socket, desired);
      socket.data.roomsComputedAt = roomsComputedAt;
    }
  };

  const offs = [
    subscribeFanOut(deps.events, ioOutbox(io)),
    // The event carries the new rights, so the user's sockets move rooms synchronously: a revoke is
    // in force before the HTTP answer, and no event of the session can fall between leave and join.
    deps.events.on('access.changed', ({ userId, sessionId, rights }) => {
      markRightsChanged(userId);
      const sockets = io.in(rooms.user(userId));
      sockets.socketsLeave([rooms.readers(sessionId), rooms.members(sessionId)]);
      sockets.socketsJoin(sessionRooms(sessionId, rights));
      io.to(rooms.user(userId)).emit('whatsapp:access_changed', { sessionId, rights });
      // Connected sockets now hold the current rooms: they may recover later; only those away now may not.
      for (const id of io.of('/').adapter.rooms.get(rooms.user(userId)) ?? []) {
        const socket = io.of('/').sockets.get(id);
        if (socket) {
          socket.data.roomsComputedAt = rightsVersion;
        }
      }
    }),
    deps.events.on('user.changed', ({ userId }) => {
      // A new password ends old tokens, a deactivation all of them: each socket re-proves its token.
      markRightsChanged(userId);
      refresh(userId);
    }),
    deps.events.on('user.deactivated', ({ userId }) => {
      markRightsChanged(userId);
      io.in(rooms.user(userId)).disconnectSockets(true);
    }),
    deps.events.on('session.deleted', ({ sessionId }) => {
      const gone = [rooms.readers(sessionId), rooms.members(sessionId)];
      io.in(gone).socketsLeave(gone);
    }),
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

/** `auth: { token }` as the contract says; an Authorization header serves clients that set one. */
function tokenOf(auth: unknown, headers: IncomingHttpHeaders): string | null {
  const sent: unknown = (auth as Record<string, unknown> | undefined)?.token;
  if (typeof sent === 'string' && sent.trim() !== '') {
    return sent.trim().replace(/^Bearer\s+/i, '');
  }
  return bearerToken(headers.authorization);
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
