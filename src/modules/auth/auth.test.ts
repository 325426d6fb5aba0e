import { describe, expect, it } from 'vitest';

import { call, givenCompany, uniqueEmail } from '../../../test/support/factories.js';
import { useTestApp } from '../../../test/support/use-test-app.js';

const app = useTestApp();

const validRegistration = () => ({
  companyName: 'Acme',
  name: 'Ann Admin',
  email: uniqueEmail('ann'),
  password: 'correct horse battery',
});

describe('POST /api/auth/register', () => {
  it('creates a company and its first admin and returns a working token', async () => {
    const body = validRegistration();
    const res = await call(app, 'POST', '/api/auth/register', { body });

    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    const { token, user, company } = res.body.data;
    expect(user).toMatchObject({
      email: body.email,
      name: 'Ann Admin',
      role: 'admin',
      companyId: company.id,
    });
    expect(company).toMatchObject({ name: 'Acme' });
    expect(user).not.toHaveProperty('passwordHash');

    const me = await call(app, 'GET', '/api/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ user: { id: user.id, role: 'admin' }, company: { id: company.id } });
  });

  it('stores the email lower-cased and trimmed, and refuses the same email again with 409', async () => {
    const body = validRegistration();
    const first = await call(app, 'POST', '/api/auth/register', {
      body: { ...body, email: `  ${body.email.toUpperCase()} ` },
    });
    expect(first.status).toBe(201);
    expect(first.body.data.user.email).toBe(body.email);

    const again = await call(app, 'POST', '/api/auth/register', { body: { ...body, companyName: 'Other' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ success: false, error: { code: 'EMAIL_TAKEN' } });
  });

  it('refuses concurrent registrations of one email with one 201 and one 409', async () => {
    const body = validRegistration();
    const results = await Promise.all([
      call(app, 'POST', '/api/auth/register', { body }),
      call(app, 'POST', '/api/auth/register', { body }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  const invalidBodies: [string, Record<string, unknown>, string][] = [
    ['missing companyName', { companyName: undefined }, 'companyName'],
    ['missing name', { name: undefined }, 'name'],
    ['missing email', { email: undefined }, 'email'],
    ['missing password', { password: undefined }, 'password'],
    ['companyName of the wrong type', { companyName: 42 }, 'companyName'],
    ['name of the wrong type', { name: ['x'] }, 'name'],
    ['email of the wrong type', { email: true }, 'email'],
    ['password of the wrong type', { password: 12345678 }, 'password'],
    ['blank companyName', { companyName: '   ' }, 'companyName'],
    ['blank name', { name: '' }, 'name'],
    ['malformed email', { email: 'not-an-email' }, 'email'],
    ['short password', { password: 'short' }, 'password'],
    ['companyName too long', { companyName: 'x'.repeat(201) }, 'companyName'],
    ['name too long', { name: 'x'.repeat(121) }, 'name'],
    ['email too long', { email: `${'x'.repeat(250)}@example.com` }, 'email'],
    ['password too long', { password: 'x'.repeat(257) }, 'password'],
    ['an extra field', { role: 'admin' }, 'role'],
  ];

  it.each(invalidBodies)(
    'answers 400 naming the field for %s, and creates nothing',
    async (_case, patch, field) => {
      const body = { ...validRegistration(), ...patch };
      const res = await call(app, 'POST', '/api/auth/register', { body });
      expect(res.status).toBe(400);
      expect(res.body.success).toBe(false);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field, in: 'body' })]),
      );

      if (typeof body.email === 'string' && body.email.includes('@') && body.email.length < 254) {
        const login = await call(app, 'POST', '/api/auth/login', {
          body: { email: body.email, password: 'x' },
        });
        expect(login.status).toBe(401);
      }
    },
  );

  it('answers 400 INVALID_JSON for a malformed body', async () => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/api/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"companyName": "Acme",',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'INVALID_JSON' } });
  });

  it('answers 400 for a body that is not an object', async () => {
    const res = await call(app, 'POST', '/api/auth/register', { body: [1, 2, 3] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await call(app, 'POST', '/api/auth/register', {
      body: { ...validRegistration(), companyName: 'x'.repeat(2 * 1024 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});

describe('POST /api/auth/login', () => {
  it('signs in with the right password, whatever the email case', async () => {
    const company = await givenCompany(app);
    const res = await call(app, 'POST', '/api/auth/login', {
      body: { email: company.email.toUpperCase(), password: company.password },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ id: company.user.id, role: 'admin' });
    const me = await call(app, 'GET', '/api/auth/me', { token: res.body.data.token });
    expect(me.status).toBe(200);
  });

  it('answers an unknown email and a wrong password identically', async () => {
    const company = await givenCompany(app);
    const wrong = await call(app, 'POST', '/api/auth/login', {
      body: { email: company.email, password: 'nope-nope' },
    });
    const unknown = await call(app, 'POST', '/api/auth/login', {
      body: { email: uniqueEmail('ghost'), password: 'nope-nope' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (b: { error: Record<string, unknown> }) => ({
      ...b,
      error: { ...b.error, requestId: undefined },
    });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('validates the body', async () => {
    const res = await call(app, 'POST', '/api/auth/login', { body: { email: 'x@example.com' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'password' })]);
  });
});

describe('GET /api/auth/me', () => {
  it('needs a token', async () => {
    const res = await call(app, 'GET', '/api/auth/me');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
  });
});
