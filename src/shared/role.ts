/** A user's role within their company: admins hold every right, managers the rights granted to them. */
export const ROLES = ['admin', 'manager'] as const;
export type Role = (typeof ROLES)[number];
