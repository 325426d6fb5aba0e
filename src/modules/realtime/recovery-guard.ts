import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

import type { FastifyBaseLogger } from 'fastify';
import type { Session } from 'socket.io-adapter';

import type { Actor } from '../../shared/actor.js';
import type { Io } from './fan-out.js';
import { RecoveryAdapter } from './recovery-adapter.js';
import type { SocketData } from './socket-events.js';

/** The private `Namespace#_createSocket(client, auth)` of socket.io 4.8.4 (pinned exactly). */
type CreateSocket = (client: { request: IncomingMessage }, auth: Record<string, unknown>) => Promise<unknown>;

export interface RecoveryGuard {
  /**
   * The token check a resuming handshake already went through, handed over once to the
   * middleware (by the handshake's `auth` object, which the socket keeps as is); none otherwise.
   */
  takeProof(auth: object): Promise<Actor> | undefined;
}

/**
 * socket.io restores a session in the Socket constructor, before any middleware runs: the socket
 * gets the rooms and data it had, and the events it missed are written to the wire at once. So a
 * handshake that asks to resume (`pid` and `offset`) is authenticated before that, and the
 * session is handed back only to the user it belonged to; anyone else gets a fresh socket, which
 * the middleware then refuses or admits as who they are. The only hook between the CONNECT packet
 * and the constructor is the namespace's private `_createSocket` (socket.io is pinned to an exact
 * version); should an upgrade rename it, attaching fails here rather than the check going quiet.
 */
export function guardRecovery(
  io: Io,
  deps: {
    authenticateHandshake: (auth: unknown, headers: IncomingHttpHeaders) => Promise<Actor>;
    isStale: (data: Partial<SocketData> | undefined) => boolean;
    log: FastifyBaseLogger;
  },
): RecoveryGuard {
  const { log } = deps;
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
    const proof = deps.authenticateHandshake(auth, client.request.headers);
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
    if (session && deps.isStale(session.data as Partial<SocketData>)) {
      log.debug({ userId: owner.userId }, 'socket recovery refused: rights changed');
      return null as unknown as Session;
    }
    return session;
  };

  return {
    takeProof(auth) {
      const proof = proofs.get(auth);
      proofs.delete(auth);
      return proof;
    },
  };
}
