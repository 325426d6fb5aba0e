import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { ChatDto, MessageDto } from '../modules/chats/chats.schemas.js';
import { ErrorEnvelope, pageEnvelope } from './envelope.js';
import { serializerCompiler } from './serializer.js';

const route = (schema: z.ZodType) => ({ schema, method: 'GET', url: '/x', httpStatus: '200' });

const message = {
  id: '01a21913-6c68-72f1-a7e3-869142e55d17',
  sessionId: 's1',
  chatId: 'c1',
  waMessageId: '3EB0C0FFEE',
  fromMe: false,
  direction: 'incoming',
  type: 'image',
  body: `quotes ' " backslash \\ newline \n Юникод 🙂 </script>`,
  sender: { waId: '79990001122@c.us', phoneNumber: '79990001122', name: null, internal: 'x' },
  timestamp: '2026-11-26T18:56:48.594Z',
  status: 'received',
  sentByUserId: null,
  quotedMessageId: null,
  media: { mimetype: 'image/jpeg', size: 10, fileName: null, mediaKey: 'secret', url: 'https://x' },
  error: null,
  editedAt: null,
  deletedAt: null,
  mediaRef: '{"engine":"handle"}',
};

describe('response serializer', () => {
  it('writes what the Zod serializer writes, and nothing undeclared, for a page of messages', () => {
    const schema = pageEnvelope(MessageDto);
    const body = {
      success: true,
      data: [message, { ...message, id: 'm2', media: null, body: null }],
      pagination: { page: 1, limit: 50, total: null, hasMore: true, nextCursor: 'abc' },
      debug: 'not declared',
    };
    const ours = serializerCompiler(route(schema))(body);
    expect(JSON.parse(ours)).toEqual(JSON.parse(zodSerializerCompiler(route(schema))(body)));
    expect(ours).not.toMatch(/secret|mediaRef|internal|not declared|https:\/\/x/);
    expect(JSON.parse(ours).data[0].media).toEqual({ mimetype: 'image/jpeg', size: 10, fileName: null });
  });

  it('writes chats with and without a last message, and error envelopes with any details', () => {
    const chat = {
      id: 'c1',
      sessionId: 's1',
      waChatId: '79990001122@c.us',
      phoneNumber: '79990001122',
      name: 'Ivan',
      isGroup: false,
      unreadCount: 3,
      archived: false,
      pinned: true,
      lastMessage: {
        id: 'm1',
        body: 'hi',
        type: 'text',
        fromMe: false,
        timestamp: '2026-11-26T18:56:48.594Z',
      },
      updatedAt: '2026-11-26T18:56:48.594Z',
      lid: '123@lid',
    };
    const chats = pageEnvelope(ChatDto);
    const page = {
      success: true,
      data: [chat, { ...chat, lastMessage: null }],
      pagination: { page: 2, limit: 20, total: 41, hasMore: true, nextCursor: null },
    };
    expect(JSON.parse(serializerCompiler(route(chats))(page))).toEqual(
      JSON.parse(zodSerializerCompiler(route(chats))(page)),
    );
    const error = {
      success: false,
      error: {
        code: 'VALIDATION_ERROR',
        message: 'The request is invalid',
        details: [{ field: 'limit', in: 'querystring', message: 'too big', nested: { a: [1, null] } }],
        requestId: 'r1',
      },
    };
    expect(JSON.parse(serializerCompiler(route(ErrorEnvelope))(error))).toEqual(error);
  });

  it('keeps the Zod serializer for a schema JSON Schema cannot express', () => {
    const schema = z.object({ at: z.date() });
    expect(serializerCompiler(route(schema))({ at: new Date(5) })).toBe('{"at":"1970-01-01T00:00:00.005Z"}');
  });
});
