import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  type ApiResponse,
  call,
  type GivenCompany,
  givenCompany,
  givenManager,
  uniqueEmail,
} from '../../../test/support/factories.js';
import { useTestApp } from '../../../test/support/use-test-app.js';

// Every test registers its own companies and signs users in from one address; the per-address
// limit on register/login is not what this file is about, so it is raised out of the way.
const app = useTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });

const newManagerBody = () => ({
  name: 'Mia Manager',
  email: uniqueEmail('mia'),
  password: 'mia-password-123',
});

const login = (email: string, password: string) =>
  call(app, 'POST', '/api/auth/login', { body: { email, password } });

const me = (token: string) => call(app, 'GET', '/api/auth/me', { token });

const listManagers = (company: GivenCompany, query = '') =>
  call(app, 'GET', `/api/managers${query}`, { token: company.token });

const createManager = (company: GivenCompany, body: unknown) =>
  call(app, 'POST', '/api/managers', { token: company.token, body });

const patchManager = (token: string, managerId: string, body: unknown) =>
  call(app, 'PATCH', `/api/managers/${managerId}`, { token, body });

const deleteManager = (token: string, managerId: string) =>
  call(app, 'DELETE', `/api/managers/${managerId}`, { token });

/** All of a company's managers, in one page. */
async function allManagers(company: GivenCompany): Promise<any[]> {
  const res = await listManagers(company, '?limit=200');
  expect(res.status).toBe(200);
  return res.body.data;
}

async function managerTotal(company: GivenCompany): Promise<number> {
  const res = await listManagers(company);
  expect(res.status).toBe(200);
  return res.body.pagination.total;
}

async function findListed(company: GivenCompany, managerId: string) {
  const found = (await allManagers(company)).find((m) => m.id === managerId);
  expect(found, `manager ${managerId} should be listed`).toBeDefined();
  return found;
}

function expectValidationError(res: ApiResponse, field: string, location = 'body') {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
  expect(res.body.error.details).toEqual(
    expect.arrayContaining([expect.objectContaining({ field, in: location })]),
  );
}

function expectError(res: ApiResponse, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ success: false, error: { code } });
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('POST /api/managers', () => {
  it('creates a manager in the admin company who can sign in as a manager', async () => {
    const company = await givenCompany(app);
    const body = newManagerBody();

    const res = await createManager(company, body);

    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    const user = res.body.data;
    expect(Object.keys(user).sort()).toEqual(
      ['active', 'companyId', 'createdAt', 'email', 'id', 'name', 'role'].sort(),
    );
    expect(user).toMatchObject({
      companyId: company.company.id,
      email: body.email,
      name: 'Mia Manager',
      role: 'manager',
      active: true,
    });
    expect(user.id).toEqual(expect.any(String));
    expect(user.id).not.toBe(company.user.id);
    expect(user.createdAt).toMatch(ISO_UTC);
    expect(JSON.stringify(res.body)).not.toContain(body.password);
    expect(JSON.stringify(res.body)).not.toContain('scrypt$');

    const signedIn = await login(body.email, body.password);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.data.user).toMatchObject({ id: user.id, role: 'manager' });

    const current = await me(signedIn.body.data.token);
    expect(current.status).toBe(200);
    expect(current.body.data).toMatchObject({
      user: { id: user.id, role: 'manager', companyId: company.company.id, email: body.email },
      company: { id: company.company.id },
    });
  });

  it('stores the email trimmed and lower-cased', async () => {
    const company = await givenCompany(app);
    const body = newManagerBody();
    const res = await createManager(company, { ...body, email: `  ${body.email.toUpperCase()} ` });
    expect(res.status).toBe(201);
    expect(res.body.data.email).toBe(body.email);
    expect((await login(body.email, body.password)).status).toBe(200);
  });

  it('refuses an email already used by a manager with 409 EMAIL_TAKEN and creates nothing', async () => {
    const company = await givenCompany(app);
    const first = newManagerBody();
    expect((await createManager(company, first)).status).toBe(201);

    const again = await createManager(company, { ...newManagerBody(), email: first.email.toUpperCase() });
    expectError(again, 409, 'EMAIL_TAKEN');
    expect(await managerTotal(company)).toBe(1);
  });

  it("refuses the email of any user, including another company's admin and its own admin, with 409", async () => {
    const company = await givenCompany(app);
    const other = await givenCompany(app);

    expectError(
      await createManager(company, { ...newManagerBody(), email: other.email }),
      409,
      'EMAIL_TAKEN',
    );
    expectError(
      await createManager(company, { ...newManagerBody(), email: company.email }),
      409,
      'EMAIL_TAKEN',
    );
    expect(await managerTotal(company)).toBe(0);
    expect(await managerTotal(other)).toBe(0);
    // The other admin's account is untouched.
    expect((await login(other.email, other.password)).status).toBe(200);
  });

  it('creates one manager from concurrent requests with one email: one 201, one 409', async () => {
    const company = await givenCompany(app);
    const body = newManagerBody();
    const results = await Promise.all([createManager(company, body), createManager(company, body)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)?.body.error.code).toBe('EMAIL_TAKEN');
    expect(await managerTotal(company)).toBe(1);
  });

  const invalidBodies: [string, Record<string, unknown>, string][] = [
    ['missing name', { name: undefined }, 'name'],
    ['missing email', { email: undefined }, 'email'],
    ['missing password', { password: undefined }, 'password'],
    ['name of the wrong type', { name: 42 }, 'name'],
    ['email of the wrong type', { email: ['a@example.com'] }, 'email'],
    ['password of the wrong type', { password: 12345678 }, 'password'],
    ['null name', { name: null }, 'name'],
    ['blank name', { name: '   ' }, 'name'],
    ['name too long', { name: 'x'.repeat(121) }, 'name'],
    ['malformed email', { email: 'not-an-email' }, 'email'],
    ['email too long', { email: `${'x'.repeat(250)}@example.com` }, 'email'],
    ['short password', { password: 'short' }, 'password'],
    ['password too long', { password: 'x'.repeat(257) }, 'password'],
    ['an extra role field', { role: 'admin' }, 'role'],
    ['an extra companyId field', { companyId: randomUUID() }, 'companyId'],
  ];

  it.each(invalidBodies)(
    'answers 400 naming the field for %s, and creates nothing',
    async (_case, patch, field) => {
      const company = await givenCompany(app);
      const body = { ...newManagerBody(), ...patch };

      const res = await createManager(company, body);

      expectValidationError(res, field);
      expect(await managerTotal(company)).toBe(0);
      if (typeof body.email === 'string' && typeof body.password === 'string') {
        // Nobody can sign in with what was sent (a login body that is itself invalid answers 400).
        expect([400, 401]).toContain((await login(body.email, body.password)).status);
      }
    },
  );

  it('answers 400 for a body that is not an object', async () => {
    const company = await givenCompany(app);
    const res = await createManager(company, [newManagerBody()]);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(await managerTotal(company)).toBe(0);
  });

  it('needs a token', async () => {
    const res = await call(app, 'POST', '/api/managers', { body: newManagerBody() });
    expectError(res, 401, 'UNAUTHORIZED');
  });
});

describe('GET /api/managers', () => {
  it("lists the company's managers only: not the admin, not other companies' managers", async () => {
    const company = await givenCompany(app);
    const other = await givenCompany(app);
    const m1 = await givenManager(app, company, 'First');
    const m2 = await givenManager(app, company, 'Second');
    const foreign = await givenManager(app, other, 'Foreign');

    const res = await listManagers(company);

    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.pagination).toEqual({ page: 1, limit: 50, total: 2, hasMore: false, nextCursor: null });
    // Oldest first.
    expect(res.body.data.map((m: any) => m.id)).toEqual([m1.user.id, m2.user.id]);
    expect(res.body.data[0]).toEqual({
      id: m1.user.id,
      companyId: company.company.id,
      email: m1.email,
      name: 'First',
      role: 'manager',
      active: true,
      createdAt: expect.stringMatching(ISO_UTC),
    });
    const ids = res.body.data.map((m: any) => m.id);
    expect(ids).not.toContain(company.user.id);
    expect(ids).not.toContain(foreign.user.id);
    expect(JSON.stringify(res.body)).not.toContain('scrypt$');
    expect(JSON.stringify(res.body)).not.toContain('passwordHash');

    const otherList = await listManagers(other);
    expect(otherList.body.data.map((m: any) => m.id)).toEqual([foreign.user.id]);
    expect(otherList.body.pagination.total).toBe(1);
  });

  it('answers an empty page for a company without managers', async () => {
    const company = await givenCompany(app);
    const res = await listManagers(company);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: [],
      pagination: { page: 1, limit: 50, total: 0, hasMore: false, nextCursor: null },
    });
  });

  it('pages with page and limit', async () => {
    const company = await givenCompany(app);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push((await givenManager(app, company, `M${i}`)).user.id);
    }

    const pages = [];
    for (const p of [1, 2, 3]) {
      const res = await listManagers(company, `?page=${p}&limit=2`);
      expect(res.status).toBe(200);
      pages.push(res.body);
    }

    expect(pages.map((b) => b.data.length)).toEqual([2, 2, 1]);
    expect(pages.map((b) => b.pagination.page)).toEqual([1, 2, 3]);
    expect(pages.map((b) => b.pagination.limit)).toEqual([2, 2, 2]);
    expect(pages.map((b) => b.pagination.total)).toEqual([5, 5, 5]);
    expect(pages.map((b) => b.pagination.hasMore)).toEqual([true, true, false]);
    expect(pages[2].pagination.nextCursor).toBeNull();
    expect(pages.flatMap((b) => b.data.map((m: any) => m.id))).toEqual(created);

    const beyond = await listManagers(company, '?page=4&limit=2');
    expect(beyond.status).toBe(200);
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.pagination).toMatchObject({ page: 4, total: 5, hasMore: false, nextCursor: null });
  });

  it('walks every manager exactly once by following nextCursor', async () => {
    const company = await givenCompany(app);
    const other = await givenCompany(app);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push((await givenManager(app, company, `M${i}`)).user.id);
      // Interleave another tenant's managers so that a cursor leaking across companies would show.
      await givenManager(app, other, `Other${i}`);
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    let requests = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const res = await listManagers(company, query);
      expect(res.status).toBe(200);
      expect(res.body.pagination.total).toBe(5);
      seen.push(...res.body.data.map((m: any) => m.id));
      cursor = res.body.pagination.nextCursor;
      expect(cursor !== null).toBe(res.body.pagination.hasMore);
      requests++;
    } while (cursor && requests < 10);

    expect(requests).toBe(3);
    expect(seen).toEqual(created);
    expect(new Set(seen).size).toBe(5);
  });

  const invalidCursors: [string, string][] = [
    ['not base64 JSON', 'not-a-cursor'],
    ['JSON of the wrong shape', cursorOf({ position: 1 })],
    ['a cursor without an id', cursorOf({ k: null })],
    ['a cursor with extra keys', cursorOf({ k: null, id: randomUUID(), x: 1 })],
    ['a well-formed cursor whose id is not a UUID', cursorOf({ k: null, id: 'not-a-uuid' })],
  ];

  it.each(invalidCursors)('answers 400 INVALID_CURSOR for %s', async (_case, cursor) => {
    const company = await givenCompany(app);
    await givenManager(app, company);
    const res = await listManagers(company, `?cursor=${encodeURIComponent(cursor)}`);
    expectError(res, 400, 'INVALID_CURSOR');
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'cursor', in: 'querystring' })]);
  });

  const invalidQueries: [string, string, string][] = [
    ['limit over 200', '?limit=201', 'limit'],
    ['limit 0', '?limit=0', 'limit'],
    ['a non-numeric limit', '?limit=many', 'limit'],
    ['page 0', '?page=0', 'page'],
    ['a negative page', '?page=-1', 'page'],
    ['a fractional page', '?page=1.5', 'page'],
    ['an unknown parameter', '?sort=name', 'sort'],
  ];

  it.each(invalidQueries)('answers 400 naming the parameter for %s', async (_case, query, field) => {
    const company = await givenCompany(app);
    const res = await listManagers(company, query);
    expectValidationError(res, field, 'querystring');
  });

  it('accepts limit 200', async () => {
    const company = await givenCompany(app);
    const res = await listManagers(company, '?limit=200');
    expect(res.status).toBe(200);
    expect(res.body.pagination.limit).toBe(200);
  });

  it('needs a token', async () => {
    expectError(await call(app, 'GET', '/api/managers'), 401, 'UNAUTHORIZED');
    expectError(await call(app, 'GET', '/api/managers', { token: 'not-a-jwt' }), 401, 'INVALID_TOKEN');
  });
});

describe('admin only', () => {
  it('answers 403 FORBIDDEN to a manager on every managers endpoint, and changes nothing', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company, 'Mallory');
    const colleague = await givenManager(app, company, 'Colleague');
    const body = newManagerBody();

    expectError(await call(app, 'GET', '/api/managers', { token: manager.token }), 403, 'FORBIDDEN');
    expectError(await call(app, 'POST', '/api/managers', { token: manager.token, body }), 403, 'FORBIDDEN');
    expectError(await patchManager(manager.token, colleague.user.id, { name: 'Hacked' }), 403, 'FORBIDDEN');
    expectError(await patchManager(manager.token, manager.user.id, { name: 'Self' }), 403, 'FORBIDDEN');
    expectError(await deleteManager(manager.token, colleague.user.id), 403, 'FORBIDDEN');
    expectError(await deleteManager(manager.token, manager.user.id), 403, 'FORBIDDEN');

    const listed = await allManagers(company);
    expect(listed.map((m) => [m.id, m.name, m.active])).toEqual([
      [manager.user.id, 'Mallory', true],
      [colleague.user.id, 'Colleague', true],
    ]);
    expect((await login(body.email, body.password)).status).toBe(401);
    expect((await me(colleague.token)).status).toBe(200);
  });
});

describe('tenant isolation', () => {
  it("answers 404 MANAGER_NOT_FOUND to another company's admin, and leaves the manager unchanged", async () => {
    const a = await givenCompany(app);
    const b = await givenCompany(app);
    const bManager = await givenManager(app, b, 'Bob');
    const before = await findListed(b, bManager.user.id);

    const patch = await patchManager(a.token, bManager.user.id, {
      name: 'Taken over',
      email: uniqueEmail('takeover'),
      password: 'attacker-password',
      active: false,
    });
    expectError(patch, 404, 'MANAGER_NOT_FOUND');
    expect(JSON.stringify(patch.body)).not.toContain('Bob');

    const del = await deleteManager(a.token, bManager.user.id);
    expectError(del, 404, 'MANAGER_NOT_FOUND');

    expect(await findListed(b, bManager.user.id)).toEqual(before);
    expect((await me(bManager.token)).status).toBe(200);
    expect((await login(bManager.email, bManager.password)).status).toBe(200);
    expect((await login(bManager.email, 'attacker-password')).status).toBe(401);
  });

  it("never lists another company's managers", async () => {
    const a = await givenCompany(app);
    const b = await givenCompany(app);
    const aManager = await givenManager(app, a);
    const bManagers = [await givenManager(app, b), await givenManager(app, b)];

    const aList = await listManagers(a, '?limit=200');
    expect(aList.body.data.map((m: any) => m.id)).toEqual([aManager.user.id]);
    expect(aList.body.pagination.total).toBe(1);
    for (const m of aList.body.data) {
      expect(m.companyId).toBe(a.company.id);
    }
    const bIds = (await allManagers(b)).map((m) => m.id);
    expect(bIds).toEqual(bManagers.map((m) => m.user.id));
  });

  it("answers 404 for an admin's own id and another company's admin id: admins are not managers", async () => {
    const a = await givenCompany(app);
    const b = await givenCompany(app);

    expectError(await patchManager(a.token, a.user.id, { name: 'Renamed' }), 404, 'MANAGER_NOT_FOUND');
    expectError(await patchManager(a.token, a.user.id, { active: false }), 404, 'MANAGER_NOT_FOUND');
    expectError(await deleteManager(a.token, a.user.id), 404, 'MANAGER_NOT_FOUND');
    expectError(await patchManager(a.token, b.user.id, { name: 'Renamed' }), 404, 'MANAGER_NOT_FOUND');
    expectError(await deleteManager(a.token, b.user.id), 404, 'MANAGER_NOT_FOUND');

    for (const admin of [a, b]) {
      const current = await me(admin.token);
      expect(current.status).toBe(200);
      expect(current.body.data.user).toMatchObject({
        id: admin.user.id,
        name: 'Admin',
        role: 'admin',
        active: true,
      });
      expect((await login(admin.email, admin.password)).status).toBe(200);
    }
  });

  it('answers 404 for an id no user has', async () => {
    const company = await givenCompany(app);
    expectError(await patchManager(company.token, randomUUID(), { name: 'X' }), 404, 'MANAGER_NOT_FOUND');
    expectError(await deleteManager(company.token, randomUUID()), 404, 'MANAGER_NOT_FOUND');
  });
});

describe('PATCH /api/managers/{managerId}', () => {
  it('renames a manager', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company, 'Old Name');

    const res = await patchManager(company.token, manager.user.id, { name: '  New Name  ' });

    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ ...manager.user, name: 'New Name' });
    expect((await findListed(company, manager.user.id)).name).toBe('New Name');
    expect((await me(manager.token)).body.data.user.name).toBe('New Name');
  });

  it('changes the email: the new one signs in, the old one no longer does', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const newEmail = uniqueEmail('renamed');

    const res = await patchManager(company.token, manager.user.id, { email: ` ${newEmail.toUpperCase()}` });

    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: manager.user.id, email: newEmail, active: true });
    expect((await login(newEmail, manager.password)).status).toBe(200);
    expectError(await login(manager.email, manager.password), 401, 'INVALID_CREDENTIALS');
    expect((await findListed(company, manager.user.id)).email).toBe(newEmail);
  });

  it("accepts the manager's own current email (in any case) as no conflict", async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const res = await patchManager(company.token, manager.user.id, {
      email: manager.email.toUpperCase(),
      name: 'Same Mail',
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ email: manager.email, name: 'Same Mail' });
  });

  it('changes the password: the new one signs in, the old one no longer does', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);

    const res = await patchManager(company.token, manager.user.id, { password: 'a-brand-new-password' });

    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(manager.user);
    expect(JSON.stringify(res.body)).not.toContain('a-brand-new-password');
    expect((await login(manager.email, 'a-brand-new-password')).status).toBe(200);
    expectError(await login(manager.email, manager.password), 401, 'INVALID_CREDENTIALS');
  });

  it("ends the manager's existing tokens when the admin sets a new password", async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    expect((await me(manager.token)).status).toBe(200);

    expect(
      (await patchManager(company.token, manager.user.id, { password: 'a-brand-new-password' })).status,
    ).toBe(200);

    expectError(await me(manager.token), 401, 'INVALID_TOKEN');
    const fresh = await login(manager.email, 'a-brand-new-password');
    expect((await me(fresh.body.data.token)).status).toBe(200);
  });

  it('keeps existing tokens working through a rename', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    expect((await patchManager(company.token, manager.user.id, { name: 'Renamed' })).status).toBe(200);
    expect((await me(manager.token)).body.data.user.name).toBe('Renamed');
  });

  it('deactivates with active false and reactivates with active true', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const other = await givenManager(app, company);
    expect((await me(manager.token)).status).toBe(200);

    const off = await patchManager(company.token, manager.user.id, { active: false });
    expect(off.status).toBe(200);
    expect(off.body.data).toMatchObject({ id: manager.user.id, active: false });
    expect((await me(manager.token)).status).toBe(401);
    expectError(await login(manager.email, manager.password), 401, 'ACCOUNT_DEACTIVATED');
    expect((await findListed(company, manager.user.id)).active).toBe(false);
    // Only that manager is affected.
    expect((await me(other.token)).status).toBe(200);

    const on = await patchManager(company.token, manager.user.id, { active: true });
    expect(on.status).toBe(200);
    expect(on.body.data).toMatchObject({ id: manager.user.id, active: true });
    const again = await login(manager.email, manager.password);
    expect(again.status).toBe(200);
    const current = await me(again.body.data.token);
    expect(current.status).toBe(200);
    expect(current.body.data.user).toMatchObject({ id: manager.user.id, active: true });
    expect((await findListed(company, manager.user.id)).active).toBe(true);
  });

  it('changes several fields at once', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const email = uniqueEmail('multi');

    const res = await patchManager(company.token, manager.user.id, {
      name: 'Multi',
      email,
      password: 'multi-password-1',
    });

    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ name: 'Multi', email, active: true });
    expect((await login(email, 'multi-password-1')).status).toBe(200);
  });

  const takenBy: [string, (c: GivenCompany, other: GivenCompany) => Promise<string>][] = [
    ['another manager of the company', async (c) => (await givenManager(app, c)).email],
    ['the admin of the company', (c) => Promise.resolve(c.email)],
    ["another company's admin", (_c, other) => Promise.resolve(other.email)],
    ["another company's manager", async (_c, other) => (await givenManager(app, other)).email],
  ];

  it.each(takenBy)(
    'answers 409 EMAIL_TAKEN for an email used by %s, and changes nothing',
    async (_case, emailOf) => {
      const company = await givenCompany(app);
      const other = await givenCompany(app);
      const manager = await givenManager(app, company, 'Unchanged');
      const taken = await emailOf(company, other);
      const before = await findListed(company, manager.user.id);

      const res = await patchManager(company.token, manager.user.id, {
        email: taken.toUpperCase(),
        name: 'Changed',
        password: 'changed-password',
      });

      expectError(res, 409, 'EMAIL_TAKEN');
      expect(await findListed(company, manager.user.id)).toEqual(before);
      expect((await login(manager.email, manager.password)).status).toBe(200);
      expect((await login(manager.email, 'changed-password')).status).toBe(401);
    },
  );

  it('gives one new email to one of two managers asking for it at once: one 200, one 409', async () => {
    const company = await givenCompany(app);
    const first = await givenManager(app, company);
    const second = await givenManager(app, company);
    const email = uniqueEmail('contested');

    const results = await Promise.all([
      patchManager(company.token, first.user.id, { email }),
      patchManager(company.token, second.user.id, { email }),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.body.error.code).toBe('EMAIL_TAKEN');
    const listed = await allManagers(company);
    expect(listed.filter((m) => m.email === email)).toHaveLength(1);
  });

  it('answers 400 for an empty body and changes nothing', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const res = await patchManager(company.token, manager.user.id, {});
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    expect(await findListed(company, manager.user.id)).toEqual(manager.user);
  });

  const invalidPatches: [string, Record<string, unknown>, string][] = [
    ['an extra role field', { role: 'admin' }, 'role'],
    ['an extra companyId field next to a valid one', { name: 'Ok', companyId: randomUUID() }, 'companyId'],
    ['name of the wrong type', { name: 42 }, 'name'],
    ['null name', { name: null }, 'name'],
    ['blank name', { name: '  ' }, 'name'],
    ['name too long', { name: 'x'.repeat(121) }, 'name'],
    ['email of the wrong type', { email: 7 }, 'email'],
    ['malformed email', { email: 'nobody-at-example.com' }, 'email'],
    ['password of the wrong type', { password: true }, 'password'],
    ['short password', { password: 'short' }, 'password'],
    ['password too long', { password: 'x'.repeat(257) }, 'password'],
    ['active of the wrong type', { active: 'false' }, 'active'],
    ['active as a number', { active: 0 }, 'active'],
  ];

  it.each(invalidPatches)(
    'answers 400 naming the field for %s, and changes nothing',
    async (_case, body, field) => {
      const company = await givenCompany(app);
      const manager = await givenManager(app, company);

      const res = await patchManager(company.token, manager.user.id, body);

      expectValidationError(res, field);
      expect(await findListed(company, manager.user.id)).toEqual(manager.user);
      expect((await me(manager.token)).body.data.user.role).toBe('manager');
    },
  );

  it('answers 400 naming managerId for an id that is not a UUID', async () => {
    const company = await givenCompany(app);
    const res = await patchManager(company.token, 'not-a-uuid', { name: 'X' });
    expectValidationError(res, 'managerId', 'params');
  });

  it('needs a token', async () => {
    const res = await call(app, 'PATCH', `/api/managers/${randomUUID()}`, { body: { name: 'X' } });
    expectError(res, 401, 'UNAUTHORIZED');
  });
});

describe('DELETE /api/managers/{managerId}', () => {
  it('deactivates: the existing token stops at once, login is refused, the manager stays listed', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company, 'Leaving');
    const stays = await givenManager(app, company, 'Staying');

    // The token has just been used successfully, so the authenticator has it cached.
    const before = await me(manager.token);
    expect(before.status).toBe(200);
    expect(before.body.data.user.id).toBe(manager.user.id);

    const res = await deleteManager(company.token, manager.user.id);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, data: { ...manager.user, active: false } });

    const after = await me(manager.token);
    expect(after.status).toBe(401);
    expect(after.body.success).toBe(false);

    expectError(await login(manager.email, manager.password), 401, 'ACCOUNT_DEACTIVATED');
    // A wrong password still gets the generic answer: the state is told only to the right password.
    expectError(await login(manager.email, 'wrong-password'), 401, 'INVALID_CREDENTIALS');

    const listed = await listManagers(company);
    expect(listed.body.pagination.total).toBe(2);
    expect(listed.body.data.map((m: any) => [m.id, m.active])).toEqual([
      [manager.user.id, false],
      [stays.user.id, true],
    ]);
    expect((await me(stays.token)).status).toBe(200);
    expect((await me(company.token)).status).toBe(200);
  });

  it('is idempotent', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);

    const first = await deleteManager(company.token, manager.user.id);
    const second = await deleteManager(company.token, manager.user.id);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.data).toEqual({ ...manager.user, active: false });
    expect(second.body.data).toEqual(first.body.data);
    expect((await me(manager.token)).status).toBe(401);
  });

  it('can be undone with PATCH active true, and the deactivated manager can still be edited', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    expect((await deleteManager(company.token, manager.user.id)).status).toBe(200);

    const renamed = await patchManager(company.token, manager.user.id, { name: 'Still Off' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data).toMatchObject({ name: 'Still Off', active: false });
    expectError(await login(manager.email, manager.password), 401, 'ACCOUNT_DEACTIVATED');

    expect((await patchManager(company.token, manager.user.id, { active: true })).status).toBe(200);
    expect((await login(manager.email, manager.password)).status).toBe(200);
  });

  it('never revives tokens issued before a deactivation, even after reactivation', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    expect((await me(manager.token)).status).toBe(200);

    expect((await deleteManager(company.token, manager.user.id)).status).toBe(200);
    expect((await patchManager(company.token, manager.user.id, { active: true })).status).toBe(200);

    expectError(await me(manager.token), 401, 'INVALID_TOKEN');
    const fresh = await login(manager.email, manager.password);
    expect((await me(fresh.body.data.token)).status).toBe(200);
  });

  it('answers 400 naming managerId for an id that is not a UUID', async () => {
    const company = await givenCompany(app);
    expectValidationError(await deleteManager(company.token, '12345'), 'managerId', 'params');
  });

  it('needs a token', async () => {
    expectError(await call(app, 'DELETE', `/api/managers/${randomUUID()}`), 401, 'UNAUTHORIZED');
  });
});
