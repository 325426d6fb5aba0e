import type { CompanyRow } from './companies.table.js';
import type { UserRow } from './users.table.js';

/** Rows never leave the service whole: the users table holds password hashes. */
export function toUserDto(row: UserRow) {
  return {
    id: row.id,
    companyId: row.companyId,
    email: row.email,
    name: row.name,
    role: row.role,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toCompanyDto(row: CompanyRow) {
  return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString() };
}

export type UserDto = ReturnType<typeof toUserDto>;
export type CompanyDto = ReturnType<typeof toCompanyDto>;
