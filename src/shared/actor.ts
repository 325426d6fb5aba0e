import type { Role } from './role.js';

/** Who is acting: set once per request (or socket) from a verified token, passed first to every service. */
export interface Actor {
  userId: string;
  companyId: string;
  role: Role;
}
