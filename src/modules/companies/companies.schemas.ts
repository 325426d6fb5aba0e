import { z } from 'zod';

import { ROLES } from '../../shared/role.js';

// Trim and lower-case first, then check the format, so ' Ann@Example.com ' is accepted as ann@example.com.
export const Email = z.string().trim().toLowerCase().email().max(254);
/** Long enough to resist guessing, short enough that hashing it costs a bounded time. */
export const Password = z.string().min(8, 'must be at least 8 characters').max(256);
export const PersonName = z.string().trim().min(1).max(120);

export const UserDto = z
  .object({
    id: z.string(),
    companyId: z.string(),
    email: z.string().nullable(),
    name: z.string(),
    role: z.enum(ROLES),
    active: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'User' });

export const CompanyDto = z
  .object({ id: z.string(), name: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: 'Company' });
