import { z } from 'zod';

import { PageQuery } from '../../http/pagination.js';
import { MESSAGE_STATUSES } from './messages.table.js';

export const ChatParams = z.strictObject({
  sessionId: z.uuid(),
  chatId: z.string().trim().min(1).max(128).meta({
    description:
      "The chat's id, its WhatsApp id (79991234567@c.us, …@s.whatsapp.net, …@g.us) or a bare phone number",
  }),
});

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const ChatListQuery = PageQuery.extend({
  search: z.string().trim().min(1).max(100).optional(),
  archived: booleanFlag.default(false),
});
export type ChatListQuery = z.infer<typeof ChatListQuery>;

export const SendBody = z
  .strictObject({
    message: z
      .string()
      .max(65_536)
      .refine((s) => s.trim().length > 0, 'must not be empty'),
    /** Reply to this message: its id or its WhatsApp id. */
    quotedMessageId: z.string().trim().min(1).max(128).optional(),
  })
  .meta({ id: 'SendMessageRequest' });
export type SendInput = z.infer<typeof SendBody>;

export const SendHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .optional()
    .meta({ description: 'Makes a retried request return the first result' }),
});

export const ChatPatchBody = z
  .strictObject({ archived: z.boolean().optional(), pinned: z.boolean().optional() })
  .refine((b) => b.archived !== undefined || b.pinned !== undefined, {
    message: 'archived or pinned is required',
  })
  .meta({ id: 'ChatPatchRequest' });

export const MediaDto = z
  .object({
    mimetype: z.string().nullable().optional(),
    size: z.number().nullable().optional(),
    fileName: z.string().nullable().optional(),
    duration: z.number().nullable().optional().meta({ description: 'seconds' }),
    width: z.number().nullable().optional(),
    height: z.number().nullable().optional(),
    latitude: z.number().nullable().optional(),
    longitude: z.number().nullable().optional(),
    vcard: z.string().nullable().optional(),
    emoji: z.string().nullable().optional(),
    targetWaMessageId: z.string().nullable().optional(),
  })
  .meta({ id: 'Media' });

export const MessageDto = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    chatId: z.string(),
    waMessageId: z.string(),
    fromMe: z.boolean(),
    direction: z.enum(['incoming', 'outgoing']),
    type: z.string(),
    body: z.string().nullable(),
    sender: z.object({
      waId: z.string().nullable(),
      phoneNumber: z.string().nullable(),
      name: z.string().nullable(),
    }),
    timestamp: z.iso.datetime(),
    status: z.enum(MESSAGE_STATUSES),
    sentByUserId: z.string().nullable(),
    quotedMessageId: z.string().nullable(),
    media: MediaDto.nullable(),
    error: z.string().nullable(),
    editedAt: z.iso.datetime().nullable(),
    deletedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Message' });

export const ChatDto = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    waChatId: z.string(),
    phoneNumber: z.string().nullable(),
    name: z.string().nullable(),
    isGroup: z.boolean(),
    unreadCount: z.number().int(),
    archived: z.boolean(),
    pinned: z.boolean(),
    lastMessage: z
      .object({
        id: z.string(),
        body: z.string().nullable(),
        type: z.string(),
        fromMe: z.boolean(),
        timestamp: z.iso.datetime(),
      })
      .nullable(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Chat' });
