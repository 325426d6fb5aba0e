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
