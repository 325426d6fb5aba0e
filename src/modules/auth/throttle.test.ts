import { describe, expect, it } from 'vitest';

import {
  type ApiResponse,
  call,
  givenCompany,
  givenManager,
  uniqueEmail,
} from '../../../test/support/factories.js';
import { createTestApp, type TestApp } from '../../../test/support/test-app.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import { createLoginThrottle } from './login-throttle.js';

/**
 * Slowdown after 3 failures of one address for one account (a first delay of a minute, so no test
 * outlasts it), and after 30 of one account from all addresses; the per-address limit is set out of the way.
 */
const app = useTestApp({
  LOGIN_FAILURE_LIMIT: '3',
  LOGIN_FAILURE_DELAY: '60s',
  AUTH_RATE_LIMIT_PER_MINUTE: '10000',
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

const loginFrom = (target: TestApp, remoteAddress: string, email: string, password: string) =>
  from(target, remoteAddress, 'POST', '/api/auth/login', { body: { email, password } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a client can see of an answer, to compare known and unknown emails. */
const shape = (r: ApiResponse) => ({
  status: r.status,
  code: r.body.error.code,
  message: r.body.error.message,
  detailKeys: Object.keys(r.body.error.details ?? {}),
  hasRetryAfter: r.headers['retry-after'] !== undefined,
});

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
  const limited = useTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });

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

describe('slowdown after failed logins', () => {
  it('delays the address that failed three times, even with the right password, but not the owner elsewhere', async () => {
    const company = await givenCompany(app);
    for (let i = 0; i < 3; i++) {
      const res = await login(app, company.email, 'wrong-password');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    }
    const delayed = await login(app, company.email, company.password);
    const seconds = expectRateLimited(delayed, 60);
    expect(seconds).toBeGreaterThanOrEqual(58);
    expect(delayed.body.error.details).toEqual({ retryAfterSeconds: seconds });

    const otherAddress = await loginFrom(app, '10.1.0.1', company.email, company.password);
    expect(otherAddress.status).toBe(200);
    expect(otherAddress.body.data.user.id).toBe(company.user.id);
    // The failing address is still delayed.
    expectRateLimited(await login(app, company.email, company.password), 60);
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

  it('delays addresses that never signed in once 30 failures come from many addresses, but not an address the owner used', async () => {
    const company = await givenCompany(app);
    // The owner signs in from their usual address before the attack.
    expect((await loginFrom(app, '10.3.0.100', company.email, company.password)).status).toBe(200);

    const ghost = uniqueEmail('ghost');
    for (const email of [company.email, ghost]) {
      // Ten addresses, three wrong passwords each: none of them reaches its own delay's 4th attempt.
      for (let a = 1; a <= 10; a++) {
        for (let i = 0; i < 3; i++) {
          expect((await loginFrom(app, `10.3.0.${a}`, email, 'wrong-password')).status).toBe(401);
        }
      }
    }

    const newcomer = await loginFrom(app, '10.3.0.11', company.email, company.password);
    expectRateLimited(newcomer, 60);
    const ghostNewcomer = await loginFrom(app, '10.3.0.11', ghost, company.password);
    expectRateLimited(ghostNewcomer, 60);
    expect(shape(ghostNewcomer)).toEqual(shape(newcomer));

    const owner = await loginFrom(app, '10.3.0.100', company.email, company.password);
    expect(owner.status).toBe(200);
    expect(owner.body.data.user.id).toBe(company.user.id);

    const audit = await call(app, 'GET', '/api/audit', { token: company.token });
    const throttled = audit.body.data.filter((e: any) => e.action === 'login.throttled');
    expect(throttled.filter((e: any) => e.details.scope === 'address')).toHaveLength(10);
    expect(throttled.filter((e: any) => e.details.scope === 'account')).toEqual([
      expect.objectContaining({ targetId: company.user.id, ip: '10.3.0.10' }),
    ]);
  });
});

describe('slowdown after failed logins, with the default limits', () => {
  const defaults = useTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '10000' });

  const failTenTimes = async (address: string, email: string) => {
    for (let i = 0; i < 10; i++) {
      const res = await loginFrom(defaults, address, email, 'wrong-password');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    }
  };

  it('lets the owner sign in from their address after ten wrong passwords from an attacker', async () => {
    const company = await givenCompany(defaults);
    const ghost = uniqueEmail('ghost');
    await failTenTimes('10.8.0.1', company.email);
    await failTenTimes('10.8.0.1', ghost);

    const attacker = await loginFrom(defaults, '10.8.0.1', company.email, 'wrong-password');
    expect(expectRateLimited(attacker, 1)).toBe(1);
    expect(attacker.body.error.details).toEqual({ retryAfterSeconds: 1 });
    // The attacker's address waits whatever password it sends.
    expectRateLimited(await loginFrom(defaults, '10.8.0.1', company.email, company.password), 1);
    // An unknown email is answered the same.
    const ghostAttempt = await loginFrom(defaults, '10.8.0.1', ghost, 'wrong-password');
    expect(shape(ghostAttempt)).toEqual(shape(attacker));

    const owner = await loginFrom(defaults, '10.8.0.2', company.email, company.password);
    expect(owner.status).toBe(200);
    expect(owner.body.data.user.id).toBe(company.user.id);
  });

  it('doubles the delay with each further failure of the same address', async () => {
    const company = await givenCompany(defaults);
    await failTenTimes('10.8.1.1', company.email);
    expect(expectRateLimited(await loginFrom(defaults, '10.8.1.1', company.email, 'wrong'), 1)).toBe(1);

    await sleep(1100);
    expect((await loginFrom(defaults, '10.8.1.1', company.email, 'wrong-password')).status).toBe(401);
    expect(expectRateLimited(await loginFrom(defaults, '10.8.1.1', company.email, 'wrong'), 2)).toBe(2);

    await sleep(2100);
    expect((await loginFrom(defaults, '10.8.1.1', company.email, 'wrong-password')).status).toBe(401);
    expect(expectRateLimited(await loginFrom(defaults, '10.8.1.1', company.email, 'wrong'), 4)).toBe(4);
  });

  it("clears the address's failures when it signs in once its delay has passed", async () => {
    const company = await givenCompany(defaults);
    await failTenTimes('10.8.2.1', company.email);
    expectRateLimited(await loginFrom(defaults, '10.8.2.1', company.email, company.password), 1);

    await sleep(1100);
    expect((await loginFrom(defaults, '10.8.2.1', company.email, company.password)).status).toBe(200);
    // Counted from zero again: ten more failures before the first one-second delay.
    await failTenTimes('10.8.2.1', company.email);
    expect(expectRateLimited(await loginFrom(defaults, '10.8.2.1', company.email, 'wrong'), 1)).toBe(1);
  });
});

describe('createLoginThrottle', () => {
  const WINDOW = 60_000;
  const A = 'a@example.com';
  const clock = () => {
    let t = 1_000_000;
    return {
      now: () => t,
      set: (ms: number) => {
        t = 1_000_000 + ms;
      },
    };
  };
  const throttleWith = (
    c: ReturnType<typeof clock>,
    options: { limit?: number; accountLimit?: number; delayMs?: number; windowMs?: number } = {},
  ) =>
    createLoginThrottle({
      limit: 3,
      accountLimit: 30,
      delayMs: 1000,
      windowMs: WINDOW,
      now: c.now,
      ...options,
    });

  it('allows until the limit, and reports the failure that reaches it', () => {
    const c = clock();
    const throttle = throttleWith(c);
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: false, account: false });
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: false, account: false });
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: true, account: false });
    expect(throttle.retryAfter(A, '10.0.0.1')).toBeGreaterThan(0);
  });

  it('delays only the pair that failed: not another address, not another email', () => {
    const c = clock();
    const throttle = throttleWith(c);
    for (let i = 0; i < 3; i++) {
      throttle.fail(A, '10.0.0.1');
    }
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(1);
    expect(throttle.retryAfter(A, '10.0.0.2')).toBe(0);
    expect(throttle.retryAfter('b@example.com', '10.0.0.1')).toBe(0);
  });

  it('doubles the delay with each failure past the limit, from the last failure, up to the window', () => {
    const c = clock();
    const throttle = throttleWith(c, { limit: 2, windowMs: 10 * 60_000 });
    const waits = [];
    let at = 0;
    for (let i = 0; i < 12; i++) {
      c.set(at);
      throttle.fail(A, '10.0.0.1');
      const wait = throttle.retryAfter(A, '10.0.0.1');
      waits.push(wait);
      at += wait * 1000;
    }
    expect(waits).toEqual([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600]);

    // In whole seconds, counting down from the last failure.
    c.set(at - 600_000 + 250_500);
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(350);
    // Keeping to the pace allowed keeps the delay at the window.
    c.set(at);
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
    throttle.fail(A, '10.0.0.1');
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(600);
  });

  it('answers retryAfter in whole seconds, above 0 while delayed', () => {
    const c = clock();
    const throttle = throttleWith(c, { delayMs: 20_000 });
    for (const at of [0, 20_000, 40_000]) {
      c.set(at);
      throttle.fail(A, '10.0.0.1');
    }
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(20);
    c.set(50_500);
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(10);
    c.set(59_999);
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(1);
    c.set(60_000);
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
  });

  it('keeps counting failures that come less than a window apart, after the delay then due', () => {
    const c = clock();
    const throttle = throttleWith(c);
    for (const at of [0, 20_000, 40_000]) {
      c.set(at);
      throttle.fail(A, '10.0.0.1');
    }
    c.set(61_000);
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
    // The fourth failure continues the run: a two-second delay, not a fresh count.
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: false, account: false });
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(2);
    // A whole window after that delay ended, the run is forgotten.
    c.set(63_000 + WINDOW);
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: false, account: false });
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
  });

  it('forgets everything after a whole quiet window', () => {
    const c = clock();
    const throttle = throttleWith(c, { limit: 2 });
    throttle.fail(A, '10.0.0.1');
    c.set(WINDOW + 1);
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: false, account: false });
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
  });

  it('clears only that pair on a success', () => {
    const c = clock();
    const throttle = throttleWith(c, { limit: 2 });
    for (const address of ['10.0.0.1', '10.0.0.2']) {
      throttle.fail(A, address);
      throttle.fail(A, address);
    }
    throttle.fail('b@example.com', '10.0.0.1');
    throttle.fail('b@example.com', '10.0.0.1');

    throttle.succeed(A, '10.0.0.1');
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
    expect(throttle.retryAfter(A, '10.0.0.2')).toBeGreaterThan(0);
    expect(throttle.retryAfter('b@example.com', '10.0.0.1')).toBeGreaterThan(0);
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: false, account: false });
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: true, account: false });
  });

  it('delays every address that never signed in once the account limit is reached, doubling too', () => {
    const c = clock();
    const throttle = throttleWith(c, { limit: 3, accountLimit: 6 });
    throttle.succeed(A, '10.0.9.9');
    const reached = [];
    for (let i = 0; i < 6; i++) {
      reached.push(throttle.fail(A, `10.0.0.${i}`));
    }
    expect(reached.map((r) => r.account)).toEqual([false, false, false, false, false, true]);
    expect(throttle.retryAfter(A, '10.0.1.1')).toBe(1);
    expect(throttle.retryAfter(A, '10.0.0.0')).toBe(1);
    // The address that signed in before is exempt from the account delay.
    expect(throttle.retryAfter(A, '10.0.9.9')).toBe(0);
    // Other emails are not concerned.
    expect(throttle.retryAfter('b@example.com', '10.0.1.1')).toBe(0);

    c.set(1000);
    throttle.fail(A, '10.0.2.1');
    expect(throttle.retryAfter(A, '10.0.1.1')).toBe(2);
    c.set(3000);
    throttle.fail(A, '10.0.2.2');
    expect(throttle.retryAfter(A, '10.0.1.1')).toBe(4);
    expect(throttle.retryAfter(A, '10.0.9.9')).toBe(0);
  });

  it('keeps the exemption of a known address only as long as it is remembered', () => {
    const c = clock();
    const throttle = throttleWith(c, { limit: 100, accountLimit: 1 });
    throttle.succeed(A, '10.0.9.9');
    c.set(30 * 24 * 3600 * 1000 - 500);
    throttle.fail(A, '10.0.0.1');
    expect(throttle.retryAfter(A, '10.0.9.9')).toBe(0);
    c.set(30 * 24 * 3600 * 1000);
    expect(throttle.retryAfter(A, '10.0.9.9')).toBe(1);
  });

  it('stays within its bound of tracked keys, forgetting the least recently touched', () => {
    const c = clock();
    const throttle = createLoginThrottle({
      limit: 1,
      accountLimit: 1000,
      delayMs: 1000,
      windowMs: WINDOW,
      maxTracked: 10,
      now: c.now,
    });
    throttle.fail(A, '10.0.0.1');
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(1);
    for (let i = 0; i < 10; i++) {
      throttle.fail(`spray-${i}@example.com`, '10.0.0.2');
    }
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(0);
    expect(throttle.retryAfter('spray-9@example.com', '10.0.0.2')).toBe(1);
  });

  it('delays after the first failure with a limit of 1', () => {
    const c = clock();
    const throttle = throttleWith(c, { limit: 1, windowMs: 15 * 60_000 });
    expect(throttle.fail(A, '10.0.0.1')).toEqual({ address: true, account: false });
    expect(throttle.retryAfter(A, '10.0.0.1')).toBe(1);
  });
});
