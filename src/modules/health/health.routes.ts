import { z } from 'zod';

import type { Database } from '../../db/client.js';
import { envelope, errors, ok } from '../../http/envelope.js';
import { ServiceUnavailableError } from '../../http/errors.js';
import type { ApiApp } from '../../http/types.js';

const Health = z
  .object({
    status: z.literal('ok'),
    db: z.literal('ok'),
    database: z.enum(['pglite', 'postgres']),
    engine: z.string(),
    version: z.string(),
    uptimeSeconds: z.number().int(),
  })
  .meta({ id: 'Health' });

export function healthRoutes(
  app: ApiApp,
  deps: { database: Database; engine: string; version: string },
): void {
  const startedAt = Date.now();
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Liveness and database reachability (503 while the database is unreachable)',
        security: [],
        response: { 200: envelope(Health), ...errors(503) },
      },
    },
    async () => {
      if (!(await deps.database.ping())) {
        throw new ServiceUnavailableError('DATABASE_UNAVAILABLE', 'The database is unreachable', {
          status: 'degraded',
          db: 'unreachable',
        });
      }
      return ok({
        status: 'ok' as const,
        db: 'ok' as const,
        database: deps.database.kind,
        engine: deps.engine,
        version: deps.version,
        uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
      });
    },
  );
}
