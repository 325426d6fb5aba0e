import { describe, expect, it } from 'vitest';

import { call, givenCompany, givenSession } from '../support/factories.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';

let app = useTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '100000', SEND_RATE_PER_MINUTE: '0' });

describe('a server restart', () => {
  it('resumes linked sessions without a new QR, shows a QR again for unfinished links, and delivers what was pending exactly once', async () => {
    const company = await givenCompany(app);
    const linked = await givenSession(app, company, { phoneNumber: '79990000042' });
    const waiting = await givenSession(app, company, { connected: false });

    await call(app, 'POST', `/api/simulator/sessions/${linked.id}/faults`, {
      token: company.token,
      body: { offline: true },
    });
    const accepted = await call(app, 'POST', `/api/whatsapp/sessions/${linked.id}/chats/79991234567/send`, {
      token: company.token,
      body: { message: 'accepted before the restart' },
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body.data.message.status).toBe('pending');

    app = await app.restart();

    const session = await waitFor('the linked session to resume', async () => {
      const res = await call(app, 'GET', `/api/whatsapp/sessions/${linked.id}`, { token: company.token });
      return res.body.data.status === 'ready' ? res.body.data : null;
    });
    expect(session.phoneNumber).toBe('79990000042');
    const qr = await call(app, 'GET', `/api/whatsapp/sessions/${linked.id}/qr`, { token: company.token });
    expect(qr.body.data.qrCode).toBeNull();

    const out = await waitFor('the pending message to go out', async () => {
      const res = await call(app, 'GET', `/api/simulator/sessions/${linked.id}/outgoing`, {
        token: company.token,
      });
      return res.body.data.length > 0 ? res.body.data : null;
    });
    await app.modules.sender.idle();
    expect(out).toEqual([expect.objectContaining({ waMessageId: accepted.body.data.message.waMessageId })]);
    const again = await call(app, 'GET', `/api/simulator/sessions/${linked.id}/outgoing`, {
      token: company.token,
    });
    expect(again.body.data).toHaveLength(1);

    // The unfinished link starts over after the restart: a fresh QR, once its engine has one.
    const waitingQr = await waitFor('a fresh QR for the unfinished link', async () => {
      const res = await call(app, 'GET', `/api/whatsapp/sessions/${waiting.id}/qr`, { token: company.token });
      return res.body.data.status === 'qr' ? res : null;
    });
    expect(waitingQr.body.data.status).toBe('qr');
    expect(waitingQr.body.data.qrCode).toMatch(/^data:image\/png;base64,/);
  });
});
