import { describe, expect, it } from 'vitest';

import {
  call,
  type GivenCompany,
  givenCompany,
  givenGrant,
  givenIncoming,
  givenManager,
  givenSession,
} from '../support/factories.js';
import { closeAllSockets, connected, settle, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * Message events end to end: the simulated network delivers or acknowledges, the chats module
 * stores, and each socket hears what its user may read, and nothing else.
 */

const app = useTestApp(
  { AUTH_RATE_LIMIT_PER_MINUTE: '100000', SEND_RATE_PER_MINUTE: '0' },
  { listen: true, beforeClose: closeAllSockets },
);

const READ_ONLY = { canRead: true, canWrite: false, canManageChats: false };
const FULL = { canRead: true, canWrite: true, canManageChats: true };

const about = (sessionId: string) => (payload: any) => payload?.sessionId === sessionId;

/** A company with a linked session, a reader on it, a manager on another session, and another company. */
async function givenAudience() {
  const company = await givenCompany(app);
  const stranger = await givenCompany(app);
  const session = await givenSession(app, company);
  const elsewhere = await givenSession(app, company, { connected: false });
  const reader = await givenManager(app, company, 'Reader');
  const outsider = await givenManager(app, company, 'Outsider');
  await givenGrant(app, company, session.id, reader, READ_ONLY);
  await givenGrant(app, company, elsewhere.id, outsider, FULL);
  return {
    company,
    session,
    reader,
    admin: await connected(app, company.token),
    readerSocket: await connected(app, reader.token),
    outsiderSocket: await connected(app, outsider.token),
    strangerSocket: await connected(app, stranger.token),
  };
}

/** After the positive controls have their copies, the others must have heard nothing of the kind. */
async function expectUnheard(clients: TestSocket[], events: string[]) {
  await settle();
  for (const client of clients) {
    for (const event of events) {
      expect(client.heard(event), event).toEqual([]);
    }
  }
}

async function send(company: GivenCompany, sessionId: string, to: string, message: string) {
  const res = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${to}/send`, {
    token: company.token,
    body: { message },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.message;
}

describe('message events', () => {
  it('sends every new incoming message to admins and readers', async () => {
    const { company, session, admin, readerSocket, outsiderSocket, strangerSocket } = await givenAudience();
    await givenIncoming(app, company, session.id, { from: '79991234567', pushName: 'Ivan', text: 'hi' });

    for (const client of [admin, readerSocket]) {
      const event = await client.next('whatsapp:message', about(session.id));
      expect(Object.keys(event).sort()).toEqual(['chat', 'chatId', 'message', 'sessionId']);
      expect(event.chatId).toBe(event.chat.id);
      expect(event.chat).toMatchObject({
        sessionId: session.id,
        waChatId: '79991234567@c.us',
        phoneNumber: '79991234567',
        unreadCount: 1,
        lastMessage: { body: 'hi', fromMe: false },
      });
      expect(event.message).toMatchObject({
        sessionId: session.id,
        chatId: event.chatId,
        fromMe: false,
        direction: 'incoming',
        type: 'text',
        body: 'hi',
        status: 'received',
        sender: { waId: '79991234567@c.us', phoneNumber: '79991234567', name: 'Ivan' },
      });
    }
    await expectUnheard([outsiderSocket, strangerSocket], ['whatsapp:message']);
  });

  it('sends messages written on the phone itself as whatsapp:message too', async () => {
    const { company, session, admin, readerSocket } = await givenAudience();
    await givenIncoming(app, company, session.id, {
      from: '79991234567',
      text: 'from my phone',
      fromMe: true,
    });
    for (const client of [admin, readerSocket]) {
      const event = await client.next('whatsapp:message', about(session.id));
      expect(event.message).toMatchObject({ fromMe: true, direction: 'outgoing', body: 'from my phone' });
    }
  });

  it('tells admins and readers when a sent message is accepted, and each status after', async () => {
    const { company, session, admin, readerSocket, outsiderSocket, strangerSocket } = await givenAudience();
    const message = await send(company, session.id, '79991234567', 'Здравствуйте!');

    for (const client of [admin, readerSocket]) {
      const sent = await client.next('whatsapp:message_sent', about(session.id));
      expect(Object.keys(sent).sort()).toEqual(['chatId', 'message', 'sessionId']);
      expect(sent).toMatchObject({
        sessionId: session.id,
        chatId: message.chatId,
        message: { id: message.id, body: 'Здравствуйте!', fromMe: true, status: 'sent' },
      });
      expect(await client.next('whatsapp:message_status', (p) => p.status === 'sent')).toEqual({
        sessionId: session.id,
        chatId: message.chatId,
        messageId: message.id,
        waMessageId: message.waMessageId,
        status: 'sent',
        error: null,
      });
    }

    const res = await call(app, 'POST', `/api/simulator/sessions/${session.id}/status`, {
      token: company.token,
      body: { waMessageId: message.waMessageId, status: 'delivered' },
    });
    expect(res.status).toBe(200);
    for (const client of [admin, readerSocket]) {
      expect(await client.next('whatsapp:message_status', (p) => p.status === 'delivered')).toEqual({
        sessionId: session.id,
        chatId: message.chatId,
        messageId: message.id,
        waMessageId: message.waMessageId,
        status: 'delivered',
        error: null,
      });
    }
    await expectUnheard(
      [outsiderSocket, strangerSocket],
      ['whatsapp:message', 'whatsapp:message_sent', 'whatsapp:message_status'],
    );
  });

  it('sends chat changes to admins and readers', async () => {
    const { company, session, admin, readerSocket, outsiderSocket, strangerSocket } = await givenAudience();
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'unread' });
    const { chatId } = await admin.next('whatsapp:message', about(session.id));

    const res = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/chats/${chatId}/read`, {
      token: company.token,
    });
    expect(res.status).toBe(200);
    for (const client of [admin, readerSocket]) {
      const updated = await client.next('whatsapp:chat_updated', (p) => p.chat?.unreadCount === 0);
      expect(updated).toEqual({ sessionId: session.id, chat: expect.objectContaining({ id: chatId }) });
    }
    await expectUnheard([outsiderSocket, strangerSocket], ['whatsapp:chat_updated']);
  });

  it('reports history import progress to admins only, without a message event per old message', async () => {
    const { company, session, admin, readerSocket, strangerSocket } = await givenAudience();
    const res = await call(app, 'POST', `/api/simulator/sessions/${session.id}/history`, {
      token: company.token,
      body: { chats: 2, messagesPerChat: 3 },
    });
    expect(res.status).toBe(200);
    const done = await admin.next('whatsapp:history_progress', (p) => p.progress === 100);
    expect(done).toEqual({ sessionId: session.id, progress: 100, chats: expect.any(Number), messages: 6 });
    await expectUnheard([readerSocket, strangerSocket], ['whatsapp:history_progress']);
    expect(admin.heard('whatsapp:message')).toEqual([]);
  });
});

describe('message events and changing rights', () => {
  it('a revoked reader stops hearing messages at once; granted again, hears them again', async () => {
    const { company, session, reader, admin, readerSocket } = await givenAudience();
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'one' });
    await readerSocket.next('whatsapp:message', (p) => p.message?.body === 'one');

    const revoked = await call(
      app,
      'DELETE',
      `/api/whatsapp/sessions/${session.id}/access/${reader.user.id}`,
      {
        token: company.token,
      },
    );
    expect(revoked.status).toBe(200);
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'two' });
    await admin.next('whatsapp:message', (p) => p.message?.body === 'two');

    await givenGrant(app, company, session.id, reader, READ_ONLY);
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'three' });
    await readerSocket.next('whatsapp:message', (p) => p.message?.body === 'three');
    expect(readerSocket.heard('whatsapp:message').map((p) => p.message.body)).toEqual(['one', 'three']);
  });

  it('a reader whose rights are edited while messages arrive hears each message once, in order', async () => {
    const { company, session, reader, admin, readerSocket } = await givenAudience();
    const texts = Array.from({ length: 30 }, (_, i) => `message ${i}`);
    // Edits and messages race: a message may be stored before, during or after an edit's
    // recompute of the reader's rooms, and must reach the reader exactly once either way.
    const edits = (async () => {
      for (let i = 0; i < 8; i++) {
        await givenGrant(app, company, session.id, reader, i % 2 === 0 ? FULL : READ_ONLY);
      }
    })();
    await Promise.all([
      edits,
      ...texts.map((text, i) =>
        givenIncoming(app, company, session.id, { from: `7999100000${i % 3}`, text }),
      ),
    ]);
    const bodies = (client: TestSocket) => client.heard('whatsapp:message').map((p) => p.message.body);
    const all = (client: TestSocket) =>
      client.next('whatsapp:message', () => bodies(client).length >= texts.length);
    await Promise.all([all(admin), all(readerSocket)]);
    await settle();
    expect([...bodies(admin)].sort()).toEqual([...texts].sort());
    expect(bodies(readerSocket)).toEqual(bodies(admin));
  });
});
