import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { call, givenCompany, uniqueEmail } from '../../../test/support/factories.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp, testEnv } from '../../../test/support/test-app.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import { ConfigError, loadConfig } from '../../config.js';

const CRM_SECRET = 'crm-backend-shared-secret-long-enough-0123456789';
const CRM_ISSUER = 'crm';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The shared-secret configuration most tests run against. */
const app = useTestApp({ EXTERNAL_JWT_SECRET: CRM_SECRET, EXTERNAL_JWT_ISSUER: CRM_ISSUER });

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

interface SignOptions {
  key?: Uint8Array | CryptoKey;
  alg?: string;
  kid?: string;
  /** null leaves the claim out. */
  issuer?: string | null;
  audience?: string;
  expiresAt?: number;
}

/** A token as the CRM backend would issue it. */
function crmToken(claims: Record<string, unknown>, options: SignOptions = {}) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: options.alg ?? 'HS256',
      typ: 'JWT',
      ...(options.kid ? { kid: options.kid } : {}),
    })
    .setIssuedAt(now - 5)
    .setExpirationTime(options.expiresAt ?? now + 3600);
  const issuer = options.issuer === undefined ? CRM_ISSUER : options.issuer;
  if (issuer !== null) {
    jwt.setIssuer(issuer);
  }
  if (options.audience) {
    jwt.setAudience(options.audience);
  }
  return jwt.sign(options.key ?? new TextEncoder().encode(CRM_SECRET));
}

/** Claims of a fresh CRM user in a fresh (or the given) CRM company. */
function crmUser(role: string, company = unique('crm-co')) {
  const id = unique('crm-user');
  return {
    sub: id,
    companyId: company,
    role,
    email: uniqueEmail(id),
    name: `Name of ${id}`,
    companyName: `CRM company ${company}`,
  };
}

const me = (target: TestApp, token: string) => call(target, 'GET', '/api/auth/me', { token });

function expectInvalidToken(res: { status: number; body: any }) {
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ success: false, error: { code: 'INVALID_TOKEN' } });
}

describe('a shared-secret (HS256) external issuer', () => {
  it('provisions the user and company on the first request, from the claims', async () => {
    const claims = crmUser('admin');
    const res = await me(app, await crmToken(claims));

    expect(res.status).toBe(200);
    const { user, company } = res.body.data;
    expect(user).toMatchObject({
      role: 'admin',
      email: claims.email,
      name: claims.name,
      active: true,
      companyId: company.id,
    });
    expect(company).toMatchObject({ name: claims.companyName });
    // Our ids are our own, not the CRM's.
    expect(user.id).toMatch(UUID);
    expect(company.id).toMatch(UUID);
    expect(user.id).not.toBe(claims.sub);
    expect(company.id).not.toBe(claims.companyId);
  });

  it('lower-cases the email claim and falls back to defaults when name claims are absent', async () => {
    const sub = unique('crm-user');
    const companyId = unique('crm-co');
    const email = uniqueEmail('MiXeD').toUpperCase();
    const res = await me(app, await crmToken({ sub, companyId, role: 'manager', email }));
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ role: 'manager', email: email.toLowerCase() });
    expect(res.body.data.user.name).toEqual(expect.any(String));
    expect(res.body.data.company.name).toContain(companyId);
  });

  it('maps the same CRM user to the same user on every token, without duplicates', async () => {
    const claims = crmUser('admin');
    const token = await crmToken(claims);
    const first = await me(app, token);
    const second = await me(app, token);
    // A new token (another iat and expiry) for the same CRM user.
    const third = await me(app, await crmToken(claims, { expiresAt: Math.floor(Date.now() / 1000) + 7200 }));

    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    const ids = new Set([first, second, third].map((r) => r.body.data.user.id));
    const companies = new Set([first, second, third].map((r) => r.body.data.company.id));
    expect(ids.size).toBe(1);
    expect(companies.size).toBe(1);

    const audit = await call(app, 'GET', '/api/audit', { token });
    expect(audit.status).toBe(200);
    const provisioned = audit.body.data.filter((e: any) => e.action === 'user.provisioned');
    expect(provisioned).toHaveLength(1);
    expect(provisioned[0]).toMatchObject({ targetType: 'user', targetId: first.body.data.user.id });
  });

  it('converges concurrent first requests on one user and one company', async () => {
    // Several rounds, each a fresh CRM user: a race shows up in some rounds, not in every one.
    for (let round = 0; round < 6; round++) {
      const claims = crmUser('admin');
      const token = await crmToken(claims);
      const results = await Promise.all(Array.from({ length: 5 }, () => me(app, token)));

      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(new Set(results.map((r) => r.body.data.user.id)).size).toBe(1);
      expect(new Set(results.map((r) => r.body.data.company.id)).size).toBe(1);
      // The email claim was kept, not dropped by a losing racer.
      expect(results[0]!.body.data.user.email).toBe(claims.email);

      const audit = await call(app, 'GET', '/api/audit', { token });
      expect(audit.body.data.filter((e: any) => e.action === 'user.provisioned')).toHaveLength(1);
    }
  });

  it('converges concurrent first requests of different users of one new company on one company', async () => {
    const companyId = unique('crm-co');
    const tokens = await Promise.all(
      Array.from({ length: 4 }, (_, i) => crmToken(crmUser(i === 0 ? 'admin' : 'manager', companyId))),
    );
    const results = await Promise.all(tokens.map((t) => me(app, t)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(results.map((r) => r.body.data.company.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.body.data.user.id)).size).toBe(4);

    const managers = await call(app, 'GET', '/api/managers', { token: tokens[0] });
    expect(managers.status).toBe(200);
    expect(managers.body.data.map((m: any) => m.id).sort()).toEqual(
      results
        .slice(1)
        .map((r) => r.body.data.user.id)
        .sort(),
    );
  });

  it('accepts numeric user and company ids', async () => {
    const sub = Number.parseInt(randomBytes(3).toString('hex'), 16);
    const companyId = sub + 1;
    const token = await crmToken({ sub: String(sub), companyId, role: 'admin' });
    const first = await me(app, token);
    expect(first.status).toBe(200);
    expect(first.body.data.company.name).toContain(String(companyId));
  });

  it('lets an external admin create managers and list them', async () => {
    const admin = await crmToken(crmUser('admin'));
    const adminMe = await me(app, admin);
    expect(adminMe.status).toBe(200);

    const email = uniqueEmail('made-by-crm-admin');
    const created = await call(app, 'POST', '/api/managers', {
      token: admin,
      body: { name: 'Made Here', email, password: 'manager-password-1' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      role: 'manager',
      email,
      companyId: adminMe.body.data.company.id,
    });

    const list = await call(app, 'GET', '/api/managers', { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.data.map((m: any) => m.id)).toEqual([created.body.data.id]);

    // That manager signs in with our own token, in the external company.
    const login = await call(app, 'POST', '/api/auth/login', {
      body: { email, password: 'manager-password-1' },
    });
    expect(login.status).toBe(200);
    const managerMe = await me(app, login.body.data.token);
    expect(managerMe.body.data.company.id).toBe(adminMe.body.data.company.id);
  });

  it('gives an external manager the manager role: admin endpoints answer 403', async () => {
    const token = await crmToken(crmUser('manager'));
    const res = await me(app, token);
    expect(res.status).toBe(200);
    expect(res.body.data.user.role).toBe('manager');

    const list = await call(app, 'GET', '/api/managers', { token });
    expect(list.status).toBe(403);
    expect(list.body).toMatchObject({ success: false, error: { code: 'FORBIDDEN' } });
    const create = await call(app, 'POST', '/api/managers', {
      token,
      body: { name: 'X', email: uniqueEmail('x'), password: 'manager-password-1' },
    });
    expect(create.status).toBe(403);
  });

  it('follows the role the CRM sends: a user promoted to admin becomes admin, same id', async () => {
    const claims = crmUser('manager');
    const asManager = await me(app, await crmToken(claims));
    expect(asManager.body.data.user.role).toBe('manager');

    const promoted = await crmToken({ ...claims, role: 'admin' });
    const asAdmin = await me(app, promoted);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.data.user).toMatchObject({ id: asManager.body.data.user.id, role: 'admin' });
    expect((await call(app, 'GET', '/api/managers', { token: promoted })).status).toBe(200);
  });

  it('provisions a user whose email belongs to another account, without the email', async () => {
    const local = await givenCompany(app);
    const claims = { ...crmUser('admin'), email: local.email };
    const res = await me(app, await crmToken(claims));
    expect(res.status).toBe(200);
    expect(res.body.data.user.email).toBeNull();
    expect(res.body.data.user.id).not.toBe(local.user.id);

    // The local account is untouched.
    const login = await call(app, 'POST', '/api/auth/login', {
      body: { email: local.email, password: local.password },
    });
    expect(login.status).toBe(200);
    expect(login.body.data.user.id).toBe(local.user.id);
  });

  it.each([
    ['an unknown role', { role: 'superuser' }],
    ['no role', { role: undefined }],
    ['a role of the wrong type', { role: ['admin'] }],
    ['no company claim', { companyId: undefined }],
    ['a blank company claim', { companyId: '   ' }],
    ['no user claim', { sub: undefined }],
  ])('refuses a token with %s with 401', async (_case, patch) => {
    const claims: Record<string, unknown> = { ...crmUser('admin'), ...patch };
    for (const [k, v] of Object.entries(claims)) {
      if (v === undefined) {
        delete claims[k];
      }
    }
    expectInvalidToken(await me(app, await crmToken(claims)));
  });

  it('provisions nothing for a refused token', async () => {
    const claims = crmUser('admin');
    expectInvalidToken(
      await me(app, await crmToken({ ...claims, role: 'superuser', companyName: 'Refused' })),
    );

    // The first accepted token creates the company: it takes this token's name, not the refused one's.
    const token = await crmToken(claims);
    const res = await me(app, token);
    expect(res.status).toBe(200);
    expect(res.body.data.company.name).toBe(claims.companyName);
    const audit = await call(app, 'GET', '/api/audit', { token });
    expect(audit.body.data.map((e: any) => e.action)).toEqual(['user.provisioned']);
  });

  it('refuses a wrong issuer and a missing issuer with 401', async () => {
    const claims = crmUser('admin');
    expectInvalidToken(await me(app, await crmToken(claims, { issuer: 'another-crm' })));
    expectInvalidToken(await me(app, await crmToken(claims, { issuer: null })));
  });

  it('refuses a wrong secret, an expired token, another HMAC algorithm and alg none with 401', async () => {
    const claims = crmUser('admin');
    const wrong = new TextEncoder().encode('not-the-crm-secret-but-long-enough-0123456789');
    expectInvalidToken(await me(app, await crmToken(claims, { key: wrong })));
    expectInvalidToken(
      await me(app, await crmToken(claims, { expiresAt: Math.floor(Date.now() / 1000) - 60 })),
    );
    expectInvalidToken(await me(app, await crmToken(claims, { alg: 'HS512' })));

    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: CRM_ISSUER, exp: now + 600 })}.`;
    expectInvalidToken(await me(app, none));
  });

  it('keeps the two issuers apart: neither secret signs for the other issuer', async () => {
    const local = await givenCompany(app);
    // The CRM secret cannot mint our own tokens...
    const asOwn = await crmToken(
      { sub: local.user.id, companyId: local.company.id, role: 'admin' },
      { issuer: 'whatsapp-service' },
    );
    expectInvalidToken(await me(app, asOwn));
    // ...and our secret cannot mint CRM tokens.
    const asCrm = await crmToken(crmUser('admin'), { key: new TextEncoder().encode(TEST_JWT_SECRET) });
    expectInvalidToken(await me(app, asCrm));
  });

  it('still accepts its own tokens from register and login', async () => {
    const local = await givenCompany(app);
    const fromRegister = await me(app, local.token);
    expect(fromRegister.status).toBe(200);
    expect(fromRegister.body.data.user.id).toBe(local.user.id);

    const login = await call(app, 'POST', '/api/auth/login', {
      body: { email: local.email, password: local.password },
    });
    expect(login.status).toBe(200);
    const fromLogin = await me(app, login.body.data.token);
    expect(fromLogin.status).toBe(200);
    expect(fromLogin.body.data.company.id).toBe(local.company.id);
  });

  it('isolates two external companies from each other', async () => {
    const adminA = await crmToken(crmUser('admin'));
    const adminB = await crmToken(crmUser('admin'));
    const bMe = await me(app, adminB);
    expect(bMe.status).toBe(200);

    const created = await call(app, 'POST', '/api/managers', {
      token: adminB,
      body: { name: 'B manager', email: uniqueEmail('b-manager'), password: 'manager-password-1' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.companyId).toBe(bMe.body.data.company.id);
    const id = created.body.data.id;

    expect((await me(app, adminA)).status).toBe(200);
    const patch = await call(app, 'PATCH', `/api/managers/${id}`, {
      token: adminA,
      body: { name: 'Hijacked' },
    });
    expect(patch.status).toBe(404);
    expect(patch.body).toMatchObject({ success: false, error: { code: 'MANAGER_NOT_FOUND' } });
    const del = await call(app, 'DELETE', `/api/managers/${id}`, { token: adminA });
    expect(del.status).toBe(404);
    const listA = await call(app, 'GET', '/api/managers', { token: adminA });
    expect(listA.body.data).toEqual([]);

    // B's manager is untouched.
    const listB = await call(app, 'GET', '/api/managers', { token: adminB });
    expect(listB.body.data).toEqual([expect.objectContaining({ id, name: 'B manager', active: true })]);
  });

  it('keeps the same CRM user id in two CRM companies as two users', async () => {
    const sub = unique('shared-sub');
    const a = await me(app, await crmToken({ ...crmUser('admin'), sub }));
    const b = await me(app, await crmToken({ ...crmUser('admin'), sub }));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.data.user.id).not.toBe(b.body.data.user.id);
    expect(a.body.data.company.id).not.toBe(b.body.data.company.id);
  });

  it('ends an externally provisioned manager at once when their admin deactivates them', async () => {
    const companyId = unique('crm-co');
    const admin = await crmToken(crmUser('admin', companyId));
    const managerClaims = crmUser('manager', companyId);
    const manager = await crmToken(managerClaims);

    const managerMe = await me(app, manager);
    expect(managerMe.status).toBe(200);
    const managerId = managerMe.body.data.user.id;

    const list = await call(app, 'GET', '/api/managers', { token: admin });
    expect(list.body.data.map((m: any) => m.id)).toEqual([managerId]);

    const removed = await call(app, 'DELETE', `/api/managers/${managerId}`, { token: admin });
    expect(removed.status).toBe(200);
    expect(removed.body.data).toMatchObject({ id: managerId, active: false });

    // The token that was just working, and a freshly issued one, both fail: no re-provisioning.
    expectInvalidToken(await me(app, manager));
    expectInvalidToken(await me(app, await crmToken(managerClaims)));
    const after = await call(app, 'GET', '/api/managers', { token: admin });
    expect(after.body.data).toEqual([expect.objectContaining({ id: managerId, active: false })]);
  });
});

describe('custom claim names and role mapping', () => {
  const AUDIENCE = 'whatsapp-api';
  const custom = useTestApp({
    EXTERNAL_JWT_SECRET: CRM_SECRET,
    EXTERNAL_JWT_AUDIENCE: AUDIENCE,
    EXTERNAL_JWT_USER_ID_CLAIM: 'uid',
    EXTERNAL_JWT_COMPANY_ID_CLAIM: 'tenant',
    EXTERNAL_JWT_ROLE_CLAIM: 'crmRole',
    EXTERNAL_JWT_ADMIN_ROLES: 'owner, superuser',
    EXTERNAL_JWT_MANAGER_ROLES: 'agent',
  });

  /** `audience: null` leaves the claim out. */
  const customToken = (claims: Record<string, unknown>, audience: string | null = AUDIENCE) =>
    crmToken(claims, { issuer: 'anything', ...(audience ? { audience } : {}) });

  it.each([
    ['owner', 'admin'],
    ['superuser', 'admin'],
    ['agent', 'manager'],
  ])('reads uid/tenant/crmRole and maps %s to %s', async (crmRole, role) => {
    const uid = unique('uid');
    const tenant = unique('tenant');
    const res = await me(custom, await customToken({ uid, tenant, crmRole, companyName: 'Tenant Inc' }));
    expect(res.status).toBe(200);
    expect(res.body.data.user.role).toBe(role);
    expect(res.body.data.company.name).toBe('Tenant Inc');
    const list = await call(custom, 'GET', '/api/managers', {
      token: await customToken({ uid, tenant, crmRole }),
    });
    expect(list.status).toBe(role === 'admin' ? 200 : 403);
  });

  it('refuses role names outside the mapping, including the defaults', async () => {
    for (const crmRole of ['admin', 'manager', 'Owner', '']) {
      expectInvalidToken(
        await me(custom, await customToken({ uid: unique('u'), tenant: unique('t'), crmRole })),
      );
    }
  });

  it('ignores the default claim names', async () => {
    const token = await customToken({
      sub: unique('u'),
      companyId: unique('t'),
      role: 'owner',
      crmRole: 'owner',
    });
    expectInvalidToken(await me(custom, token));
    const noTenant = await customToken({ uid: unique('u'), companyId: unique('t'), crmRole: 'owner' });
    expectInvalidToken(await me(custom, noTenant));
  });

  it('checks the audience when one is configured', async () => {
    const claims = { uid: unique('u'), tenant: unique('t'), crmRole: 'owner' };
    expectInvalidToken(await me(custom, await customToken(claims, 'some-other-api')));
    expectInvalidToken(await me(custom, await customToken(claims, null)));
    expect((await me(custom, await customToken(claims))).status).toBe(200);
  });
});

describe('an RS256 public key', () => {
  let rsa: TestApp;
  let privateKey: CryptoKey;
  let pem: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    pem = await exportSPKI(pair.publicKey);
    rsa = await createTestApp({ EXTERNAL_JWT_PUBLIC_KEY: pem, EXTERNAL_JWT_ISSUER: CRM_ISSUER });
  });
  afterAll(async () => {
    await rsa.close();
  });

  it('accepts a token signed with the matching private key', async () => {
    const claims = crmUser('admin');
    const res = await me(rsa, await crmToken(claims, { alg: 'RS256', key: privateKey }));
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ role: 'admin', email: claims.email });
  });

  it('refuses an HS256 token, including one keyed with the public key itself (key confusion)', async () => {
    const claims = crmUser('admin');
    expectInvalidToken(await me(rsa, await crmToken(claims, { key: new TextEncoder().encode(pem) })));
    expectInvalidToken(await me(rsa, await crmToken(claims)));
  });

  it('refuses a token signed with another private key', async () => {
    const other = await generateKeyPair('RS256');
    expectInvalidToken(
      await me(rsa, await crmToken(crmUser('admin'), { alg: 'RS256', key: other.privateKey })),
    );
  });
});

describe('a JWKS URL', () => {
  let jwksApp: TestApp;
  let server: Server;
  let rsaKey: CryptoKey;
  let ecKey: CryptoKey;
  let fetches = 0;

  beforeAll(async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    rsaKey = rsa.privateKey;
    ecKey = ec.privateKey;
    const keys: JWK[] = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    server = createServer((req, res) => {
      fetches += 1;
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    jwksApp = await createTestApp({
      EXTERNAL_JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      EXTERNAL_JWT_ISSUER: CRM_ISSUER,
    });
  });
  afterAll(async () => {
    await jwksApp.close();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('accepts a token whose kid is in the key set, fetching the set from the URL', async () => {
    const claims = crmUser('admin');
    const res = await me(jwksApp, await crmToken(claims, { alg: 'RS256', key: rsaKey, kid: 'rsa-1' }));
    expect(res.status).toBe(200);
    expect(res.body.data.user).toMatchObject({ role: 'admin', email: claims.email });
    expect(fetches).toBeGreaterThanOrEqual(1);
  });

  it('accepts an ES256 key of the set too', async () => {
    const res = await me(
      jwksApp,
      await crmToken(crmUser('manager'), { alg: 'ES256', key: ecKey, kid: 'ec-1' }),
    );
    expect(res.status).toBe(200);
    expect(res.body.data.user.role).toBe('manager');
  });

  it('refuses an unknown kid, a key outside the set, and an HS256 token', async () => {
    const claims = crmUser('admin');
    expectInvalidToken(await me(jwksApp, await crmToken(claims, { alg: 'RS256', key: rsaKey, kid: 'nope' })));
    const stranger = await generateKeyPair('RS256');
    expectInvalidToken(
      await me(jwksApp, await crmToken(claims, { alg: 'RS256', key: stranger.privateKey, kid: 'rsa-1' })),
    );
    expectInvalidToken(await me(jwksApp, await crmToken(claims, { kid: 'rsa-1' })));
  });

  it('still accepts its own tokens', async () => {
    const local = await givenCompany(jwksApp);
    const res = await me(jwksApp, local.token);
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(local.user.id);
  });
});

describe('external issuer configuration', () => {
  const base = (overrides: Record<string, string>) =>
    testEnv({ DATA_DIR: '/nonexistent-never-written', ...overrides });

  it('refuses EXTERNAL_JWT_SECRET equal to JWT_SECRET', () => {
    let error: unknown;
    try {
      loadConfig(base({ EXTERNAL_JWT_SECRET: TEST_JWT_SECRET }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^EXTERNAL_JWT_SECRET: .*JWT_SECRET/),
    ]);
  });

  it('refuses more than one key source, and a short secret', () => {
    expect(() =>
      loadConfig(
        base({ EXTERNAL_JWT_SECRET: CRM_SECRET, EXTERNAL_JWT_JWKS_URL: 'https://crm.example.com/jwks' }),
      ),
    ).toThrow(ConfigError);
    expect(() => loadConfig(base({ EXTERNAL_JWT_SECRET: 'short' }))).toThrow(ConfigError);
    expect(() => loadConfig(base({ EXTERNAL_JWT_PUBLIC_KEY: 'not a pem' }))).toThrow(ConfigError);
  });

  it('builds the external issuer from a distinct secret, and none without one', () => {
    const config = loadConfig(
      base({ EXTERNAL_JWT_SECRET: CRM_SECRET, EXTERNAL_JWT_ADMIN_ROLES: 'owner, boss' }),
    );
    expect(config.auth.external).toMatchObject({
      key: { kind: 'secret', secret: CRM_SECRET },
      algorithms: ['HS256'],
      adminRoles: ['owner', 'boss'],
      managerRoles: ['manager'],
    });
    expect(loadConfig(base({})).auth.external).toBeNull();
  });
});
