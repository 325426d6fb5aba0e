import { z } from 'zod';

import { SESSION_STATUSES } from './session-status.js';

export const SessionParams = z.strictObject({ sessionId: z.uuid() });

export const CreateSessionBody = z
  .strictObject({ name: z.string().trim().min(1).max(100).optional() })
  .meta({ id: 'CreateSessionRequest' });

export const PairingCodeBody = z
  .strictObject({ phoneNumber: z.string().trim().min(5).max(32) })
  .meta({ id: 'PairingCodeRequest' });

export const RightsDto = z
  .object({ canRead: z.boolean(), canWrite: z.boolean(), canManageChats: z.boolean() })
  .meta({ id: 'Rights' });

export const SessionDto = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    companyId: z.string(),
    name: z.string(),
    status: z.enum(SESSION_STATUSES),
    engine: z.string(),
    phoneNumber: z.string().nullable(),
    displayName: z.string().nullable(),
    createdAt: z.iso.datetime(),
    connectedAt: z.iso.datetime().nullable(),
    lastError: z.string().nullable(),
    /** The caller's rights on this session. */
    rights: RightsDto.optional(),
  })
  .meta({ id: 'Session' });

export const QrDto = z
  .object({
    sessionId: z.string(),
    status: z.enum(SESSION_STATUSES),
    qrCode: z.string().nullable().meta({ description: 'PNG data URL, or null when no QR is pending' }),
    qr: z.string().nullable(),
    expiresAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Qr' });

export const PairingCodeDto = z
  .object({ sessionId: z.string(), code: z.string() })
  .meta({ id: 'PairingCode' });
