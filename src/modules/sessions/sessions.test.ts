import { describe, expect, it } from 'vitest';

import { call, givenCompany, givenManager, givenSession } from '../../../test/support/factories.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import { waitFor } from '../../../test/support/wait.js';

const app = useTestApp({
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  SESSIONS_PER_COMPANY: '3',
  RECONNECT_MIN_DELAY: '10ms',
  RECONNECT_MAX_DELAY: '40ms',
  RECONNECT_MAX_ATTEMPTS: '3',
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

  const statusOf = async (token: string, id: string) =>
    (await call(app, 'GET', `/api/whatsapp/sessions/${id}`, { token })).body.data;

  it('reconnects by itself after a dropped connection', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const drop = await call(app, 'POST', `/api/simulator/sessions/${session.id}/drop`, {
      token: company.token,
      body: { reason: 'stream errored' },
    });
    expect(drop.status).toBe(200);
    const back = await waitFor('ready again', async () => {
      const s = await statusOf(company.token, session.id);
      return s.status === 'ready' ? s : null;
    });
    expect(back.lastError).toBeNull();
  });

  it('ends logged out, without credentials, when the phone unlinks; reconnect shows a new QR', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/drop`, {
      token: company.token,
      body: { loggedOut: true },
    });
    const out = await statusOf(company.token, session.id);
    expect(out).toMatchObject({ status: 'logged_out', lastError: 'logged out from the phone' });
    expect(app.modules.supervisor.runningEngine(session.id)).toBeNull();

    await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/reconnect`, { token: company.token });
    const qr = await call(app, 'GET', `/api/whatsapp/sessions/${session.id}/qr`, { token: company.token });
    expect(qr.body.data.status).toBe('qr');
    expect(qr.body.data.qrCode).toMatch(/^data:image\/png;base64,/);
  });

  it('gives up after repeated failures and ends failed with the reason, not in a loop', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { offline: true },
    });
    const failed = await waitFor('failed', async () => {
      const s = await statusOf(company.token, session.id);
      return s.status === 'failed' ? s : null;
    });
    expect(failed.lastError).toMatch(/after 3 attempts: network unreachable/);

    // An admin brings it back once the network is there again.
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { offline: false },
    });
    await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/reconnect`, { token: company.token });
    await waitFor('ready', async () => (await statusOf(company.token, session.id)).status === 'ready');
  });

  it('gives a pairing code while waiting for a link, and refuses one when linked', async () => {
    const company = await givenCompany(app);
    const waiting = await givenSession(app, company, { connected: false });
    const code = await call(app, 'POST', `/api/whatsapp/sessions/${waiting.id}/pairing-code`, {
      token: company.token,
      body: { phoneNumber: '+7 999 000-11-22' },
    });
    expect(code.status).toBe(200);
    expect(code.body.data.code).toMatch(/^[A-Z0-9]{8}$/);
    const bad = await call(app, 'POST', `/api/whatsapp/sessions/${waiting.id}/pairing-code`, {
      token: company.token,
      body: { phoneNumber: 'call me' },
    });
    expect(bad.status).toBe(400);

    const linked = await givenSession(app, company);
    const refused = await call(app, 'POST', `/api/whatsapp/sessions/${linked.id}/pairing-code`, {
      token: company.token,
      body: { phoneNumber: '79990001122' },
    });
    expect(refused.status).toBe(409);
  });

  it('refuses bad input with 400 and creates nothing', async () => {
    const company = await givenCompany(app);
    for (const body of [{ name: '' }, { name: 'x'.repeat(101) }, { name: 5 }, { name: 'ok', extra: true }]) {
      const res = await call(app, 'POST', '/api/whatsapp/sessions', { token: company.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await call(app, 'GET', '/api/whatsapp/sessions/not-a-uuid', { token: company.token })).status,
    ).toBe(400);
    const grant = await call(
      app,
      'POST',
      `/api/whatsapp/sessions/${(await givenSession(app, company, { connected: false })).id}/access`,
      {
        token: company.token,
        body: { managerId: company.user.id, canRead: false, canWrite: true, canManageChats: false },
      },
    );
    expect(grant.status).toBe(400);
    expect(
      (await call(app, 'GET', '/api/whatsapp/sessions', { token: company.token })).body.data,
    ).toHaveLength(1);
  });
});
