import { requireRole } from '../../http/auth.js';
import { envelope, errors, ok } from '../../http/envelope.js';
import type { ApiApp } from '../../http/types.js';
import { StatsDto, StatsQuery } from './stats.schemas.js';
import type { StatsService } from './stats.service.js';

export function statsRoutes(app: ApiApp, stats: StatsService): void {
  app.get(
    '/whatsapp/stats',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['stats'],
        summary: "The company's sessions, chats and messages of the last 30 days, by UTC day",
        querystring: StatsQuery,
        response: { 200: envelope(StatsDto), ...errors(400, 401, 403) },
      },
    },
    async (req) => ok(await stats.get(req.actor)),
  );
}
