import { describe, expect, it } from 'vitest';

import { call, givenCompany, givenManager } from '../support/factories.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';

/**
 * The real WhatsApp Web engine, with WhatsApp out of reach (a local port nobody listens on): the
 * parts of the API that need no phone work the same as with the simulator, a session that cannot
 * connect ends `failed` with the reason after its attempts, and nothing is left spinning.
 */
const app = useTestApp({
  WA_ENGINE: 'baileys',
  WA_WEBSOCKET_URL: 'ws://127.0.0.1:1/ws/chat',
  RECONNECT_MIN_DELAY: '20ms',
  RECONNECT_MAX_DELAY: '50ms',
  RECONNECT_MAX_ATTEMPTS: '2',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
});

describe('the WhatsApp Web engine without WhatsApp', () => {
  it('creates, lists, grants, and ends a session that cannot connect in failed, with the reason', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const created = await call(app, 'POST', '/api/whatsapp/sessions', {
      token: company.token,
      body: { name: 'Real' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.engine).toBe('baileys');
    const id = created.body.data.id;

    const failed = await waitFor('failed', async () => {
      const res = await call(app, 'GET', `/api/whatsapp/sessions/${id}`, { token: company.token });
      return res.body.data.status === 'failed' ? res.body.data : null;
    });
    expect(failed.lastError).toMatch(/Could not connect after 2 attempts/);

    const grant = await call(app, 'POST', `/api/whatsapp/sessions/${id}/access`, {
      token: company.token,
      body: { managerId: manager.user.id, canRead: true, canWrite: true, canManageChats: false },
    });
    expect(grant.status).toBe(200);
    expect(
      (await call(app, 'GET', `/api/whatsapp/sessions/${id}/chats`, { token: manager.token })).body.data,
    ).toEqual([]);
    const send = await call(app, 'POST', `/api/whatsapp/sessions/${id}/chats/79991234567/send`, {
      token: manager.token,
      body: { message: 'hello' },
    });
    expect(send.status).toBe(503);
    const qr = await call(app, 'GET', `/api/whatsapp/sessions/${id}/qr`, { token: company.token });
    expect(qr.body.data).toMatchObject({ status: 'failed', qrCode: null });

    // No simulator here.
    expect(
      (await call(app, 'POST', `/api/simulator/sessions/${id}/scan`, { token: company.token })).status,
    ).toBe(404);

    expect(
      (await call(app, 'POST', `/api/whatsapp/sessions/${id}/disconnect`, { token: company.token })).body.data
        .status,
    ).toBe('disconnected');
    expect((await call(app, 'DELETE', `/api/whatsapp/sessions/${id}`, { token: company.token })).status).toBe(
      200,
    );
    expect(app.modules.supervisor.runningEngine(id)).toBeNull();
  });
});
