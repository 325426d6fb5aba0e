import { randomUUID } from 'node:crypto';

import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

import { call, givenCompany, givenManager } from '../../../test/support/factories.js';
import { TEST_JWT_SECRET } from '../../../test/support/test-app.js';
import { useTestApp } from '../../../test/support/use-test-app.js';

const app = useTestApp();

const OWN_ISSUER = 'whatsapp-service';
const ownKey = new TextEncoder().encode(TEST_JWT_SECRET);

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** Signs a token the way the service does, with every knob a test may want to turn. */
function signed(
  claims: Record<string, unknown>,
  options: { secret?: string; alg?: string; expiresAt?: number; issuer?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? OWN_ISSUER)
    .setIssuedAt(now - 10)
    .setExpirationTime(options.expiresAt ?? now + 3600)
    .sign(options.secret ? new TextEncoder().encode(options.secret) : ownKey);
}

/** The claims of a real token, so that a hand-signed one differs only where a test changes it. */
const claimsOf = (c: { token: string }) => {
  const { sub, companyId, role, tv } = decodePart(c.token.split('.')[1]!) as {
    sub: string;
    companyId: string;
    role: string;
    tv: number;
  };
  return { sub, companyId, role, tv };
};

async function me(options: { token?: string; headers?: Record<string, string> }) {
  return call(app, 'GET', '/api/auth/me', options);
}

function expectRejected(res: { status: number; body: any }, code: 'INVALID_TOKEN' | 'UNAUTHORIZED') {
  expect(res.status).toBe(401);
  expect(res.body).toEqual({
    success: false,
    error: { code, message: expect.any(String), requestId: expect.any(String) },
  });
  expect(JSON.stringify(res.body)).not.toMatch(/stack|at .*\.ts/);
}

describe('a valid token (positive control)', () => {
  it('is accepted on GET /api/auth/me and names its own user and company', async () => {
    const company = await givenCompany(app);
    const res = await me({ token: company.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      user: { id: company.user.id, companyId: company.company.id, role: 'admin' },
      company: { id: company.company.id },
    });
  });

  it('carries sub, companyId, role and the service issuer, signed HS256 with an expiry', async () => {
    const company = await givenCompany(app);
    const [header, payload] = company.token.split('.');
    expect(decodePart(header!)).toMatchObject({ alg: 'HS256' });
    const claims = decodePart(payload!);
    expect(claims).toMatchObject({
      sub: company.user.id,
      companyId: company.company.id,
      role: 'admin',
      iss: OWN_ISSUER,
      tv: expect.any(Number),
    });
    expect(claims.exp).toEqual(expect.any(Number));
    expect(claims.exp as number).toBeGreaterThan(Date.now() / 1000);
  });

  it('is accepted with a lower-case bearer scheme', async () => {
    const company = await givenCompany(app);
    const res = await me({ headers: { authorization: `bearer ${company.token}` } });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(company.user.id);
  });

  it('hand-signed with the service secret and matching claims is accepted (the helpers below are sound)', async () => {
    const company = await givenCompany(app);
    const res = await me({ token: await signed(claimsOf(company)) });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(company.user.id);
  });
});

describe('a missing or malformed Authorization header', () => {
  it('without any header answers 401 UNAUTHORIZED', async () => {
    expectRejected(await me({}), 'UNAUTHORIZED');
  });

  it('with a non-Bearer scheme answers 401 UNAUTHORIZED, even carrying a valid token', async () => {
    const company = await givenCompany(app);
    expectRejected(await me({ headers: { authorization: `Basic ${company.token}` } }), 'UNAUTHORIZED');
    expectRejected(
      await me({ headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
      'UNAUTHORIZED',
    );
    expectRejected(await me({ headers: { authorization: company.token } }), 'UNAUTHORIZED');
  });

  it('with an empty bearer answers 401 UNAUTHORIZED', async () => {
    expectRejected(await me({ headers: { authorization: 'Bearer ' } }), 'UNAUTHORIZED');
    expectRejected(await me({ headers: { authorization: 'Bearer' } }), 'UNAUTHORIZED');
  });

  it('with two tokens after Bearer answers 401 UNAUTHORIZED', async () => {
    const company = await givenCompany(app);
    expectRejected(
      await me({ headers: { authorization: `Bearer ${company.token} ${company.token}` } }),
      'UNAUTHORIZED',
    );
  });
});

describe('a token that does not verify', () => {
  it('garbage answers 401 INVALID_TOKEN', async () => {
    expectRejected(await me({ token: 'not-a-jwt' }), 'INVALID_TOKEN');
    expectRejected(await me({ token: 'a.b.c' }), 'INVALID_TOKEN');
    expectRejected(await me({ token: `${b64url({ alg: 'HS256' })}.%%%.` }), 'INVALID_TOKEN');
  });

  it('an unsigned token (alg: none) with plausible claims answers 401 INVALID_TOKEN', async () => {
    const company = await givenCompany(app);
    const now = Math.floor(Date.now() / 1000);
    const payload = { ...claimsOf(company), iss: OWN_ISSUER, iat: now, exp: now + 3600 };
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
    expectRejected(await me({ token: none }), 'INVALID_TOKEN');

    // Same with the original HS256 header but the signature stripped.
    const [header] = company.token.split('.');
    expectRejected(await me({ token: `${header}.${b64url(payload)}.` }), 'INVALID_TOKEN');
  });

  it('an expired token answers 401 INVALID_TOKEN', async () => {
    const company = await givenCompany(app);
    const now = Math.floor(Date.now() / 1000);
    const expired = await signed(claimsOf(company), { expiresAt: now - 60 });
    expectRejected(await me({ token: expired }), 'INVALID_TOKEN');
  });

  it('an expired token is refused even while the same user has a recently used valid token', async () => {
    const company = await givenCompany(app);
    expect((await me({ token: company.token })).status).toBe(200);
    const expired = await signed(claimsOf(company), { expiresAt: Math.floor(Date.now() / 1000) - 1 });
    expectRejected(await me({ token: expired }), 'INVALID_TOKEN');
  });

  it('a token not yet valid (nbf in the future) answers 401 INVALID_TOKEN', async () => {
    const company = await givenCompany(app);
    const token = await new SignJWT(claimsOf(company))
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(OWN_ISSUER)
      .setNotBefore(Math.floor(Date.now() / 1000) + 3600)
      .setExpirationTime('2h')
      .sign(ownKey);
    expectRejected(await me({ token }), 'INVALID_TOKEN');
  });

  it('a tampered token (role raised to admin, payload re-encoded without re-signing) answers 401', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    expect((await call(app, 'GET', '/api/managers', { token: manager.token })).status).toBe(403);

    const [header, payload, signature] = manager.token.split('.');
    const forged = `${header}.${b64url({ ...decodePart(payload!), role: 'admin' })}.${signature}`;
    expectRejected(await me({ token: forged }), 'INVALID_TOKEN');
    expectRejected(await call(app, 'GET', '/api/managers', { token: forged }), 'INVALID_TOKEN');
  });

  it('a tampered token (companyId of another company) answers 401', async () => {
    const mine = await givenCompany(app);
    const theirs = await givenCompany(app);
    const [header, payload, signature] = mine.token.split('.');
    const forged = `${header}.${b64url({ ...decodePart(payload!), companyId: theirs.company.id })}.${signature}`;
    expectRejected(await me({ token: forged }), 'INVALID_TOKEN');

    const alsoSub = `${header}.${b64url({
      ...decodePart(payload!),
      sub: theirs.user.id,
      companyId: theirs.company.id,
    })}.${signature}`;
    expectRejected(await me({ token: alsoSub }), 'INVALID_TOKEN');
  });

  it('a token whose header was changed (alg swapped to HS512) without re-signing answers 401', async () => {
    const company = await givenCompany(app);
    const [, payload, signature] = company.token.split('.');
    expectRejected(
      await me({ token: `${b64url({ alg: 'HS512', typ: 'JWT' })}.${payload}.${signature}` }),
      'INVALID_TOKEN',
    );
  });

  it('a token signed with the wrong secret answers 401 INVALID_TOKEN', async () => {
    const company = await givenCompany(app);
    const token = await signed(claimsOf(company), {
      secret: 'some-other-secret-that-is-long-enough-0123456789',
    });
    expectRejected(await me({ token }), 'INVALID_TOKEN');
  });

  it('a token signed with the right secret but HS512 answers 401 (the algorithm is pinned)', async () => {
    const company = await givenCompany(app);
    const token = await signed(claimsOf(company), { alg: 'HS512' });
    expectRejected(await me({ token }), 'INVALID_TOKEN');
    const hs384 = await signed(claimsOf(company), { alg: 'HS384' });
    expectRejected(await me({ token: hs384 }), 'INVALID_TOKEN');
  });

  it('a token signed with the right secret but another issuer answers 401 (no external issuer configured)', async () => {
    const company = await givenCompany(app);
    expectRejected(await me({ token: await signed(claimsOf(company), { issuer: 'crm' }) }), 'INVALID_TOKEN');
    const noIssuer = await new SignJWT(claimsOf(company))
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(ownKey);
    expectRejected(await me({ token: noIssuer }), 'INVALID_TOKEN');
  });

  it('a correctly signed token lacking a claim, or with an unknown role, answers 401', async () => {
    const company = await givenCompany(app);
    const { sub, companyId, role, tv } = claimsOf(company);
    // Each case differs from a working token in one claim only.
    expect((await me({ token: await signed({ sub, companyId, role, tv }) })).status).toBe(200);
    expectRejected(await me({ token: await signed({ companyId, role, tv }) }), 'INVALID_TOKEN');
    expectRejected(await me({ token: await signed({ sub, role, tv }) }), 'INVALID_TOKEN');
    expectRejected(await me({ token: await signed({ sub, companyId, tv }) }), 'INVALID_TOKEN');
    expectRejected(await me({ token: await signed({ sub, companyId, role: 'owner', tv }) }), 'INVALID_TOKEN');
    expectRejected(await me({ token: await signed({ sub, companyId, role }) }), 'INVALID_TOKEN');
  });

  it('a correctly signed token with another token version answers 401', async () => {
    const company = await givenCompany(app);
    const claims = claimsOf(company);
    expect(claims.tv).toEqual(expect.any(Number));
    const tv = claims.tv;
    expectRejected(await me({ token: await signed({ ...claims, tv: tv + 1 }) }), 'INVALID_TOKEN');
    expectRejected(await me({ token: await signed({ ...claims, tv: tv - 1 }) }), 'INVALID_TOKEN');
    expectRejected(await me({ token: await signed({ ...claims, tv: String(tv) }) }), 'INVALID_TOKEN');
    expect((await me({ token: company.token })).status).toBe(200);
  });
});

describe('a correctly signed token for a user it does not match', () => {
  it('a sub of a user of another company (companyId claim mismatched) answers 401', async () => {
    const mine = await givenCompany(app);
    const theirs = await givenCompany(app);
    const token = await signed({ ...claimsOf(theirs), companyId: mine.company.id });
    expectRejected(await me({ token }), 'INVALID_TOKEN');
    expectRejected(await call(app, 'GET', '/api/managers', { token }), 'INVALID_TOKEN');
  });

  it('a sub that names no user answers 401', async () => {
    const company = await givenCompany(app);
    const token = await signed({ ...claimsOf(company), sub: randomUUID() });
    expectRejected(await me({ token }), 'INVALID_TOKEN');
  });

  it("a manager's token with its role claim rewritten to admin (and re-signed) still acts as a manager", async () => {
    // The role is taken from the user record, not trusted from the claim.
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const token = await signed({ ...claimsOf(manager), role: 'admin' });
    const res = await call(app, 'GET', '/api/managers', { token });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });

  it("a deactivated manager's token answers 401 at once", async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    expect((await me({ token: manager.token })).status).toBe(200);

    const removed = await call(app, 'DELETE', `/api/managers/${manager.user.id}`, { token: company.token });
    expect(removed.status).toBe(200);
    expectRejected(await me({ token: manager.token }), 'INVALID_TOKEN');

    // Another manager of the same company is unaffected.
    const other = await givenManager(app, company, 'Other');
    expect((await me({ token: other.token })).status).toBe(200);
  });

  it("a deactivated manager's old token stays dead after reactivation; a new login works", async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    expect(
      (await call(app, 'DELETE', `/api/managers/${manager.user.id}`, { token: company.token })).status,
    ).toBe(200);
    const back = await call(app, 'PATCH', `/api/managers/${manager.user.id}`, {
      token: company.token,
      body: { active: true },
    });
    expect(back.status).toBe(200);
    expectRejected(await me({ token: manager.token }), 'INVALID_TOKEN');

    const login = await call(app, 'POST', '/api/auth/login', {
      body: { email: manager.email, password: manager.password },
    });
    expect(login.status).toBe(200);
    expect((await me({ token: login.body.data.token })).status).toBe(200);
  });

  it("a manager's tokens end when their password is changed; a manager's name change does not end them", async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const renamed = await call(app, 'PATCH', `/api/managers/${manager.user.id}`, {
      token: company.token,
      body: { name: 'Renamed' },
    });
    expect(renamed.status).toBe(200);
    expect((await me({ token: manager.token })).status).toBe(200);

    const changed = await call(app, 'PATCH', `/api/managers/${manager.user.id}`, {
      token: company.token,
      body: { password: 'a-brand-new-password' },
    });
    expect(changed.status).toBe(200);
    expectRejected(await me({ token: manager.token }), 'INVALID_TOKEN');
  });
});

describe('claims that do not belong together', () => {
  // The actor cache is keyed by company and user, so a warm cache cannot answer for a mismatched pair.
  it('a sub of another company with a mismatched companyId claim answers 401 even when that user is cached', async () => {
    const mine = await givenCompany(app);
    const theirs = await givenCompany(app);
    expect((await me({ token: theirs.token })).status).toBe(200);
    const token = await signed({ ...claimsOf(theirs), companyId: mine.company.id });
    expectRejected(await me({ token }), 'INVALID_TOKEN');
  });

  // Ids are checked as UUIDs before any lookup: a malformed one is a bad token, never a database error.
  it('a correctly signed token whose sub or companyId is not a UUID answers 401, not 500', async () => {
    const company = await givenCompany(app);
    const claims = claimsOf(company);
    expectRejected(await me({ token: await signed({ ...claims, sub: 'not-a-uuid' }) }), 'INVALID_TOKEN');
    expectRejected(await me({ token: await signed({ ...claims, companyId: 'nope' }) }), 'INVALID_TOKEN');
  });
});
