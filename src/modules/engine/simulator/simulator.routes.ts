import { z } from 'zod';

import { requireRole } from '../../../http/auth.js';
import { envelope, errors, ok } from '../../../http/envelope.js';
import type { ApiApp } from '../../../http/types.js';
import type { Actor } from '../../../shared/actor.js';
import { SessionParams } from '../../sessions/sessions.schemas.js';
import type { EngineRouteDeps } from '../create-engine.js';
import {
  DropBody,
  FaultsBody,
  HistoryBody,
  IncomingBody,
  Outgoing,
  ScanBody,
  StatusBody,
} from './simulator.schemas.js';
import type { SimulatorNetwork } from './simulator-network.js';

type SimulatorRouteDeps = EngineRouteDeps & { network: SimulatorNetwork };

const adminOnly = requireRole('admin');
const tags = ['simulator'];

/**
 * The simulated phone and network's control panel, registered only with WA_ENGINE=simulator.
 * Each call waits until the service has handled what it caused, so a caller sees the result.
 */
export function simulatorRoutes(app: ApiApp, deps: SimulatorRouteDeps): void {
  phoneRoutes(app, deps);
  harnessRoutes(app, deps);
}

/**
 * Does what was asked on the actor's session (404 unless it is the actor's company's) and resolves
 * once the service has handled what it caused.
 */
async function performed<T>(
  deps: EngineRouteDeps,
  req: { actor: Actor; params: { sessionId: string } },
  act: (sessionId: string) => T | Promise<T>,
): Promise<T> {
  await deps.requireSession(req.actor, req.params.sessionId);
  const result = await act(req.params.sessionId);
  await deps.settled(req.params.sessionId);
  return result;
}

/** The phone and its contacts, live: the QR is scanned, a contact writes, a receipt comes, the line drops. */
function phoneRoutes(app: ApiApp, deps: SimulatorRouteDeps): void {
  const { network } = deps;
  app.post(
    '/simulator/sessions/:sessionId/scan',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'The phone scans the pending QR: the session logs in',
        params: SessionParams,
        body: ScanBody.nullish(),
        response: {
          200: envelope(z.object({ sessionId: z.string(), phoneNumber: z.string() })),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => {
      const { phoneNumber } = await performed(deps, req, (sessionId) =>
        network.scan(sessionId, req.body ?? {}),
      );
      return ok({ sessionId: req.params.sessionId, phoneNumber });
    },
  );

  app.post(
    '/simulator/sessions/:sessionId/incoming',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'A contact sends a message (the same waMessageId twice is one message)',
        params: SessionParams,
        body: IncomingBody,
        response: {
          201: envelope(z.object({ waMessageId: z.string() })),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const message = await performed(deps, req, (sessionId) =>
        network.incoming(sessionId, {
          ...req.body,
          timestamp: req.body.timestamp ? new Date(req.body.timestamp) : undefined,
        }),
      );
      return reply.code(201).send(ok({ waMessageId: message.waMessageId }));
    },
  );

  app.post(
    '/simulator/sessions/:sessionId/status',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'WhatsApp reports delivered, read or played for a sent message',
        params: SessionParams,
        body: StatusBody,
        response: {
          200: envelope(z.object({ waMessageId: z.string(), status: z.string() })),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      await performed(deps, req, (sessionId) =>
        network.status(sessionId, req.body.waMessageId, req.body.status),
      );
      return ok(req.body);
    },
  );

  app.post(
    '/simulator/sessions/:sessionId/drop',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'The connection drops (reconnects by itself unless loggedOut)',
        params: SessionParams,
        body: DropBody.nullish(),
        response: {
          200: envelope(z.object({ sessionId: z.string(), loggedOut: z.boolean() })),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => {
      await performed(deps, req, (sessionId) => network.drop(sessionId, req.body ?? {}));
      return ok({ sessionId: req.params.sessionId, loggedOut: req.body?.loggedOut ?? false });
    },
  );
}

/** For tests and benchmarks: a history of any size, what the network received, injected faults. */
function harnessRoutes(app: ApiApp, deps: SimulatorRouteDeps): void {
  const { network } = deps;
  app.post(
    '/simulator/sessions/:sessionId/history',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'The linked phone sends its chat history in batches (with whatsapp:history_progress)',
        params: SessionParams,
        body: HistoryBody,
        response: {
          200: envelope(z.object({ chats: z.number(), messages: z.number() })),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => {
      const result = await performed(deps, req, (sessionId) =>
        network.history(sessionId, { batchSize: 500, ...req.body }),
      );
      return ok(result);
    },
  );

  app.get(
    '/simulator/sessions/:sessionId/outgoing',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary:
          'Every message the simulated network received from this session, in order, once per id (kept across restarts)',
        params: SessionParams,
        response: { 200: envelope(z.array(Outgoing)), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await deps.requireSession(req.actor, req.params.sessionId);
      return ok(network.outgoing(req.params.sessionId));
    },
  );

  app.post(
    '/simulator/sessions/:sessionId/faults',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Fault injection: offline network, send failure rate, send latency',
        params: SessionParams,
        body: FaultsBody,
        response: {
          200: envelope(
            z.object({ offline: z.boolean(), sendFailRate: z.number(), sendLatencyMs: z.number() }),
          ),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const faults = await performed(deps, req, (sessionId) => network.setFaults(sessionId, req.body));
      return ok(faults);
    },
  );
}
