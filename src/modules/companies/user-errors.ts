import { ConflictError, NotFoundError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';
import type { UsersRepository } from './users.repository.js';
import type { UserRow } from './users.table.js';

export function emailTakenError(email: string) {
  return new ConflictError('EMAIL_TAKEN', `The email '${email}' is already registered`);
}

export function managerNotFound(id: string) {
  return new NotFoundError('MANAGER_NOT_FOUND', `Manager '${id}' not found`);
}

/** A manager of the actor's company, or 404: admins and other companies' users are not managers here. */
export async function requireManager(
  users: Pick<UsersRepository, 'findById'>,
  actor: Actor,
  managerId: string,
): Promise<UserRow> {
  const user = await users.findById(actor.companyId, managerId);
  if (user?.role !== 'manager') {
    throw managerNotFound(managerId);
  }
  return user;
}
