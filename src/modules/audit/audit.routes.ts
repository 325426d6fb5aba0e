import { requireRole } from '../../http/auth.js';
import { errors, page, pageEnvelope } from '../../http/envelope.js';
import { PageQuery } from '../../http/pagination.js';
import type { ApiApp } from '../../http/types.js';
import { AuditEntryDto } from './audit.schemas.js';
import type { AuditService } from './audit.service.js';

export function auditRoutes(app: ApiApp, audit: AuditService): void {
  app.get(
    '/audit',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['audit'],
        summary: "The company's audit log, newest first",
        querystring: PageQuery,
        response: { 200: pageEnvelope(AuditEntryDto), ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const result = await audit.list(req.actor, req.query);
      return page(result.items, result.pagination);
    },
  );
}
