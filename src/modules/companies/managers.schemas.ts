import { z } from 'zod';

import { Email, Password, PersonName } from './companies.schemas.js';

export const ManagerParams = z.strictObject({ managerId: z.uuid() });

export const CreateManagerBody = z
  .strictObject({ name: PersonName, email: Email, password: Password })
  .meta({ id: 'CreateManagerRequest' });

export const UpdateManagerBody = z
  .strictObject({
    name: PersonName.optional(),
    email: Email.optional(),
    password: Password.optional(),
    /** false deactivates (as DELETE does); true reactivates. */
    active: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'at least one field is required' })
  .meta({ id: 'UpdateManagerRequest' });

export type CreateManagerInput = z.infer<typeof CreateManagerBody>;
export type UpdateManagerInput = z.infer<typeof UpdateManagerBody>;
