import { randomBytes } from 'node:crypto';

import { api, registerCompany } from './server.js';

export interface Rights {
  canRead: boolean;
  canWrite: boolean;
  canManageChats: boolean;
}

export interface Tenant {
  companyId: string;
  admin: { token: string; userId: string };
  /** A manager holding `rights` on the session (not an admin: the rights check runs for real). */
  manager: { token: string; userId: string };
  /** Linked through the simulator's scan: `ready`. */
  sessionId: string;
}

/**
 * A company set up through the API as users do: its admin registers, links a session (simulator
 * scan), creates a manager, grants the manager `rights` on the session, and the manager signs in.
 */
export async function setUpTenant(url: string, label: string, rights: Rights): Promise<Tenant> {
  const { token: adminToken, companyId } = await registerCompany(url, label);
  const me = await api<{ user: { id: string } }>(url, 'GET', '/api/auth/me', { token: adminToken });
  const session = await api<{ id: string }>(url, 'POST', '/api/whatsapp/sessions', {
    token: adminToken,
    body: { name: label },
  });
  await api(url, 'POST', `/api/simulator/sessions/${session.id}/scan`, {
    token: adminToken,
    body: { phoneNumber: '79990000001', displayName: label },
  });
  const email = `manager-${randomBytes(5).toString('hex')}@bench.example`;
  const password = 'bench-manager-password-1';
  const manager = await api<{ id: string }>(url, 'POST', '/api/managers', {
    token: adminToken,
    body: { name: 'Manager', email, password },
  });
  await api(url, 'POST', `/api/whatsapp/sessions/${session.id}/access`, {
    token: adminToken,
    body: { managerId: manager.id, ...rights },
  });
  const login = await api<{ token: string }>(url, 'POST', '/api/auth/login', { body: { email, password } });
  return {
    companyId,
    admin: { token: adminToken, userId: me.user.id },
    manager: { token: login.token, userId: manager.id },
    sessionId: session.id,
  };
}
