import type { BinaryNode } from 'baileys';
import { beforeAll, describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import { child } from '../wa-server/nodes.js';
import type { Connection, WaServer } from '../wa-server/server.js';
import { about, sessionWhen, useStandin } from './support.js';

/**
 * Linking by pairing code on the real engine: the admin asks for a code for the account's number,
 * and the phone (the stand-in's) enters it instead of scanning the QR.
 */

const standin = useStandin();
const app = useTestApp(standin.env, { listen: true, beforeClose: closeAllSockets });
let server: WaServer;
let company: GivenCompany;
let admin: TestSocket;
beforeAll(async () => {
  server = standin.server();
  company = await givenCompany(app);
  admin = await connected(app, company.token);
});

/** A new session, once it shows its first QR. */
async function waitingSession(name: string): Promise<string> {
  const created = await call(app, 'POST', '/api/whatsapp/sessions', { token: company.token, body: { name } });
  expect(created.status).toBe(201);
  const sessionId: string = created.body.data.id;
  await admin.next('whatsapp:qr', about(sessionId), 15_000);
  return sessionId;
}

const requestCode = (sessionId: string, phoneNumber: string) =>
  call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/pairing-code`, {
    token: company.token,
    body: { phoneNumber },
  });

/** The code with one character typed wrong. */
const mistyped = (code: string) => `${code.slice(0, 7)}${code.endsWith('A') ? 'B' : 'A'}`;

describe('linking a number by pairing code', () => {
  it('gives an 8-character code; the phone that enters it makes the session ready with its number', async () => {
    const shop = server.addAccount({ pn: '15550003000', name: 'Code Shop' });
    const sessionId = await waitingSession('By code');

    const res = await requestCode(sessionId, `+${shop.pn}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ sessionId, code: expect.stringMatching(/^[A-Z0-9]{8}$/) });

    await server.pairingCodes.enter(shop.pn, res.body.data.code);
    const ready = await admin.next('whatsapp:ready', about(sessionId), 20_000);
    expect(ready.phoneNumber).toBe(shop.pn);
    const session = await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
    expect(session).toMatchObject({ phoneNumber: shop.pn, lastError: null });
    expect(server.companionOf(shop.pn)).toBeDefined();
  });

  it('does not link with a mistyped code, keeps waiting, and links when the right one is entered', async () => {
    const bakery = server.addAccount({ pn: '15550004000', name: 'Bakery' });
    const sessionId = await waitingSession('Mistyped');
    const res = await requestCode(sessionId, bakery.pn);
    expect(res.status).toBe(200);
    const code: string = res.body.data.code;

    await expect(server.pairingCodes.enter(bakery.pn, mistyped(code))).rejects.toThrow(/code entered/);
    expect(server.companionOf(bakery.pn)).toBeUndefined();
    // Still waiting for the phone, with a QR to scan, and ready for another try.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const waiting = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/qr`, {
      token: company.token,
    });
    expect(waiting.body.data).toMatchObject({ status: 'qr', qr: expect.any(String) });
    const session = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}`, { token: company.token });
    expect(session.body.data).toMatchObject({ status: 'qr', phoneNumber: null, lastError: null });

    await server.pairingCodes.enter(bakery.pn, code);
    const ready = await admin.next('whatsapp:ready', about(sessionId), 20_000);
    expect(ready.phoneNumber).toBe(bakery.pn);
  });

  it('forgets a code the phone never entered when the connection drops: a new QR, and a new code links', async () => {
    const florist = server.addAccount({ pn: '15550005000', name: 'Florist' });
    const sessionId = await waitingSession('Dropped');
    let asking: Connection | undefined;
    const onIq = (iq: BinaryNode, connection: Connection) => {
      if (child(iq, 'link_code_companion_reg')) {
        asking = connection;
      }
    };
    server.on('iq', onIq);
    expect((await requestCode(sessionId, florist.pn)).status).toBe(200);
    await waitFor('the code request to reach the stand-in', () => asking);
    server.off('iq', onIq);
    const qrsBefore = admin.heard('whatsapp:qr', about(sessionId)).length;

    asking!.socket.terminate();
    // The engine reconnects as a device still to be linked, not as the number it asked a code for.
    await waitFor('a new QR', () => admin.heard('whatsapp:qr', about(sessionId)).length > qrsBefore, 15_000);
    const session = await sessionWhen(app, company, sessionId, (s) => s.status === 'qr');
    expect(session).toMatchObject({ phoneNumber: null });
    expect(admin.heard('whatsapp:disconnected', about(sessionId))).toEqual([]);

    const again = await requestCode(sessionId, florist.pn);
    expect(again.status).toBe(200);
    await server.pairingCodes.enter(florist.pn, again.body.data.code);
    const ready = await admin.next('whatsapp:ready', about(sessionId), 20_000);
    expect(ready.phoneNumber).toBe(florist.pn);
  });
});
