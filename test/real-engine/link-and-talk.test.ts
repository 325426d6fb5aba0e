import { beforeAll, describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import type { Account } from '../wa-server/accounts.js';
import type { WaServer } from '../wa-server/server.js';
import { about, useStandin } from './support.js';

/**
 * The product on the real WhatsApp Web engine: Baileys itself, linked to the WhatsApp server
 * stand-in, driven through the HTTP API and socket.io exactly as an admin and the CRM do.
 */

const standin = useStandin();
const app = useTestApp(standin.env, { listen: true, beforeClose: closeAllSockets });
let server: WaServer;
beforeAll(() => {
  server = standin.server();
});

describe('a number linked through the real engine', () => {
  let company: GivenCompany;
  let admin: TestSocket;
  let sessionId: string;
  let shop: Account;
  let ann: Account;

  it('shows a QR, and the phone that scans it makes the session ready with its number and name', async () => {
    shop = server.addAccount({ pn: '15550001000', name: 'Corner Shop' });
    ann = server.addAccount({ pn: '15550002000', name: 'Ann' });
    company = await givenCompany(app);
    admin = await connected(app, company.token);
    const created = await call(app, 'POST', '/api/whatsapp/sessions', {
      token: company.token,
      body: { name: 'Front desk' },
    });
    expect(created.status).toBe(201);
    sessionId = created.body.data.id;

    const qr = await admin.next('whatsapp:qr', about(sessionId), 15_000);
    expect(qr.qrCode).toMatch(/^data:image\/png;base64,/);
    // The first QR of a connection lives 60 s (later ones 20 s).
    expect(Date.parse(qr.expiresAt) - Date.now()).toBeGreaterThan(45_000);
    await server.scan(qr.qr, shop.pn);

    // The name comes with the phone's first messages to the new device, right after it is ready.
    const ready = await admin.next(
      'whatsapp:ready',
      (p) => about(sessionId)(p) && p.displayName !== null,
      20_000,
    );
    expect(ready).toMatchObject({ phoneNumber: shop.pn, displayName: 'Corner Shop' });
    const session = await waitFor('the stored number and name', async () => {
      const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}`, { token: company.token });
      return res.body.data.status === 'ready' && res.body.data.displayName ? res.body.data : null;
    });
    expect(session).toMatchObject({ phoneNumber: shop.pn, displayName: 'Corner Shop' });
  });

  it('stores a contact message once and tells the admin', async () => {
    const id = await server.deliver(ann, shop, { conversation: 'Do you have size 42?' });
    const heard = await admin.next(
      'whatsapp:message',
      (p) => about(sessionId)(p) && p.message?.waMessageId === id,
      20_000,
    );
    expect(heard.message.body).toBe('Do you have size 42?');
    expect(heard.chat.waChatId).toBe(`${ann.pn}@c.us`);
    const messages = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${ann.pn}/messages`, {
      token: company.token,
    });
    expect(messages.body.data.filter((m: { waMessageId: string }) => m.waMessageId === id)).toHaveLength(1);
  });

  it('sends through the API: the contact receives the exact text once, then the ticks come back', async () => {
    const send = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${ann.pn}/send`, {
      token: company.token,
      body: { message: 'Yes, in black and brown' },
    });
    expect(send.status).toBeLessThan(300);
    const sent = await admin.next('whatsapp:message_sent', about(sessionId), 20_000);
    const waMessageId: string = sent.message.waMessageId;
    await waitFor('the contact to decrypt it', () =>
      server.sent.find((s) => s.id === waMessageId && s.recipient === `${ann.pn}:0`),
    );
    const copies = server.sent.filter((s) => s.id === waMessageId && s.recipient === `${ann.pn}:0`);
    expect(copies).toHaveLength(1);
    const text = copies[0]!.message.conversation ?? copies[0]!.message.extendedTextMessage?.text;
    expect(text).toBe('Yes, in black and brown');

    server.receipt(ann, shop, [waMessageId]);
    await admin.next(
      'whatsapp:message_status',
      (p) => about(sessionId)(p) && p.waMessageId === waMessageId && p.status === 'delivered',
      10_000,
    );
    server.receipt(ann, shop, [waMessageId], 'read');
    await admin.next(
      'whatsapp:message_status',
      (p) => about(sessionId)(p) && p.waMessageId === waMessageId && p.status === 'read',
      10_000,
    );
  });

  it('marks a send WhatsApp refused as failed, saying why', async () => {
    server.failNextSend('463');
    const send = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${ann.pn}/send`, {
      token: company.token,
      body: { message: 'Special offer for you' },
    });
    expect(send.status).toBeLessThan(300);
    const messageId: string = send.body.data.message.id;
    const failed = await admin.next(
      'whatsapp:message_status',
      (p) => about(sessionId)(p) && p.messageId === messageId && p.status === 'failed',
      10_000,
    );
    expect(failed.error).toMatch(/not allowed to start new chats/);
    const stored = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${ann.pn}/messages`, {
      token: company.token,
    });
    expect(stored.body.data.find((m: { id: string }) => m.id === messageId)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/not allowed to start new chats/),
    });
  });
});
