import { envelope, errors, ok } from '../../http/envelope.js';
import type { ApiApp } from '../../http/types.js';
import { AuthResult, LoginBody, MeResult, RegisterBody } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';

export function authRoutes(app: ApiApp, auth: AuthService, options: { rateLimitPerMinute: number }): void {
  // Per client address; @fastify/rate-limit answers 429 with Retry-After.
  const rateLimit = { max: options.rateLimitPerMinute, timeWindow: 60_000 };

  app.post(
    '/auth/register',
    {
      config: { public: true, rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Create a company and its first admin',
        security: [],
        body: RegisterBody,
        response: { 201: envelope(AuthResult), ...errors(400, 409, 413, 429) },
      },
    },
    async (req, reply) => reply.code(201).send(ok(await auth.register(req.body, { ip: req.ip }))),
  );

  app.post(
    '/auth/login',
    {
      config: { public: true, rateLimit },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password',
        security: [],
        body: LoginBody,
        response: { 200: envelope(AuthResult), ...errors(400, 401, 429) },
      },
    },
    async (req) => ok(await auth.login(req.body, { ip: req.ip })),
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The current user and company',
        response: { 200: envelope(MeResult), ...errors(401) },
      },
    },
    async (req) => ok(await auth.me(req.actor)),
  );
}
