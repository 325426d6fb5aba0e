import { z } from 'zod';

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

export const ScanBody = z
  .strictObject({
    phoneNumber: z
      .string()
      .trim()
      .regex(/^\d{7,15}$/, 'digits with country code')
      .optional(),
    displayName: z.string().trim().min(1).max(100).optional(),
  })
  .meta({ id: 'SimulatorScan' });

export const IncomingBody = z
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

export const StatusBody = z
  .strictObject({
    waMessageId: z.string().trim().min(1).max(128),
    status: z.enum(['delivered', 'read', 'played']),
  })
  .meta({ id: 'SimulatorStatus' });

export const DropBody = z
  .strictObject({ loggedOut: z.boolean().optional(), reason: z.string().trim().max(200).optional() })
  .meta({ id: 'SimulatorDrop' });

export const FaultsBody = z
  .strictObject({
    offline: z.boolean().optional(),
    sendFailRate: z.number().min(0).max(1).optional(),
    sendLatencyMs: z.number().int().min(0).max(60_000).optional(),
  })
  .meta({ id: 'SimulatorFaults' });

export const HistoryBody = z
  .strictObject({
    chats: z.number().int().min(1).max(10_000),
    messagesPerChat: z.number().int().min(1).max(10_000),
    batchSize: z.number().int().min(1).max(10_000).optional(),
  })
  .refine((b) => b.chats * b.messagesPerChat <= 1_000_000, { message: 'at most 1,000,000 messages' })
  .meta({ id: 'SimulatorHistory' });

export const Outgoing = z.object({
  waMessageId: z.string(),
  to: z.string(),
  text: z.string(),
  quotedWaMessageId: z.string().nullable(),
  at: z.string(),
  deliveries: z.number().int().meta({
    description: 'how many times the network received this id: 1, or more when it was sent again',
  }),
});
