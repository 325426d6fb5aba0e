import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import { BadRequestError } from './errors.js';

/** Where in a parsed value a NUL character hides, as a dotted path; null if none. */
function nulPath(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? path : null;
  }
  if (depth > 32 || value === null || typeof value !== 'object') {
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const found = key.includes('\u0000') ? path : nulPath(item, path ? `${path}.${key}` : key, depth + 1);
    if (found !== null) {
      return found;
    }
  }
  return null;
}

/**
 * PostgreSQL cannot store the NUL character in text, so a request carrying one is refused here,
 * with the field named, before it can reach a query and fail there.
 */
function nulGuardPlugin(app: FastifyInstance, _opts: unknown, done: () => void) {
  app.addHook('preValidation', (request, _reply, next) => {
    for (const [location, value] of [
      ['body', request.body],
      ['querystring', request.query],
      ['params', request.params],
    ] as const) {
      const field = nulPath(value, '');
      if (field !== null) {
        next(
          new BadRequestError('VALIDATION_ERROR', 'The request is invalid', [
            { field: field || location, in: location, message: 'must not contain the NUL character' },
          ]),
        );
        return;
      }
    }
    next();
  });
  done();
}

export const nulGuard = fp(nulGuardPlugin, { name: 'nul-guard' });
