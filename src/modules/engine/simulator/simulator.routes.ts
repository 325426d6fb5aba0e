import { z } from 'zod';

import { requireRole } from '../../../http/auth.js';
import { envelope, errors, ok } from '../../../http/envelope.js';
import type { ApiApp } from '../../../http/types.js';
import type { Actor } from '../../../shared/actor.js';
import { SessionParams } from '../../sessions/sessions.schemas.js';
import type { SimulatorNetwork } from './simulator-network.js';

const MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'voice',
  'document',
  'sticker',
  'location',
  'contact',
] as const;

const ScanBody = z
  .strictObject({
    phoneNumber: z
      .string()
      .trim()
      .regex(/^\d{7,15}$/, 'digits with country code')
      .optional(),
    displayName: z.string().trim().min(1).max(100).optional(),
  })
  .meta({ id: 'SimulatorScan' });

const IncomingBody = z
  .strictObject({
    from: z.string().trim().min(1).max(64),
    pushName: z.string().trim().max(100).optional(),
    text: z.string().max(65_536),
    type: z.enum(MESSAGE_TYPES).optional(),
    waMessageId: z.string().trim().min(1).max(128).optional(),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    fromMe: z.boolean().optional().meta({ description: 'the linked phone itself wrote this to `from`' }),
  })
  .meta({ id: 'SimulatorIncoming' });

const StatusBody = z
  .strictObject({
    waMessageId: z.string().trim().min(1).max(128),
    status: z.enum(['delivered', 'read', 'played']),
  })
  .meta({ id: 'SimulatorStatus' });

const DropBody = z
  .strictObject({ loggedOut: z.boolean().optional(), reason: z.string().trim().max(200).optional() })
  .meta({ id: 'SimulatorDrop' });

const FaultsBody = z
  .strictObject({
    offline: z.boolean().optional(),
    sendFailRate: z.number().min(0).max(1).optional(),
    sendLatencyMs: z.number().int().min(0).max(60_000).optional(),
  })
  .meta({ id: 'SimulatorFaults' });

const HistoryBody = z
  .strictObject({
    chats: z.number().int().min(1).max(10_000),
    messagesPerChat: z.number().int().min(1).max(10_000),
    batchSize: z.number().int().min(1).max(10_000).optional(),
  })
  .refine((b) => b.chats * b.messagesPerChat <= 1_000_000, { message: 'at most 1,000,000 messages' })
  .meta({ id: 'SimulatorHistory' });

const Outgoing = z.object({
  waMessageId: z.string(),
  to: z.string(),
  text: z.string(),
  quotedWaMessageId: z.string().nullable(),
  at: z.string(),
  deliveries: z.number().int().meta({
    description: 'how many times the network received this id: 1, or more when it was sent again',
  }),
});

/**
 * The simulated phone and network's control panel, registered only with WA_ENGINE=simulator.
 * Each call waits until the service has handled what it caused, so a caller sees the result.
 */
export function simulatorRoutes(
  app: ApiApp,
  deps: {
    network: SimulatorNetwork;
    /** 404 unless the session is the actor's company's. */
    requireSession: (actor: Actor, sessionId: string) => Promise<unknown>;
    /** Resolves once the session has handled every event its engine reported so far. */
    settled: (sessionId: string) => Promise<void>;
  },
): void {
  const adminOnly = requireRole('admin');
  const tags = ['simulator'];
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
      await deps.requireSession(req.actor, req.params.sessionId);
      const { phoneNumber } = await network.scan(req.params.sessionId, req.body ?? {});
      await deps.settled(req.params.sessionId);
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
      await deps.requireSession(req.actor, req.params.sessionId);
      const message = network.incoming(req.params.sessionId, {
        ...req.body,
        timestamp: req.body.timestamp ? new Date(req.body.timestamp) : undefined,
      });
      await deps.settled(req.params.sessionId);
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
      await deps.requireSession(req.actor, req.params.sessionId);
      network.status(req.params.sessionId, req.body.waMessageId, req.body.status);
      await deps.settled(req.params.sessionId);
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
      await deps.requireSession(req.actor, req.params.sessionId);
      await network.drop(req.params.sessionId, req.body ?? {});
      await deps.settled(req.params.sessionId);
      return ok({ sessionId: req.params.sessionId, loggedOut: req.body?.loggedOut ?? false });
    },
  );

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
      await deps.requireSession(req.actor, req.params.sessionId);
      const result = network.history(req.params.sessionId, { batchSize: 500, ...req.body });
      await deps.settled(req.params.sessionId);
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
      await deps.requireSession(req.actor, req.params.sessionId);
      const faults = await network.setFaults(req.params.sessionId, req.body);
      await deps.settled(req.params.sessionId);
      return ok(faults);
    },
  );
}
