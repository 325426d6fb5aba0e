import { beforeAll, describe, expect, it } from 'vitest';

import {
  call,
  type GivenCompany,
  givenCompany,
  type GivenManager,
  givenManager,
} from '../support/factories.js';
import { closeAllSockets, connected, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';

/**
 * The specification's three usage examples, played as written: the admin links WhatsApp by QR,
 * gives a manager access, and the manager works the chats, over HTTP and socket.io.
 */
const app = useTestApp(
  { AUTH_RATE_LIMIT_PER_MINUTE: '100000', SEND_RATE_PER_MINUTE: '0' },
  { listen: true, beforeClose: closeAllSockets },
);
let admin: GivenCompany;
let manager: GivenManager;
let adminSocket: TestSocket;
let managerSocket: TestSocket;
let sessionId: string;

beforeAll(async () => {
  admin = await givenCompany(app, 'VCL');
  manager = await givenManager(app, admin, 'Maria');
  adminSocket = await connected(app, admin.token);
  managerSocket = await connected(app, manager.token);
});

describe('the specification, example by example', () => {
  it('1. the admin links WhatsApp: create a session, show the QR, see it ready', async () => {
    const response = await call(app, 'POST', '/api/whatsapp/sessions', { token: admin.token });
    expect(response.status).toBe(201);
    sessionId = response.body.data.sessionId;

    const qrData = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/qr`, { token: admin.token });
    expect(qrData.body.data.qrCode).toMatch(/^data:image\/png;base64,/);
    const qrEvent = await adminSocket.next('whatsapp:qr', (e) => e.sessionId === sessionId);
    expect(qrEvent.qrCode).toMatch(/^data:image\/png;base64,/);

    await call(app, 'POST', `/api/simulator/sessions/${sessionId}/scan`, {
      token: admin.token,
      body: { phoneNumber: '1234567890', displayName: 'VCL Sales' },
    });
    const ready = await adminSocket.next('whatsapp:ready', (e) => e.sessionId === sessionId);
    expect(ready).toEqual({ sessionId, phoneNumber: '1234567890', displayName: 'VCL Sales' });
  });

  it('2. the admin gives a manager access', async () => {
    const managers = await call(app, 'GET', '/api/managers', { token: admin.token });
    const managerId = managers.body.data.find((m: any) => m.email === manager.email).id;
    const grant = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/access`, {
      token: admin.token,
      body: { managerId, canRead: true, canWrite: true, canManageChats: false },
    });
    expect(grant.status).toBe(200);
    expect(grant.body.data).toMatchObject({
      managerId,
      canRead: true,
      canWrite: true,
      canManageChats: false,
    });
  });

  it('3. the manager works the chats: list, read, send, and hears new messages live', async () => {
    await call(app, 'POST', `/api/simulator/sessions/${sessionId}/incoming`, {
      token: admin.token,
      body: { from: '79991234567', pushName: 'Client', text: 'Добрый день!' },
    });
    const live = await managerSocket.next('whatsapp:message', (e) => e.sessionId === sessionId);
    expect(live.message).toMatchObject({ body: 'Добрый день!', direction: 'incoming' });

    const chats = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats`, {
      token: manager.token,
    });
    expect(chats.status).toBe(200);
    const chatId = chats.body.data[0].id;
    expect(chatId).toBe(live.chatId);

    const messages = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${chatId}/messages`, {
      token: manager.token,
    });
    expect(messages.body.data.map((m: any) => m.body)).toEqual(['Добрый день!']);

    const sent = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${chatId}/send`, {
      token: manager.token,
      body: { message: 'Здравствуйте! Как дела?' },
    });
    expect(sent.status).toBe(201);
    const accepted = await managerSocket.next(
      'whatsapp:message_sent',
      (e) => e.message.id === sent.body.data.message.id,
    );
    expect(accepted).toMatchObject({
      sessionId,
      chatId,
      message: { status: 'sent', body: 'Здравствуйте! Как дела?' },
    });

    await call(app, 'POST', `/api/simulator/sessions/${sessionId}/status`, {
      token: admin.token,
      body: { waMessageId: sent.body.data.message.waMessageId, status: 'read' },
    });
    const read = await managerSocket.next('whatsapp:message_status', (e) => e.status === 'read');
    expect(read).toEqual({
      sessionId,
      chatId,
      messageId: sent.body.data.message.id,
      waMessageId: sent.body.data.message.waMessageId,
      status: 'read',
      error: null,
    });

    // The manager may not manage chats: that right was not given.
    const markRead = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${chatId}/read`, {
      token: manager.token,
    });
    expect(markRead.status).toBe(403);

    const stats = await call(app, 'GET', '/api/whatsapp/stats', { token: admin.token });
    expect(stats.body.data).toMatchObject({
      activeSessions: 1,
      totalSessions: 1,
      totalChats: 1,
      messagesLast30Days: { total: 2, incoming: 1, outgoing: 1 },
    });
    const audit = await waitFor('the audit trail', async () => {
      const res = await call(app, 'GET', '/api/audit?limit=200', { token: admin.token });
      return res.body.data.map((e: any) => e.action);
    });
    expect(audit).toEqual(expect.arrayContaining(['session.created', 'access.granted', 'message.sent']));
  });
});
