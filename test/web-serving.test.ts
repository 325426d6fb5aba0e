import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from './support/test-app.js';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>';

describe('the web console at /', () => {
  let app: TestApp;
  let webRoot: string;

  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'wa-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), INDEX);
    writeFileSync(join(webRoot, 'assets', 'app-abc123.js'), 'console.log("hi");');
    writeFileSync(join(webRoot, 'robots.txt'), 'User-agent: *\n');
    app = await createTestApp({ WEB_ROOT: webRoot });
  });

  afterAll(async () => {
    await app.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  const get = (url: string, accept = 'text/html,application/xhtml+xml,*/*;q=0.8') =>
    app.http.inject({ method: 'GET', url, headers: { accept } });

  it('serves index.html at / without caching it', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(INDEX);
    // The CSP allows the app's own scripts and no inline ones.
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    // Served over plain http on a network address, an upgrade would send the scripts to https.
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('serves hashed assets with a long, immutable cache', async () => {
    const res = await get('/assets/app-abc123.js', '*/*');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe('console.log("hi");');
  });

  it('serves other files revalidated', async () => {
    const res = await get('/robots.txt', '*/*');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=0');
  });

  it("answers the console's own routes with index.html, so a reload works", async () => {
    for (const url of ['/some/client/route', '/inbox/abc/def?x=1', '/admin/sessions']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('keeps the JSON 404 envelope under /api, even for a browser', async () => {
    for (const url of ['/api/nope', '/api', '/openapi.json/x', '/socket.io/x']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/json/);
      expect(res.json(), url).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    }
  });

  it('answers an API client (no text/html) at / with the 404 envelope', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('answers a missing file that is not a page with the 404 envelope', async () => {
    const res = await get('/assets/missing-123.js', '*/*');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('does not leave the web root', async () => {
    for (const url of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json']) {
      const res = await get(url, '*/*');
      expect(res.statusCode, url).toBe(404);
    }
  });

  it('still serves the API and its documents', async () => {
    expect((await get('/api/health', 'application/json')).statusCode).toBe(200);
    expect((await get('/openapi.json', 'application/json')).json()).toHaveProperty('openapi');
  });
});

describe('without a built console', () => {
  it('answers / with the 404 envelope', async () => {
    const app = await createTestApp({ WEB_ROOT: join(tmpdir(), 'wa-web-missing-dir') });
    try {
      const res = await app.http.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ success: false });
    } finally {
      await app.close();
    }
  });
});
