import { randomBytes } from 'node:crypto';

import type { TestApp } from './test-app.js';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** Calls the API through app.inject; `token` adds the bearer header. */
export async function call<T = any>(
  app: TestApp,
  method: Method,
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const res = await app.http.inject({
    method,
    url,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { payload: options.body as object } : {}),
  });
  const text = res.body;
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
}

export interface GivenCompany {
  token: string;
  email: string;
  password: string;
  user: { id: string; companyId: string; email: string; name: string; role: 'admin' };
  company: { id: string; name: string };
}

/** Registers a new company through the API; every test gets its own tenant. */
export async function givenCompany(
  app: TestApp,
  name = `Company ${randomBytes(3).toString('hex')}`,
): Promise<GivenCompany> {
  const email = uniqueEmail('admin');
  const password = 'admin-password-1';
  const res = await call(app, 'POST', '/api/auth/register', {
    body: { companyName: name, name: 'Admin', email, password },
  });
  if (res.status !== 201) {
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { ...res.body.data, email, password };
}

export interface GivenManager {
  token: string;
  email: string;
  password: string;
  user: { id: string; companyId: string; email: string; name: string; role: 'manager'; active: boolean };
}

/** Creates a manager through the admin API and signs them in. */
export async function givenManager(
  app: TestApp,
  company: GivenCompany,
  name = 'Manager',
): Promise<GivenManager> {
  const email = uniqueEmail('manager');
  const password = 'manager-password-1';
  const created = await call(app, 'POST', '/api/managers', {
    token: company.token,
    body: { name, email, password },
  });
  if (created.status !== 201) {
    throw new Error(`create manager failed: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const login = await call(app, 'POST', '/api/auth/login', { body: { email, password } });
  if (login.status !== 200) {
    throw new Error(`manager login failed: ${login.status} ${JSON.stringify(login.body)}`);
  }
  return { token: login.body.data.token, user: created.body.data, email, password };
}

export interface GivenSession {
  id: string;
  phoneNumber: string;
}

/** Creates a session through the API and, unless told otherwise, links it with the simulator's scan. */
export async function givenSession(
  app: TestApp,
  company: GivenCompany,
  options: { connected?: boolean; phoneNumber?: string } = {},
): Promise<GivenSession> {
  const created = await call(app, 'POST', '/api/whatsapp/sessions', {
    token: company.token,
    body: { name: 'Sales' },
  });
  if (created.status !== 201) {
    throw new Error(`create session failed: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const id: string = created.body.data.id;
  if (options.connected === false) {
    return { id, phoneNumber: '' };
  }
  const scan = await call(app, 'POST', `/api/simulator/sessions/${id}/scan`, {
    token: company.token,
    body: { phoneNumber: options.phoneNumber ?? '79990000001', displayName: 'Acme' },
  });
  if (scan.status !== 200) {
    throw new Error(`scan failed: ${scan.status} ${JSON.stringify(scan.body)}`);
  }
  return { id, phoneNumber: scan.body.data.phoneNumber };
}

/** Grants a manager rights on a session through the admin API. */
export async function givenGrant(
  app: TestApp,
  company: GivenCompany,
  sessionId: string,
  manager: GivenManager,
  rights: { canRead: boolean; canWrite: boolean; canManageChats: boolean },
): Promise<void> {
  const res = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/access`, {
    token: company.token,
    body: { managerId: manager.user.id, ...rights },
  });
  if (res.status !== 200) {
    throw new Error(`grant failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** A contact writes to the session (simulator). */
export async function givenIncoming(
  app: TestApp,
  company: GivenCompany,
  sessionId: string,
  body: {
    from: string;
    text: string;
    pushName?: string;
    waMessageId?: string;
    type?: string;
    timestamp?: string;
    fromMe?: boolean;
  },
): Promise<string> {
  const res = await call(app, 'POST', `/api/simulator/sessions/${sessionId}/incoming`, {
    token: company.token,
    body,
  });
  if (res.status !== 201) {
    throw new Error(`incoming failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.data.waMessageId;
}
