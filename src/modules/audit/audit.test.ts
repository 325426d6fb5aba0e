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

// Tests register many companies from one address; the per-address register/login limit is
// not what this file is about.
const app = useTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });

const listAudit = (token: string, query = '') => call(app, 'GET', `/api/audit${query}`, { token });

/** The company's whole log, newest first. */
async function allEntries(company: GivenCompany): Promise<any[]> {
  const res = await listAudit(company.token, '?limit=200');
  expect(res.status).toBe(200);
  expect(res.body.pagination.hasMore).toBe(false);
  return res.body.data;
}

const patchManager = (company: GivenCompany, managerId: string, body: unknown) =>
  call(app, 'PATCH', `/api/managers/${managerId}`, { token: company.token, body });

function expectError(res: ApiResponse, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ success: false, error: { code } });
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('GET /api/audit: what is recorded', () => {
  it('records the registration of a company, by its admin', async () => {
    const company = await givenCompany(app);

    const res = await listAudit(company.token);

    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.pagination).toEqual({ page: 1, limit: 50, total: 1, hasMore: false, nextCursor: null });
    expect(res.body.data).toHaveLength(1);
    const [entry] = res.body.data;
    expect(Object.keys(entry).sort()).toEqual(
      ['action', 'actor', 'createdAt', 'details', 'id', 'ip', 'targetId', 'targetType'].sort(),
    );
    expect(entry).toMatchObject({
      action: 'company.registered',
      actor: { id: company.user.id, name: 'Admin' },
      targetType: 'company',
      targetId: company.company.id,
    });
    expect(entry.id).toEqual(expect.any(String));
    expect(entry.createdAt).toMatch(ISO_UTC);
    expect(JSON.stringify(res.body)).not.toContain(company.password);
    expect(JSON.stringify(res.body)).not.toContain('scrypt$');
  });

  it('records a manager created, updated, deactivated and reactivated, newest first, by the admin', async () => {
    const company = await givenCompany(app);
    const managerPassword = 'first-manager-password';
    const newPassword = 'second-manager-password';
    const email = uniqueEmail('audited');
    const created = await call(app, 'POST', '/api/managers', {
      token: company.token,
      body: { name: 'Audited', email, password: managerPassword },
    });
    expect(created.status).toBe(201);
    const managerId: string = created.body.data.id;

    expect((await patchManager(company, managerId, { name: 'Audited Renamed' })).status).toBe(200);
    expect((await patchManager(company, managerId, { password: newPassword })).status).toBe(200);
    expect((await call(app, 'DELETE', `/api/managers/${managerId}`, { token: company.token })).status).toBe(
      200,
    );
    expect((await patchManager(company, managerId, { active: true })).status).toBe(200);
    expect((await patchManager(company, managerId, { active: false })).status).toBe(200);

    const res = await listAudit(company.token);
    expect(res.status).toBe(200);
    const entries: any[] = res.body.data;
    expect(res.body.pagination.total).toBe(7);
    expect(entries.map((e) => e.action)).toEqual([
      'manager.deactivated',
      'manager.reactivated',
      'manager.deactivated',
      'manager.updated',
      'manager.updated',
      'manager.created',
      'company.registered',
    ]);
    for (const entry of entries.slice(0, 6)) {
      expect(entry).toMatchObject({
        actor: { id: company.user.id, name: 'Admin' },
        targetType: 'user',
        targetId: managerId,
      });
    }
    expect(entries.at(-1)).toMatchObject({ targetType: 'company', targetId: company.company.id });

    // Newest first: ids are distinct and creation times never increase down the list.
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    const times = entries.map((e) => Date.parse(e.createdAt));
    expect(times).toEqual([...times].sort((x, y) => y - x));

    expect(entries[5].details).toMatchObject({ name: 'Audited', email });
    expect(entries[4].details).toEqual({ fields: ['name'] });
    expect(entries[3].details).toEqual({ fields: ['password'] });

    const serialized = JSON.stringify(res.body);
    expect(serialized).not.toContain(managerPassword);
    expect(serialized).not.toContain(newPassword);
    expect(serialized).not.toContain(company.password);
    expect(serialized).not.toContain('scrypt$');
    expect(serialized).not.toContain('passwordHash');
  });

  it('records nothing for refused changes', async () => {
    const company = await givenCompany(app);
    const other = await givenCompany(app);
    const manager = await givenManager(app, company);
    const before = await allEntries(company);
    const otherBefore = await allEntries(other);

    expectError(await patchManager(company, manager.user.id, { email: other.email }), 409, 'EMAIL_TAKEN');
    expect((await patchManager(company, manager.user.id, { name: '' })).status).toBe(400);
    expectError(
      await call(app, 'POST', '/api/managers', {
        token: company.token,
        body: { name: 'Dup', email: manager.email, password: 'dup-password-1' },
      }),
      409,
      'EMAIL_TAKEN',
    );
    expectError(await patchManager(other, manager.user.id, { name: 'Foreign' }), 404, 'MANAGER_NOT_FOUND');
    expectError(
      await call(app, 'DELETE', `/api/managers/${manager.user.id}`, { token: other.token }),
      404,
      'MANAGER_NOT_FOUND',
    );
    expectError(
      await call(app, 'PATCH', `/api/managers/${manager.user.id}`, {
        token: manager.token,
        body: { name: 'M' },
      }),
      403,
      'FORBIDDEN',
    );

    expect(await allEntries(company)).toEqual(before);
    expect(await allEntries(other)).toEqual(otherBefore);
  });

  it('records a repeated DELETE once', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    for (let i = 0; i < 2; i++) {
      const res = await call(app, 'DELETE', `/api/managers/${manager.user.id}`, { token: company.token });
      expect(res.status).toBe(200);
    }
    const actions = (await allEntries(company)).map((e) => e.action);
    expect(actions).toEqual(['manager.deactivated', 'manager.created', 'company.registered']);
  });
});

describe('GET /api/audit: who may read it', () => {
  it("shows an admin their own company's entries only", async () => {
    const a = await givenCompany(app);
    const b = await givenCompany(app);
    const aManager = await givenManager(app, a, 'A Manager');
    const bManager = await givenManager(app, b, 'B Manager');
    expect((await patchManager(b, bManager.user.id, { name: 'B Renamed' })).status).toBe(200);

    const aEntries = await allEntries(a);
    const bEntries = await allEntries(b);

    expect(aEntries.map((e) => [e.action, e.targetId])).toEqual([
      ['manager.created', aManager.user.id],
      ['company.registered', a.company.id],
    ]);
    expect(bEntries.map((e) => [e.action, e.targetId])).toEqual([
      ['manager.updated', bManager.user.id],
      ['manager.created', bManager.user.id],
      ['company.registered', b.company.id],
    ]);
    const aIds = new Set(aEntries.map((e) => e.id));
    expect(bEntries.filter((e) => aIds.has(e.id))).toEqual([]);
    const aSerialized = JSON.stringify(aEntries);
    for (const foreign of [b.company.id, b.user.id, bManager.user.id, bManager.email]) {
      expect(aSerialized).not.toContain(foreign);
    }
  });

  it('answers 403 FORBIDDEN to a manager', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const res = await listAudit(manager.token);
    expectError(res, 403, 'FORBIDDEN');
    expect(res.body).not.toHaveProperty('data');
  });

  it('answers 401 without a valid token', async () => {
    expectError(await call(app, 'GET', '/api/audit'), 401, 'UNAUTHORIZED');
    expectError(await listAudit('not-a-jwt'), 401, 'INVALID_TOKEN');
  });
});

describe('GET /api/audit: pagination', () => {
  /** A company with 7 entries: the registration and six managers created. */
  async function givenSevenEntries(): Promise<{ company: GivenCompany; ids: string[] }> {
    const company = await givenCompany(app);
    const other = await givenCompany(app);
    for (let i = 0; i < 6; i++) {
      await givenManager(app, company, `M${i}`);
      // Interleave another tenant's entries so that a page or cursor leaking across companies would show.
      await givenManager(app, other, `Other${i}`);
    }
    const entries = await allEntries(company);
    expect(entries).toHaveLength(7);
    return { company, ids: entries.map((e) => e.id) };
  }

  it('pages with page and limit, with the right total', async () => {
    const { company, ids } = await givenSevenEntries();

    const pages = [];
    for (const p of [1, 2, 3]) {
      const res = await listAudit(company.token, `?page=${p}&limit=3`);
      expect(res.status).toBe(200);
      pages.push(res.body);
    }

    expect(pages.map((b) => b.data.length)).toEqual([3, 3, 1]);
    expect(pages.map((b) => b.pagination.page)).toEqual([1, 2, 3]);
    expect(pages.map((b) => b.pagination.limit)).toEqual([3, 3, 3]);
    expect(pages.map((b) => b.pagination.total)).toEqual([7, 7, 7]);
    expect(pages.map((b) => b.pagination.hasMore)).toEqual([true, true, false]);
    expect(pages[2].pagination.nextCursor).toBeNull();
    expect(pages.flatMap((b) => b.data.map((e: any) => e.id))).toEqual(ids);
    expect(pages[2].data[0].action).toBe('company.registered');

    const beyond = await listAudit(company.token, '?page=4&limit=3');
    expect(beyond.status).toBe(200);
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.pagination).toMatchObject({ total: 7, hasMore: false, nextCursor: null });
  });

  it('walks every entry once, in order, by following nextCursor', async () => {
    const { company, ids } = await givenSevenEntries();

    const seen: string[] = [];
    let cursor: string | null = null;
    let requests = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const res = await listAudit(company.token, query);
      expect(res.status).toBe(200);
      expect(res.body.pagination.total).toBe(7);
      seen.push(...res.body.data.map((e: any) => e.id));
      cursor = res.body.pagination.nextCursor;
      expect(cursor !== null).toBe(res.body.pagination.hasMore);
      requests++;
    } while (cursor && requests < 10);

    expect(requests).toBe(4);
    expect(seen).toEqual(ids);
  });

  const invalidCursors: [string, string][] = [
    ['garbage', 'definitely-not-a-cursor'],
    ['a cursor without an id', Buffer.from(JSON.stringify({ k: null })).toString('base64url')],
    [
      'a well-formed cursor whose id is not a UUID',
      Buffer.from(JSON.stringify({ k: null, id: 'not-a-uuid' })).toString('base64url'),
    ],
  ];

  it.each(invalidCursors)('answers 400 INVALID_CURSOR for %s', async (_case, cursor) => {
    const company = await givenCompany(app);
    const res = await listAudit(company.token, `?cursor=${encodeURIComponent(cursor)}`);
    expectError(res, 400, 'INVALID_CURSOR');
  });

  it("applies a cursor taken from another company's log to the caller's company only", async () => {
    const b = await givenCompany(app);
    const a = await givenCompany(app);
    await givenManager(app, a);
    await givenManager(app, a);
    const aFirst = await listAudit(a.token, '?limit=1');
    const cursor: string = aFirst.body.pagination.nextCursor;
    expect(cursor).toEqual(expect.any(String));

    const res = await listAudit(b.token, `?cursor=${encodeURIComponent(cursor)}`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: any) => [e.action, e.targetId])).toEqual([
      ['company.registered', b.company.id],
    ]);
  });

  const invalidQueries: [string, string, string][] = [
    ['limit over 200', '?limit=201', 'limit'],
    ['limit 0', '?limit=0', 'limit'],
    ['page 0', '?page=0', 'page'],
    ['a non-numeric page', '?page=first', 'page'],
    ['an unknown parameter', '?action=manager.created', 'action'],
  ];

  it.each(invalidQueries)('answers 400 naming the parameter for %s', async (_case, query, field) => {
    const company = await givenCompany(app);
    const res = await listAudit(company.token, query);
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field, in: 'querystring' })]),
    );
  });
});
