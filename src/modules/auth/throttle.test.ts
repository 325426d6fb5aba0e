import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type ApiResponse,
  call,
  givenCompany,
  givenManager,
  uniqueEmail,
} from '../../../test/support/factories.js';
import { createTestApp, type TestApp } from '../../../test/support/test-app.js';
import { createLoginThrottle } from './login-throttle.js';

/** Per-account slowdown after 3 failures; the per-address limit is set out of the way. */
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp({ LOGIN_FAILURE_LIMIT: '3', AUTH_RATE_LIMIT_PER_MINUTE: '10000' });
});
afterAll(async () => {
  await app.close();
});

/** Like `call`, from a given client address (the per-address limit keys on it). */
async function from(
  target: TestApp,
  remoteAddress: string,
  method: 'GET' | 'POST',
  url: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const res = await target.http.inject({
    method,
    url,
    remoteAddress,
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { payload: options.body as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}

const login = (target: TestApp, email: string, password: string) =>
  call(target, 'POST', '/api/auth/login', { body: { email, password } });

const registration = () => ({
  companyName: 'Throttled Inc',
  name: 'Admin',
  email: uniqueEmail('reg'),
  password: 'admin-password-1',
});

function expectRateLimited(res: ApiResponse, maxSeconds: number) {
  expect(res.status).toBe(429);
  expect(res.body).toMatchObject({
    success: false,
    error: { code: 'RATE_LIMITED', message: expect.any(String) },
  });
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  return retryAfter;
}

describe('per-address rate limit on login and register', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await limited.close();
  });

  it('answers the 4th login from one address within a minute with 429 and retry-after, right password or not', async () => {
    // The account is registered from elsewhere, so only logins count against this address.
    const body = registration();
    expect((await from(limited, '10.0.0.1', 'POST', '/api/auth/register', { body })).status).toBe(201);

    const attempt = (password: string) =>
      from(limited, '10.0.1.1', 'POST', '/api/auth/login', { body: { email: body.email, password } });
    expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt(body.password)).status).toBe(200);

    const fourth = await attempt(body.password);
    expectRateLimited(fourth, 60);
    expect(fourth.body.error.requestId).toEqual(expect.any(String));

    // Another address keeps its own budget.
    const elsewhere = await from(limited, '10.0.1.2', 'POST', '/api/auth/login', {
      body: { email: body.email, password: body.password },
    });
    expect(elsewhere.status).toBe(200);
  });

  it('answers the 4th registration from one address with 429 and creates nothing', async () => {
    const bodies = [registration(), registration(), registration(), registration()];
    const results = [];
    for (const body of bodies) {
      results.push(await from(limited, '10.0.2.1', 'POST', '/api/auth/register', { body }));
    }
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 429]);
    expectRateLimited(results[3]!, 60);

    const refused = bodies[3]!;
    const attempt = await from(limited, '10.0.2.2', 'POST', '/api/auth/login', {
      body: { email: refused.email, password: refused.password },
    });
    expect(attempt.status).toBe(401);
    expect(attempt.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('counts malformed attempts too', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await from(limited, '10.0.3.1', 'POST', '/api/auth/login', { body: { email: 'not-an-email' } }))
          .status,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
  });

  it('is not escaped by sending X-Forwarded-For when the proxy is not trusted', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await from(limited, '10.0.4.1', 'POST', '/api/auth/login', {
        body: { email: uniqueEmail('xff'), password: 'whatever-1' },
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('does not limit health', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await from(limited, '10.0.5.1', 'GET', '/api/health');
      expect(res.status).toBe(200);
      expect(res.headers['retry-after']).toBeUndefined();
    }
    // Not even from an address that has used up its login budget.
    for (let i = 0; i < 4; i++) {
      await from(limited, '10.0.5.2', 'POST', '/api/auth/login', {
        body: { email: uniqueEmail('h'), password: 'whatever-1' },
      });
    }
    expect((await from(limited, '10.0.5.2', 'GET', '/api/health')).status).toBe(200);
  });

  it('limits per client (X-Forwarded-For) when the proxy is trusted', async () => {
    const proxied = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'true' });
    try {
      const attempt = (client: string) =>
        from(proxied, '10.0.6.1', 'POST', '/api/auth/login', {
          body: { email: uniqueEmail('p'), password: 'whatever-1' },
          headers: { 'x-forwarded-for': client },
        });
      const first = [];
      for (let i = 0; i < 4; i++) {
        first.push((await attempt('198.51.100.1')).status);
      }
      expect(first).toEqual([401, 401, 401, 429]);
      expect((await attempt('198.51.100.2')).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});

describe('per-account slowdown after failed logins', () => {
  it('refuses even the right password with 429 after three wrong ones, from any address', async () => {
    const company = await givenCompany(app);
    for (let i = 0; i < 3; i++) {
      const res = await login(app, company.email, 'wrong-password');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    }
    const locked = await login(app, company.email, company.password);
    const seconds = expectRateLimited(locked, 15 * 60);
    expect(seconds).toBeGreaterThan(14 * 60);
    expect(locked.body.error.details).toEqual({ retryAfterSeconds: seconds });

    const otherAddress = await from(app, '10.1.0.1', 'POST', '/api/auth/login', {
      body: { email: company.email, password: company.password },
    });
    expectRateLimited(otherAddress, 15 * 60);
  });

  it('leaves other accounts alone', async () => {
    const victim = await givenCompany(app);
    const bystander = await givenCompany(app);
    for (let i = 0; i < 3; i++) {
      await login(app, victim.email, 'wrong-password');
    }
    expect((await login(app, victim.email, victim.password)).status).toBe(429);
    const res = await login(app, bystander.email, bystander.password);
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(bystander.user.id);
  });

  it('does not end tokens already issued to a locked account', async () => {
    const company = await givenCompany(app);
    for (let i = 0; i < 4; i++) {
      await login(app, company.email, 'wrong-password');
    }
    expect((await login(app, company.email, company.password)).status).toBe(429);
    expect((await call(app, 'GET', '/api/auth/me', { token: company.token })).status).toBe(200);
  });

  it('counts an email whatever its case or surrounding spaces', async () => {
    const company = await givenCompany(app);
    await login(app, company.email.toUpperCase(), 'wrong-password');
    await login(app, `  ${company.email} `, 'wrong-password');
    await login(app, company.email, 'wrong-password');
    expect((await login(app, company.email, company.password)).status).toBe(429);
  });

  it('throttles an unknown email the same way, revealing nothing', async () => {
    const company = await givenCompany(app);
    const ghost = uniqueEmail('ghost');
    const known = [];
    const unknown = [];
    for (let i = 0; i < 4; i++) {
      known.push(await login(app, company.email, 'wrong-password'));
      unknown.push(await login(app, ghost, 'wrong-password'));
    }
    expect(known.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(unknown.map((r) => r.status)).toEqual([401, 401, 401, 429]);

    const shape = (r: ApiResponse) => ({
      status: r.status,
      code: r.body.error.code,
      message: r.body.error.message,
      detailKeys: Object.keys(r.body.error.details ?? {}),
      hasRetryAfter: r.headers['retry-after'] !== undefined,
    });
    expect(shape(unknown[3]!)).toEqual(shape(known[3]!));
    expect(shape(unknown[0]!)).toEqual(shape(known[0]!));
    expectRateLimited(unknown[3]!, 15 * 60);
  });

  it('resets the count on a successful login before the limit', async () => {
    const company = await givenCompany(app);
    const statuses = [];
    for (const password of ['wrong-1', 'wrong-2', company.password, 'wrong-3', 'wrong-4', company.password]) {
      statuses.push((await login(app, company.email, password)).status);
    }
    // Without the reset, 'wrong-3' would be the third failure and the last attempt a 429.
    expect(statuses).toEqual([401, 401, 200, 401, 401, 200]);
  });

  it("records one 'login.throttled' audit entry when an existing account reaches the limit", async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const audit = async () => {
      const res = await call(app, 'GET', '/api/audit', { token: company.token });
      expect(res.status).toBe(200);
      return res.body.data.filter((e: any) => e.action === 'login.throttled');
    };

    await login(app, manager.email, 'wrong-password');
    await login(app, manager.email, 'wrong-password');
    expect(await audit()).toEqual([]);

    await login(app, manager.email, 'wrong-password');
    const entries = await audit();
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'login.throttled',
        actor: null,
        targetType: 'user',
        targetId: manager.user.id,
        ip: '127.0.0.1',
      }),
    ]);
    expect(JSON.stringify(entries)).not.toContain('wrong-password');

    // Further refused attempts do not add entries.
    expect((await login(app, manager.email, manager.password)).status).toBe(429);
    expect((await login(app, manager.email, 'wrong-password')).status).toBe(429);
    expect(await audit()).toHaveLength(1);

    // Nobody else's log sees it.
    const other = await givenCompany(app);
    const otherAudit = await call(app, 'GET', '/api/audit', { token: other.token });
    expect(otherAudit.body.data.map((e: any) => e.action)).not.toContain('login.throttled');
  });
});

describe('createLoginThrottle', () => {
  const WINDOW = 60_000;
  const clock = () => {
    let t = 1_000_000;
    return {
      now: () => t,
      set: (ms: number) => {
        t = 1_000_000 + ms;
      },
    };
  };

  it('allows until the limit, and reports the failure that reaches it', () => {
    const c = clock();
    const throttle = createLoginThrottle({ limit: 3, windowMs: WINDOW, now: c.now });
    expect(throttle.retryAfter('a@example.com')).toBe(0);
    expect(throttle.fail('a@example.com')).toBe(false);
    expect(throttle.retryAfter('a@example.com')).toBe(0);
    expect(throttle.fail('a@example.com')).toBe(false);
    expect(throttle.retryAfter('a@example.com')).toBe(0);
    expect(throttle.fail('a@example.com')).toBe(true);
    expect(throttle.retryAfter('a@example.com')).toBeGreaterThan(0);
  });

  it('answers retryAfter in whole seconds, above 0 while locked, until the oldest failure leaves the window', () => {
    const c = clock();
    const throttle = createLoginThrottle({ limit: 3, windowMs: WINDOW, now: c.now });
    for (const at of [0, 20_000, 40_000]) {
      c.set(at);
      throttle.fail('a@example.com');
    }
    c.set(40_000);
    expect(throttle.retryAfter('a@example.com')).toBe(20);
    c.set(50_500);
    expect(throttle.retryAfter('a@example.com')).toBe(10);
    c.set(59_999);
    expect(throttle.retryAfter('a@example.com')).toBe(1);
    c.set(WINDOW);
    expect(throttle.retryAfter('a@example.com')).toBe(0);
  });

  it('slides the window: the failures still inside it count toward the next lock', () => {
    const c = clock();
    const throttle = createLoginThrottle({ limit: 3, windowMs: WINDOW, now: c.now });
    for (const at of [0, 20_000, 40_000]) {
      c.set(at);
      throttle.fail('a@example.com');
    }
    c.set(61_000);
    expect(throttle.retryAfter('a@example.com')).toBe(0);
    // Two failures (at 20 s and 40 s) are still in the window: one more locks again.
    expect(throttle.fail('a@example.com')).toBe(true);
    expect(throttle.retryAfter('a@example.com')).toBe(19);
    c.set(WINDOW + 20_000);
    expect(throttle.retryAfter('a@example.com')).toBe(0);
  });

  it('forgets everything after a whole quiet window', () => {
    const c = clock();
    const throttle = createLoginThrottle({ limit: 2, windowMs: WINDOW, now: c.now });
    throttle.fail('a@example.com');
    c.set(WINDOW + 1);
    expect(throttle.fail('a@example.com')).toBe(false);
    expect(throttle.retryAfter('a@example.com')).toBe(0);
  });

  it('keys each email separately, and reset clears only that email', () => {
    const c = clock();
    const throttle = createLoginThrottle({ limit: 2, windowMs: WINDOW, now: c.now });
    throttle.fail('a@example.com');
    throttle.fail('a@example.com');
    throttle.fail('b@example.com');
    throttle.fail('b@example.com');
    expect(throttle.retryAfter('a@example.com')).toBeGreaterThan(0);
    expect(throttle.retryAfter('c@example.com')).toBe(0);

    throttle.reset('a@example.com');
    expect(throttle.retryAfter('a@example.com')).toBe(0);
    expect(throttle.retryAfter('b@example.com')).toBeGreaterThan(0);
    expect(throttle.fail('a@example.com')).toBe(false);
    expect(throttle.fail('a@example.com')).toBe(true);
  });

  it('locks on the first failure with a limit of 1', () => {
    const c = clock();
    const throttle = createLoginThrottle({ limit: 1, windowMs: 15 * 60_000, now: c.now });
    expect(throttle.fail('a@example.com')).toBe(true);
    expect(throttle.retryAfter('a@example.com')).toBe(15 * 60);
  });
});
