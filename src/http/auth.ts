import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';

import type { Actor } from '../shared/actor.js';
import type { Role } from '../shared/role.js';
import { ForbiddenError, UnauthorizedError } from './errors.js';
import type { ApiApp } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once by the authentication hook; routes marked `config: { public: true }` have none. */
    actor: Actor;
  }
  interface FastifyContextConfig {
    /** The route needs no token (register, login, health). */
    public?: boolean;
  }
}

/** Turns a bearer token into an actor, or throws UnauthorizedError. Shared by HTTP and sockets. */
export type Authenticate = (token: string) => Promise<Actor>;

export function bearerToken(header: string | undefined): string | null {
  if (!header) {
    return null;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Adds the one authentication hook to a route scope: every route in it needs a valid token
 * unless it declares `config: { public: true }`. The request log gains companyId and userId.
 */
export function useAuthentication(app: ApiApp, authenticate: Authenticate): void {
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    if (request.routeOptions.config.public) {
      return;
    }
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      throw new UnauthorizedError('UNAUTHORIZED', 'A bearer token is required');
    }
    const actor = await authenticate(token);
    request.actor = actor;
    request.log = request.log.child({ companyId: actor.companyId, userId: actor.userId });
  });
}

/** Route-level role gate, e.g. `preHandler: requireRole('admin')`. */
export function requireRole(role: Role): preHandlerHookHandler {
  return (request, _reply, done) => {
    if (request.actor.role !== role) {
      done(new ForbiddenError('FORBIDDEN', `This action needs the ${role} role`));
      return;
    }
    done();
  };
}
