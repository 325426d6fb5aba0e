import { z } from 'zod';

export const GrantBody = z
  .strictObject({
    managerId: z.uuid(),
    canRead: z.boolean(),
    canWrite: z.boolean(),
    canManageChats: z.boolean(),
  })
  .refine((b) => b.canRead || (!b.canWrite && !b.canManageChats), {
    message: 'canWrite and canManageChats need canRead',
    path: ['canRead'],
  })
  .meta({ id: 'GrantRequest' });

export const AccessParams = z.strictObject({ sessionId: z.uuid(), managerId: z.uuid() });

export const GrantDto = z
  .object({
    sessionId: z.string(),
    managerId: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    active: z.boolean().nullable(),
    canRead: z.boolean(),
    canWrite: z.boolean(),
    canManageChats: z.boolean(),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Grant' });

export type GrantInput = z.infer<typeof GrantBody>;
