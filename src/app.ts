import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';

import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { createEventBus } from './events/event-bus.js';
import { useAuthentication } from './http/auth.js';
import { fail } from './http/envelope.js';
import { errorHandler } from './http/error-handler.js';
import { nulGuard } from './http/nul-guard.js';
import { serializerCompiler } from './http/serializer.js';
import type { ApiApp } from './http/types.js';
import { createModules, type Modules } from './modules/index.js';
import { socketEventsTable } from './modules/realtime/fan-out.js';
import { attachRealtime, type Realtime } from './modules/realtime/realtime.js';
import { redactUrl } from './shared/logger.js';

export interface AppDeps {
  config: Config;
  database: Database;
  logger: FastifyBaseLogger;
}

export interface App {
  http: ApiApp;
  modules: Modules;
  /** The socket.io server (tests look at who is connected). */
  realtime: Realtime;
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const OPENAPI_DESCRIPTION = `Link WhatsApp numbers by QR, give managers rights on them, and work the chats in real time.

Every response is an envelope: \`{success: true, data, pagination?}\` or \`{success: false, error: {code, message, details?, requestId}}\`.

## Real-time events (socket.io)
Connect to this origin (path \`/socket.io\`) with \`auth: { token }\`; a bad token is refused at the handshake.
Each socket hears only what its user may see, recomputed the moment access changes. Every payload carries \`sessionId\`.

${socketEventsTable()}
`;

/**
 * Fastify's log lines with the request id under `requestId`. Request URLs are logged through the
 * logger's `req` serializer, which redacts credentials in the query string; the one line Fastify
 * writes with the URL in its message (its default not-found handler's) is redacted the same way.
 */
class RequestLogController extends LogController {
  override routeNotFound(request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) {
      request.log.info(`Route ${request.raw.method}:${redactUrl(request.raw.url ?? '')} not found`);
    }
  }
}

/** Builds the whole service without listening: main.ts listens, tests inject. */
export async function buildApp({ config, database, logger }: AppDeps): Promise<App> {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    // A caller's X-Request-Id is kept when it is a sane token, so logs join up across services.
    requestIdHeader: false,
    genReqId: (req) => {
      const sent = req.headers['x-request-id'];
      return typeof sent === 'string' && /^[\w.:-]{1,64}$/.test(sent) ? sent : randomUUID();
    },
    logController: new RequestLogController({ requestIdLogLabel: 'requestId' }),
    // Errors Fastify raises before routing (a malformed URL) get the envelope too.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      void reply
        .code(error.statusCode ?? 400)
        .type('application/json; charset=utf-8')
        .send(fail('BAD_REQUEST', error.message, undefined, request.id));
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Once shutdown starts, every response closes its connection, so keep-alive clients do not
  // hold the server open past the requests it is finishing.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    if (closing) {
      void reply.header('connection', 'close');
    }
  });

  await app.register(errorHandler);
  await app.register(nulGuard);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // The console shows media it fetched with its token as blob: URLs.
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        // helmet's default would make a browser fetch the console's scripts over https when it is
        // opened over plain http on a network address (http://10.0.0.5:3000), and the page stays blank.
        upgradeInsecureRequests: null,
      },
    },
  });
  if (config.http.corsOrigins.length > 0) {
    const origins = config.http.corsOrigins;
    await app.register(cors, {
      origin: origins.includes('*') ? true : origins,
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'WhatsApp integration service',
        version,
        description: OPENAPI_DESCRIPTION,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // The document is always built (scripts/openapi.ts reads app.swagger()); it is served only with
  // API_DOCS, off by default in production. Without it both paths answer the 404 envelope.
  if (config.http.apiDocs) {
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  }

  const events = createEventBus((err, event) => app.log.error({ err, event }, 'event listener failed'));
  const modules = await createModules({ config, database, events, log: app.log, version });
  app.addHook('onClose', () => modules.stop());
  await app.register(
    (api, _opts, done) => {
      useAuthentication(api, modules.authenticate);
      modules.routes(api);
      done();
    },
    { prefix: '/api' },
  );

  if (existsSync(join(config.http.webRoot, 'index.html'))) {
    await serveWebConsole(app, config.http.webRoot);
  }

  const realtime = attachRealtime(app.server, {
    authenticate: modules.authenticate,
    policy: modules.policy,
    events,
    log: app.log,
    corsOrigins: config.http.corsOrigins,
    trustProxy: config.http.trustProxy,
  });
  // Sockets close before the HTTP server does (it would wait for them forever) and before engines stop.
  app.addHook('preClose', () => realtime.close());

  return { http: app, modules, realtime };
}

/** Paths the console never answers, so their unknown URLs keep the JSON 404 envelope. */
const SERVER_PATHS = ['/api', '/socket.io', '/docs', '/openapi.json'];

/**
 * The built web console (web/dist) at `/`: its files as they are (hashed `/assets/*` cached for a
 * year, everything else revalidated), and index.html for any other GET a browser makes for a page
 * (Accept: text/html), so the console's own routes survive a reload. Anything else gets the 404.
 */
async function serveWebConsole(app: ApiApp, webRoot: string) {
  const root = resolve(webRoot);
  await app.register(fastifyStatic, { root, serve: false });
  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html', root, { cacheControl: false });

  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    const rawPath = new URL(request.url, 'http://localhost').pathname;
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return reply.callNotFound();
    }
    if (SERVER_PATHS.some((p) => path === p || path.startsWith(`${p}/`))) {
      return reply.callNotFound();
    }
    const file = resolve(root, `.${path}`);
    const inside = file.startsWith(root + sep);
    if (inside && path !== '/index.html' && statSync(file, { throwIfNoEntry: false })?.isFile()) {
      const hashed = path.startsWith('/assets/');
      // sendFile decodes the path itself.
      return reply.sendFile(rawPath.slice(1), root, {
        cacheControl: true,
        maxAge: hashed ? 365 * 24 * 3600 * 1000 : 0,
        immutable: hashed,
      });
    }
    // Pages go to browsers; an API client asking for `/` or a stray path keeps the JSON 404.
    if (path === '/index.html' || request.headers.accept?.includes('text/html')) {
      return sendIndex(reply);
    }
    return reply.callNotFound();
  });
}
