import { requireRole } from '../../http/auth.js';
import { envelope, errors, ok, page, pageEnvelope } from '../../http/envelope.js';
import { PageQuery } from '../../http/pagination.js';
import type { ApiApp } from '../../http/types.js';
import { UserDto } from './companies.schemas.js';
import { CreateManagerBody, ManagerParams, UpdateManagerBody } from './managers.schemas.js';
import type { ManagersService } from './managers.service.js';

export function managersRoutes(app: ApiApp, managers: ManagersService): void {
  const adminOnly = requireRole('admin');
  const tags = ['managers'];

  app.get(
    '/managers',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: "The company's managers",
        querystring: PageQuery,
        response: { 200: pageEnvelope(UserDto), ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const result = await managers.list(req.actor, req.query);
      return page(result.items, result.pagination);
    },
  );

  app.post(
    '/managers',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Create a manager',
        body: CreateManagerBody,
        response: { 201: envelope(UserDto), ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(ok(await managers.create(req.actor, req.body))),
  );

  app.patch(
    '/managers/:managerId',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Edit a manager (name, email, password, active)',
        params: ManagerParams,
        body: UpdateManagerBody,
        response: { 200: envelope(UserDto), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => ok(await managers.update(req.actor, req.params.managerId, req.body)),
  );

  app.delete(
    '/managers/:managerId',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Deactivate a manager; their tokens and sockets stop working at once',
        params: ManagerParams,
        response: { 200: envelope(UserDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await managers.deactivate(req.actor, req.params.managerId)),
  );
}
