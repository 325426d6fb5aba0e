import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { call, givenCompany, givenManager } from '../../../test/support/factories.js';
import { createTestApp, type TestApp } from '../../../test/support/test-app.js';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '100000', SESSIONS_PER_COMPANY: '3' });
});
afterAll(async () => {
  await app.close();
});

describe('sessions', () => {
  it('creates a session that shows a scannable QR, and links when the phone scans it', async () => {
    const company = await givenCompany(app);
    const created = await call(app, 'POST', '/api/whatsapp/sessions', {
      token: company.token,
      body: { name: 'Sales' },
    });
    expect(created.status).toBe(201);
    const session = created.body.data;
    expect(session).toMatchObject({ name: 'Sales', companyId: company.company.id, engine: 'simulator' });
    expect(session.sessionId).toBe(session.id);

    const qr = await call(app, 'GET', `/api/whatsapp/sessions/${session.id}/qr`, { token: company.token });
    expect(qr.status).toBe(200);
    expect(qr.body.data).toMatchObject({ sessionId: session.id, status: 'qr' });
    expect(qr.body.data.qrCode).toMatch(/^data:image\/png;base64,/);
    expect(qr.body.data.qr).toEqual(expect.any(String));

    const scan = await call(app, 'POST', `/api/simulator/sessions/${session.id}/scan`, {
      token: company.token,
      body: { phoneNumber: '79990001122', displayName: 'Acme Sales' },
    });
    expect(scan.status).toBe(200);

    const got = await call(app, 'GET', `/api/whatsapp/sessions/${session.id}`, { token: company.token });
    expect(got.body.data).toMatchObject({
      status: 'ready',
      phoneNumber: '79990001122',
      displayName: 'Acme Sales',
    });
    const afterQr = await call(app, 'GET', `/api/whatsapp/sessions/${session.id}/qr`, {
      token: company.token,
    });
    expect(afterQr.body.data).toMatchObject({ status: 'ready', qrCode: null, qr: null });
  });

  it('limits sessions per company with 409', async () => {
    const company = await givenCompany(app);
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => call(app, 'POST', '/api/whatsapp/sessions', { token: company.token })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409]);
  });

  it('hides sessions from other companies (404) and from managers without access (403)', async () => {
    const a = await givenCompany(app);
    const b = await givenCompany(app);
    const manager = await givenManager(app, a);
    const session = (await call(app, 'POST', '/api/whatsapp/sessions', { token: a.token })).body.data;

    expect((await call(app, 'GET', `/api/whatsapp/sessions/${session.id}`, { token: b.token })).status).toBe(
      404,
    );
    expect(
      (await call(app, 'GET', `/api/whatsapp/sessions/${session.id}`, { token: manager.token })).status,
    ).toBe(403);
    expect((await call(app, 'GET', '/api/whatsapp/sessions', { token: manager.token })).body.data).toEqual(
      [],
    );

    const grant = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/access`, {
      token: a.token,
      body: { managerId: manager.user.id, canRead: true, canWrite: false, canManageChats: false },
    });
    expect(grant.status).toBe(200);
    const listed = await call(app, 'GET', '/api/whatsapp/sessions', { token: manager.token });
    expect(listed.body.data).toEqual([
      expect.objectContaining({
        id: session.id,
        rights: { canRead: true, canWrite: false, canManageChats: false },
      }),
    ]);
    expect(
      (await call(app, 'GET', `/api/whatsapp/sessions/${session.id}/qr`, { token: manager.token })).status,
    ).toBe(403);

    const revoke = await call(
      app,
      'DELETE',
      `/api/whatsapp/sessions/${session.id}/access/${manager.user.id}`,
      {
        token: a.token,
      },
    );
    expect(revoke.body.data).toMatchObject({ revoked: true });
    expect(
      (await call(app, 'GET', `/api/whatsapp/sessions/${session.id}`, { token: manager.token })).status,
    ).toBe(403);
  });

  it('disconnects (logged out, history kept), reconnects with a fresh QR, and deletes', async () => {
    const company = await givenCompany(app);
    const session = (await call(app, 'POST', '/api/whatsapp/sessions', { token: company.token })).body.data;
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/scan`, { token: company.token });

    const off = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/disconnect`, {
      token: company.token,
    });
    expect(off.status).toBe(200);
    expect(off.body.data.status).toBe('disconnected');

    const on = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/reconnect`, {
      token: company.token,
    });
    expect(on.status).toBe(200);
    const qr = await call(app, 'GET', `/api/whatsapp/sessions/${session.id}/qr`, { token: company.token });
    expect(qr.body.data.status).toBe('qr');
    expect(qr.body.data.qrCode).toMatch(/^data:image\/png;base64,/);

    const del = await call(app, 'DELETE', `/api/whatsapp/sessions/${session.id}`, { token: company.token });
    expect(del.status).toBe(200);
    expect(
      (await call(app, 'GET', `/api/whatsapp/sessions/${session.id}`, { token: company.token })).status,
    ).toBe(404);
  });
});
