import { beforeAll, describe, expect, it } from 'vitest';

import { call, givenCompany } from '../../test/support/factories.js';
import { createTestApp } from '../../test/support/test-app.js';
import { useTestApp } from '../../test/support/use-test-app.js';

const app = useTestApp();
let token: string;

beforeAll(async () => {
  // Registered before the first inject, i.e. before the app is ready.
  app.http.get('/boom', () => {
    throw new Error('secret internal detail');
  });
  app.http.get('/boom-async', async () => {
    await Promise.resolve();
    throw Object.assign(new TypeError('another secret internal detail'), { statusCode: 500 });
  });
  token = (await givenCompany(app)).token;
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('unknown routes', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/'],
    ['POST', '/nope/deeper?x=1'],
    ['GET', '/api'],
    ['GET', '/api/nope'],
    ['GET', '/api/no-such-module/items/1'],
    ['DELETE', '/api/managers'],
  ] as const)('answers %s %s without a token with the 404 envelope', async (method, url) => {
    const res = await call(app, method, url);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'NOT_FOUND', message: expect.any(String), requestId: res.headers['x-request-id'] },
    });
    // The query string is not echoed back.
    expect(res.body.error.message).not.toContain('x=1');
  });

  it.each(['/api/nope', '/api/auth/nope', '/api/managers/a/b/c'])(
    'answers GET %s with a valid token with the 404 envelope',
    async (url) => {
      const res = await call(app, 'GET', url, { token });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    },
  );

  it.each([
    ['DELETE', '/api/auth/login'],
    ['GET', '/api/auth/register'],
    ['PUT', '/api/health'],
    ['POST', '/api/auth/me'],
    ['PUT', '/api/managers'],
  ] as const)('answers a wrong method, %s %s, with the 404 envelope', async (method, url) => {
    const res = await call(app, method, url, { token, ...(method === 'GET' ? {} : { body: {} }) });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('unexpected errors', () => {
  it.each([
    ['/boom', 'secret internal detail'],
    ['/boom-async', 'another secret internal detail'],
  ])('answer %s with a 500 INTERNAL_ERROR envelope that reveals nothing', async (url, secret) => {
    const res = await app.http.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(body).toEqual({
      success: false,
      error: { code: 'INTERNAL_ERROR', message: expect.any(String), requestId: expect.any(String) },
    });
    expect(body.error.requestId).toBe(res.headers['x-request-id']);
    expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain('at ');
    expect(res.body).not.toContain('stack');
    expect(res.body).not.toContain('Error');
    expect(res.body).not.toContain('.ts');
  });
});

describe('x-request-id', () => {
  it('generates one per request when the client sends none, and puts it in error envelopes', async () => {
    const a = await call(app, 'GET', '/api/auth/me');
    const b = await call(app, 'GET', '/api/auth/me');
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    expect(a.body.error.requestId).toBe(a.headers['x-request-id']);
  });

  it.each(['abc-123', 'trace.span:42_x', 'A'.repeat(64)])(
    'echoes a sane id sent by the client: %s',
    async (id) => {
      const res = await call(app, 'GET', '/api/auth/me', { headers: { 'x-request-id': id } });
      expect(res.status).toBe(401);
      expect(res.headers['x-request-id']).toBe(id);
      expect(res.body.error.requestId).toBe(id);
    },
  );

  it('echoes it on successful responses too', async () => {
    const res = await call(app, 'GET', '/api/health', { headers: { 'x-request-id': 'health-check-1' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('health-check-1');
  });

  it.each([
    ['one with spaces', 'has some spaces'],
    ['one of 200 characters', 'a'.repeat(200)],
    ['one of 65 characters', 'a'.repeat(65)],
    ['one with markup', '<script>alert(1)</script>'],
    ['one with a newline escape', 'abc%0d%0aSet-Cookie:x'],
  ])('replaces %s', async (_case, id) => {
    const res = await call(app, 'GET', '/api/auth/me', { headers: { 'x-request-id': id } });
    expect(res.headers['x-request-id']).not.toBe(id);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  });
});

describe('security headers', () => {
  it.each(['/api/health', '/api/nope', '/openapi.json'])('are sent on %s', async (url) => {
    const res = await app.http.inject({ method: 'GET', url });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(String(res.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('CORS', () => {
  it('is off by default: no access-control-allow-origin, and a preflight is not answered', async () => {
    const get = await app.http.inject({
      method: 'GET',
      url: '/api/health',
      headers: { origin: 'https://crm.example.com' },
    });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = await app.http.inject({
      method: 'OPTIONS',
      url: '/api/auth/login',
      headers: { origin: 'https://crm.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.statusCode).toBeGreaterThanOrEqual(400);
  });

  describe('with CORS_ORIGIN', () => {
    const corsApp = useTestApp({ CORS_ORIGIN: 'https://crm.example.com' });

    const preflight = (origin: string) =>
      corsApp.http.inject({
        method: 'OPTIONS',
        url: '/api/auth/login',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });

    it('allows a preflight from the configured origin', async () => {
      const res = await preflight('https://crm.example.com');
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://crm.example.com');
      expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    });

    it('does not allow another origin', async () => {
      for (const origin of [
        'https://evil.example.com',
        'https://crm.example.com.evil.com',
        'http://crm.example.com',
      ]) {
        const res = await preflight(origin);
        expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
      }
    });

    it('marks actual responses for the configured origin and exposes x-request-id', async () => {
      const res = await corsApp.http.inject({
        method: 'GET',
        url: '/api/health',
        headers: { origin: 'https://crm.example.com' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://crm.example.com');
      expect(String(res.headers['access-control-expose-headers'])).toContain('x-request-id');

      const other = await corsApp.http.inject({
        method: 'GET',
        url: '/api/health',
        headers: { origin: 'https://evil.example.com' },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('request logs', () => {
  it('never contain a credential sent in the query string, whatever the parameter is called', async () => {
    const lines: string[] = [];
    const logged = await createTestApp(
      { LOG_LEVEL: 'info' },
      {
        logStream: {
          write: (line: string) => {
            lines.push(line);
          },
        },
      },
    );
    try {
      for (const url of [
        '/api/health?token=SECRETVALUE1&page=2',
        '/api/auth/me?access_token=SECRETVALUE2',
        '/api/nope?API_KEY=SECRETVALUE3&apikey=SECRETVALUE4',
        '/nope?Key=SECRETVALUE5&password=SECRETVALUE6&Secret=SECRETVALUE7&signature=SECRETVALUE8',
        '/api/health?t%6Fken=SECRETVALUE9&tokens=kept&token',
      ]) {
        await logged.http.inject({ method: 'GET', url });
      }
      expect(lines.join('')).not.toContain('SECRETVALUE');
      const incoming = lines
        .map((line) => JSON.parse(line))
        .filter((line) => line.msg === 'incoming request')
        .map((line) => line.req.url);
      expect(incoming).toEqual([
        '/api/health?token=[redacted]&page=2',
        '/api/auth/me?access_token=[redacted]',
        '/api/nope?API_KEY=[redacted]&apikey=[redacted]',
        '/nope?Key=[redacted]&password=[redacted]&Secret=[redacted]&signature=[redacted]',
        '/api/health?t%6Fken=[redacted]&tokens=kept&token',
      ]);
    } finally {
      await logged.close();
    }
  });
});

describe('OpenAPI', () => {
  it('publishes an OpenAPI 3 document with every route and the bearer scheme', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const doc = res.json();

    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const paths = Object.keys(doc.paths);
    for (const path of [
      '/api/auth/register',
      '/api/auth/login',
      '/api/auth/me',
      '/api/managers',
      '/api/managers/{managerId}',
      '/api/audit',
      '/api/health',
    ]) {
      expect(paths, path).toContain(path);
    }
    expect(paths).not.toContain('/openapi.json');
    expect(Object.keys(doc.paths['/api/managers'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/api/managers/{managerId}'])).toEqual(
      expect.arrayContaining(['patch', 'delete']),
    );

    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    // The public routes say so; the others inherit the bearer requirement.
    for (const path of ['/api/auth/register', '/api/auth/login']) {
      expect(doc.paths[path].post.security, path).toEqual([]);
    }
    expect(doc.paths['/api/health'].get.security).toEqual([]);
    expect(doc.paths['/api/auth/me'].get.security ?? doc.security).toEqual([{ bearer: [] }]);
  });
});

describe('/docs', () => {
  it('serves the browsable UI as HTML', async () => {
    let res = await app.http.inject({ method: 'GET', url: '/docs' });
    for (let hops = 0; hops < 3 && res.statusCode >= 300 && res.statusCode < 400; hops++) {
      const location = String(res.headers.location);
      res = await app.http.inject({
        method: 'GET',
        url: new URL(location, 'http://localhost/docs').pathname,
      });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body.toLowerCase()).toContain('<html');
    expect(res.body.toLowerCase()).toContain('swagger');
  });

  it('serves the document the UI reads', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().paths).toHaveProperty(['/api/auth/login']);
  });
});

describe('API documentation turned off (the default in production)', () => {
  const production = useTestApp({ NODE_ENV: 'production', ALLOW_SIMULATOR_IN_PRODUCTION: 'true' });

  it.each(['/docs', '/docs/', '/docs/json', '/docs/static/index.html', '/openapi.json'])(
    'answers GET %s with the 404 envelope',
    async (url) => {
      const res = await call(production, 'GET', url);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        success: false,
        error: {
          code: 'NOT_FOUND',
          message: `Route GET ${url} not found`,
          requestId: expect.any(String),
        },
      });
    },
  );

  it('still builds the document for the type generator, and serves the API', async () => {
    expect(production.config.http.apiDocs).toBe(false);
    expect(production.http.swagger().paths).toHaveProperty(['/api/auth/login']);
    expect((await call(production, 'GET', '/api/health')).status).toBe(200);
  });
});

describe('bad input never gives a 500', () => {
  it('answers a text/plain body to POST /api/auth/login with 415 (or 400) and the envelope', async () => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'text/plain' },
      payload: 'email=a@example.com&password=x',
    });
    expect([400, 415]).toContain(res.statusCode);
    expect(res.json()).toMatchObject({
      success: false,
      error: { code: expect.any(String), message: expect.any(String) },
    });
  });

  it('answers an unknown content type with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=a%40example.com&password=x',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it.each([
    ['malformed JSON', '{"email":', 'application/json'],
    ['an empty JSON body', '', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['a JSON string', '"hello"', 'application/json'],
    ['JSON with charset', '{"email":"a@example.com"}', 'application/json; charset=utf-8'],
  ])('answers %s with a 400 envelope', async (_case, payload, contentType) => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': contentType },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, error: { code: expect.stringMatching(/^[A-Z_]+$/) } });
  });

  it('answers a bad query string with 400 VALIDATION_ERROR naming the field', async () => {
    const res = await call(app, 'GET', '/api/audit?limit=100000', { token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'limit', in: 'querystring' })]);
  });

  it('answers a garbage cursor with 400 INVALID_CURSOR', async () => {
    const res = await call(app, 'GET', '/api/audit?cursor=not-a-cursor', { token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: { code: 'INVALID_CURSOR' } });
  });

  it.each(['Bearer', 'Bearer not.a.jwt', 'Basic dXNlcjpwYXNz', `Bearer ${'x'.repeat(5000)}`])(
    'answers the authorization header %# with 401',
    async (authorization) => {
      const res = await call(app, 'GET', '/api/auth/me', { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, error: { code: expect.stringMatching(/^[A-Z_]+$/) } });
    },
  );
});

describe('framework errors', () => {
  it('answers a malformed URL with the error envelope', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/api/whatsapp/sessions/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      success: false,
      error: { code: 'BAD_REQUEST', requestId: expect.any(String) },
    });
  });

  it('answers a NUL character anywhere in the input with 400 naming the field, never 500', async () => {
    const res = await call(app, 'POST', '/api/auth/register', {
      body: { companyName: 'A\u0000', name: 'Ann', email: 'nul@example.com', password: 'password-123' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'companyName', in: 'body' })]);
    const login = await call(app, 'POST', '/api/auth/login', {
      body: { email: 'nul@example.com', password: 'x' },
    });
    expect(login.status).toBe(401);
  });
});
