import { ConflictError, NotFoundError } from '../../http/errors.js';

export function emailTakenError(email: string) {
  return new ConflictError('EMAIL_TAKEN', `The email '${email}' is already registered`);
}

export function managerNotFound(id: string) {
  return new NotFoundError('MANAGER_NOT_FOUND', `Manager '${id}' not found`);
}
