import { z } from 'zod';

import { requireRole } from '../../http/auth.js';
import { envelope, errors, ok } from '../../http/envelope.js';
import type { ApiApp } from '../../http/types.js';
import {
  CreateSessionBody,
  PairingCodeBody,
  PairingCodeDto,
  QrDto,
  SessionDto,
  SessionParams,
} from './sessions.schemas.js';
import type { SessionsService } from './sessions.service.js';

const Deleted = z.object({ sessionId: z.string(), deleted: z.literal(true) }).meta({ id: 'DeletedSession' });

export function sessionsRoutes(app: ApiApp, sessions: SessionsService): void {
  const adminOnly = requireRole('admin');
  const tags = ['sessions'];

  app.post(
    '/whatsapp/sessions',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Create a session and start its engine (a QR follows)',
        body: CreateSessionBody.nullish(),
        response: { 201: envelope(SessionDto), ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(ok(await sessions.create(req.actor, req.body ?? {}))),
  );

  app.get(
    '/whatsapp/sessions',
    {
      schema: {
        tags,
        summary: "Admins: the company's sessions. Managers: those granted, with their rights",
        response: { 200: envelope(z.array(SessionDto)), ...errors(401) },
      },
    },
    async (req) => ok(await sessions.list(req.actor)),
  );

  app.get(
    '/whatsapp/sessions/:sessionId',
    {
      schema: {
        tags,
        summary: 'One session (admins, or managers with any access)',
        params: SessionParams,
        response: { 200: envelope(SessionDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await sessions.get(req.actor, req.params.sessionId)),
  );

  app.get(
    '/whatsapp/sessions/:sessionId/qr',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'The pending QR as a PNG data URL (null when none is pending)',
        params: SessionParams,
        response: { 200: envelope(QrDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await sessions.qr(req.actor, req.params.sessionId)),
  );

  app.post(
    '/whatsapp/sessions/:sessionId/pairing-code',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Link by an 8-character code entered on the phone instead of a QR',
        params: SessionParams,
        body: PairingCodeBody,
        response: { 200: envelope(PairingCodeDto), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => ok(await sessions.pairingCode(req.actor, req.params.sessionId, req.body)),
  );

  app.post(
    '/whatsapp/sessions/:sessionId/disconnect',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Log the account out; the session stays (disconnected) with its history',
        params: SessionParams,
        response: { 200: envelope(SessionDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await sessions.disconnect(req.actor, req.params.sessionId)),
  );

  app.post(
    '/whatsapp/sessions/:sessionId/reconnect',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Restart the engine; a logged-out session gets a fresh QR',
        params: SessionParams,
        response: { 200: envelope(SessionDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await sessions.reconnect(req.actor, req.params.sessionId)),
  );

  app.delete(
    '/whatsapp/sessions/:sessionId',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Log out and delete the session with its chats, messages and credentials',
        params: SessionParams,
        response: { 200: envelope(Deleted), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await sessions.remove(req.actor, req.params.sessionId)),
  );
}
