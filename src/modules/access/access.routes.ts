import { z } from 'zod';

import { requireRole } from '../../http/auth.js';
import { envelope, errors, ok } from '../../http/envelope.js';
import type { ApiApp } from '../../http/types.js';
import { SessionParams } from '../sessions/sessions.schemas.js';
import { AccessParams, GrantBody, GrantDto } from './access.schemas.js';
import type { AccessService } from './access.service.js';

const Revoked = z
  .object({ sessionId: z.string(), managerId: z.string(), revoked: z.boolean() })
  .meta({ id: 'Revoked' });

export function accessRoutes(app: ApiApp, access: AccessService): void {
  const adminOnly = requireRole('admin');
  const tags = ['access'];

  app.post(
    '/whatsapp/sessions/:sessionId/access',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: "Grant or update a manager's rights on the session (all false revokes)",
        params: SessionParams,
        body: GrantBody,
        response: { 200: envelope(GrantDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await access.grant(req.actor, req.params.sessionId, req.body)),
  );

  app.get(
    '/whatsapp/sessions/:sessionId/access',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: "The session's grants",
        params: SessionParams,
        response: { 200: envelope(z.array(GrantDto)), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await access.list(req.actor, req.params.sessionId)),
  );

  app.delete(
    '/whatsapp/sessions/:sessionId/access/:managerId',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: "Revoke a manager's access; their sockets stop getting the session's events at once",
        params: AccessParams,
        response: { 200: envelope(Revoked), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await access.revoke(req.actor, req.params.sessionId, req.params.managerId)),
  );
}
