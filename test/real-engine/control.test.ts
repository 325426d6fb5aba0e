import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany } from '../support/factories.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import { type ControlServer, startControl } from '../wa-server/control.js';
import { sessionWhen, useStandin } from './support.js';

/**
 * The stand-in's control API (what `npm run standin` serves to developers), driving the service on
 * the real engine over HTTP only: link by the session's pending QR, a contact writes, the reply is
 * decrypted, receipts and refusals come back.
 */

const standin = useStandin();
const app = useTestApp(standin.env, { listen: true });
let control: ControlServer;
beforeAll(async () => {
  const { port } = app.http.server.address() as AddressInfo;
  control = await startControl(standin.server(), { serviceUrl: `http://127.0.0.1:${port}` });
});
afterAll(async () => {
  await control?.close();
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${control.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function get(path: string) {
  const res = await fetch(`${control.url}${path}`);
  return { status: res.status, body: (await res.json()) as any };
}

describe('the stand-in control API', () => {
  let company: GivenCompany;
  let sessionId: string;
  const shop = '15551110000';
  const ann = '15551110001';

  it('refuses what it cannot do, saying why', async () => {
    expect((await get('/nowhere')).status).toBe(404);
    const invalid = await post('/scan', { pn: '12' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details.fieldErrors.pn).toBeDefined();
    expect(
      (await post('/scan', { pn: shop, qr: 'https://wa.me/settings/linked_devices#a,b,c,d' })).body,
    ).toEqual({
      error: 'this QR is not one the stand-in issued, or it was already used',
    });
    expect((await post('/messages', { from: ann, to: '15551119999', text: 'hi' })).status).toBe(404);
    expect((await post('/accounts', { pn: shop, name: 'Shop' })).status).toBe(201);
    expect((await post('/messages', { from: ann, to: shop, text: 'hi' })).status).toBe(409);
  });

  it("scans a session's pending QR read from the service, and the session is ready", async () => {
    company = await givenCompany(app);
    const created = await call(app, 'POST', '/api/whatsapp/sessions', {
      token: company.token,
      body: { name: 'Front desk' },
    });
    sessionId = created.body.data.id;
    const scanned = await post('/scan', { pn: shop, sessionId, token: company.token });
    expect(scanned).toEqual({
      status: 200,
      body: { pn: shop, device: 1, jid: `${shop}:1@s.whatsapp.net` },
    });
    const ready = await sessionWhen(app, company, sessionId, (s) => s.status === 'ready' && !!s.displayName);
    expect(ready).toMatchObject({ phoneNumber: shop, displayName: 'Shop' });
    const accounts = await get('/accounts');
    expect(accounts.body[0].devices).toEqual([
      { device: 1, platform: expect.any(String), loggedOut: false, connected: true },
    ]);
  });

  it('delivers a contact’s text, and lists the decrypted reply', async () => {
    const sent = await post('/messages', { from: ann, fromName: 'Ann', to: shop, text: 'Is the shop open?' });
    expect(sent.status).toBe(201);
    const stored = await waitFor(
      'the message stored',
      async () => {
        const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${ann}/messages`, {
          token: company.token,
        });
        return res.body.data?.find((m: any) => m.waMessageId === sent.body.id) ?? null;
      },
      15_000,
    );
    expect(stored).toMatchObject({ body: 'Is the shop open?', fromMe: false });
    await waitFor('the delivery receipt', async () =>
      (await get('/receipts')).body.some((r: any) => r.ids.includes(sent.body.id)),
    );

    const reply = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${ann}/send`, {
      token: company.token,
      body: { message: 'Until eight!' },
    });
    expect(reply.status).toBe(201);
    const copy = await waitFor(
      'the reply at the contact',
      async () => {
        const list = (await get(`/sent?to=${ann}`)).body as any[];
        return list.find((item) => item.text === 'Until eight!') ?? null;
      },
      15_000,
    );
    expect(copy).toMatchObject({ from: shop, recipient: `${ann}:0`, type: 'text' });

    expect((await post('/receipts', { from: ann, to: shop, ids: [copy.id], type: 'read' })).status).toBe(200);
    await waitFor(
      'the reply read',
      async () => {
        const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${ann}/messages`, {
          token: company.token,
        });
        return res.body.data?.find((m: any) => m.waMessageId === copy.id)?.status === 'read';
      },
      15_000,
    );
  });

  it('refuses the next send, and drops the connection on demand', async () => {
    expect((await post('/fail-next-send', { code: '463' })).status).toBe(200);
    await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${ann}/send`, {
      token: company.token,
      body: { message: 'refused' },
    });
    await waitFor(
      'the send failed',
      async () => {
        const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${ann}/messages`, {
          token: company.token,
        });
        return res.body.data?.find((m: any) => m.body === 'refused')?.status === 'failed';
      },
      15_000,
    );

    let loggedIn = false;
    standin.server().once('login', () => (loggedIn = true));
    expect((await post('/disconnect', { pn: shop, kind: 'drop' })).status).toBe(200);
    await waitFor('the device back', () => loggedIn, 15_000);
    expect((await post('/disconnect', { pn: '15551119999', kind: 'drop' })).status).toBe(409);
  });
});
