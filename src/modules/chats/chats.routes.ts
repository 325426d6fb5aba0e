import { z } from 'zod';

import { envelope, errors, ok, page, pageEnvelope } from '../../http/envelope.js';
import { parseIdempotencyKey } from '../../http/idempotency.js';
import { PageQuery } from '../../http/pagination.js';
import type { ApiApp } from '../../http/types.js';
import { SessionParams } from '../sessions/sessions.schemas.js';
import {
  ChatDto,
  ChatListQuery,
  ChatParams,
  ChatPatchBody,
  MessageDto,
  SendBody,
  SendHeaders,
} from './chats.schemas.js';
import type { ChatsService } from './chats.service.js';
import type { MediaService } from './media.service.js';

const SentMessage = z.object({ message: MessageDto }).meta({ id: 'SentMessage' });

const MediaParams = z.strictObject({ sessionId: z.uuid(), messageId: z.uuid() });

export function chatsRoutes(app: ApiApp, chats: ChatsService, media: MediaService): void {
  const tags = ['chats'];

  app.get(
    '/whatsapp/sessions/:sessionId/chats',
    {
      schema: {
        tags,
        summary: 'Chats, newest activity first (canRead)',
        params: SessionParams,
        querystring: ChatListQuery,
        response: { 200: pageEnvelope(ChatDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const result = await chats.list(req.actor, req.params.sessionId, req.query);
      return page(result.items, result.pagination);
    },
  );

  app.get(
    '/whatsapp/sessions/:sessionId/chats/:chatId/messages',
    {
      schema: {
        tags,
        summary: "A chat's messages, newest first (canRead)",
        params: ChatParams,
        querystring: PageQuery,
        response: { 200: pageEnvelope(MessageDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const result = await chats.messages(req.actor, req.params.sessionId, req.params.chatId, req.query);
      return page(result.items, result.pagination);
    },
  );

  app.post(
    '/whatsapp/sessions/:sessionId/chats/:chatId/send',
    {
      schema: {
        tags,
        summary: 'Send a text message (canWrite); stored at once as pending, then delivered',
        params: ChatParams,
        headers: SendHeaders,
        body: SendBody,
        response: { 201: envelope(SentMessage), ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (req, reply) => {
      const key = parseIdempotencyKey(req.headers['idempotency-key']);
      const result = await chats.send(req.actor, req.params.sessionId, req.params.chatId, req.body, key);
      return reply.code(201).send(ok(result));
    },
  );

  app.post(
    '/whatsapp/sessions/:sessionId/chats/:chatId/read',
    {
      schema: {
        tags,
        summary: 'Mark the chat read: unread count to 0, read receipts sent (canManageChats)',
        params: ChatParams,
        response: { 200: envelope(ChatDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await chats.markRead(req.actor, req.params.sessionId, req.params.chatId)),
  );

  app.patch(
    '/whatsapp/sessions/:sessionId/chats/:chatId',
    {
      schema: {
        tags,
        summary: 'Archive or pin a chat (canManageChats)',
        params: ChatParams,
        body: ChatPatchBody,
        response: { 200: envelope(ChatDto), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => ok(await chats.update(req.actor, req.params.sessionId, req.params.chatId, req.body)),
  );

  app.get(
    '/whatsapp/sessions/:sessionId/messages/:messageId/media',
    {
      schema: {
        tags,
        summary: "A message's media file (canRead), with its content type",
        description:
          'Downloaded from WhatsApp on the first request (the session must be ready then) and served from the cache afterwards.',
        params: MediaParams,
        response: {
          200: z.unknown().meta({ description: 'The file, with its own content type' }),
          ...errors(400, 401, 403, 404, 503),
        },
      },
    },
    async (req, reply) => {
      const file = await media.open(req.actor, req.params.sessionId, req.params.messageId);
      const disposition = file.fileName
        ? `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`
        : 'inline';
      return reply
        .type(file.mimetype)
        .header('content-length', file.size)
        .header('content-disposition', disposition)
        .header('cache-control', 'private, max-age=86400')
        .send(file.stream);
    },
  );
}
