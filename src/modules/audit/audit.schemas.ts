import { z } from 'zod';

export const AuditEntryDto = z
  .object({
    id: z.string(),
    action: z.string().meta({ example: 'manager.created' }),
    actor: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'AuditEntry' });
