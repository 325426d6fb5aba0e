import type { IncomingHttpHeaders } from 'node:http';

import type { FastifyBaseLogger } from 'fastify';
import type { ExtendedError } from 'socket.io';

import { type Authenticate, bearerToken } from '../../http/auth.js';
import { UnauthorizedError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';

/** `auth: { token }` as the contract says; an Authorization header serves clients that set one. */
export function tokenOf(auth: unknown, headers: IncomingHttpHeaders): string | null {
  const sent: unknown = (auth as Record<string, unknown> | undefined)?.token;
  if (typeof sent === 'string' && sent.trim() !== '') {
    return sent.trim().replace(/^Bearer\s+/i, '');
  }
  return bearerToken(headers.authorization);
}

/** The handshake's token check: the same as HTTP's; no token is refused. */
export function authenticateHandshake(
  authenticate: Authenticate,
  auth: unknown,
  headers: IncomingHttpHeaders,
): Promise<Actor> {
  const token = tokenOf(auth, headers);
  return token
    ? authenticate(token)
    : Promise.reject(
        new UnauthorizedError('UNAUTHORIZED', 'A token is required: connect with auth: { token }'),
      );
}

/** What a refused handshake tells the client: its error code, or that authentication is unavailable. */
export function refusal(err: unknown, log: FastifyBaseLogger): ExtendedError {
  if (err instanceof UnauthorizedError) {
    log.debug({ code: err.code }, 'socket handshake refused');
    return Object.assign(new Error(err.message), { data: { code: err.code } });
  }
  log.warn({ err }, 'socket handshake failed');
  return Object.assign(new Error('Authentication is unavailable, try again later'), {
    data: { code: 'SERVICE_UNAVAILABLE' },
  });
}
