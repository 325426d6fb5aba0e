import { describe, expect, it } from 'vitest';

import { call, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected, settle } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { about, sessionWhen, useStandin } from './support.js';

/**
 * WhatsApp hands a new device a handful of QR refs; when none was scanned before they ran out, the
 * device gives up (Baileys closes with 408). The session must end `failed` with a reason a person
 * understands, and not ask WhatsApp for more QRs in a loop.
 */
const standin = useStandin({}, { qrRefs: 0 });
const app = useTestApp(standin.env, { listen: true, beforeClose: closeAllSockets });

describe('QR codes that run out on the real engine', () => {
  it('ends failed, saying the QR expired, and stops asking', async () => {
    const server = standin.server();
    let registrations = 0;
    server.on('qr', () => registrations++);
    const company = await givenCompany(app);
    const admin = await connected(app, company.token);
    const created = await call(app, 'POST', '/api/whatsapp/sessions', {
      token: company.token,
      body: { name: 'Q' },
    });
    const sessionId: string = created.body.data.id;

    const failed = await sessionWhen(app, company, sessionId, (s) => s.status === 'failed');
    expect(failed.lastError).toMatch(/QR code expired/);
    await admin.next('whatsapp:disconnected', about(sessionId));
    const asked = registrations;
    await settle(1500);
    expect(registrations).toBe(asked);
  });
});
