import { describe, expect, it } from 'vitest';

import {
  call,
  givenCompany,
  givenGrant,
  givenIncoming,
  givenManager,
  givenSession,
} from '../../../test/support/factories.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import { waitFor } from '../../../test/support/wait.js';

const app = useTestApp({
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
  SEND_RATE_PER_MINUTE: '0',
  SEND_MAX_ATTEMPTS: '3',
  SEND_RETRY_DELAY: '20ms',
  RECONNECT_MIN_DELAY: '20ms',
  RECONNECT_MAX_DELAY: '100ms',
});

const chatsOf = async (token: string, sessionId: string, query = '') =>
  call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats${query}`, { token });
const messagesOf = async (token: string, sessionId: string, chatId: string, query = '') =>
  call(
    app,
    'GET',
    `/api/whatsapp/sessions/${sessionId}/chats/${encodeURIComponent(chatId)}/messages${query}`,
    { token },
  );
const send = (
  token: string,
  sessionId: string,
  chatId: string,
  body: unknown,
  headers?: Record<string, string>,
) =>
  call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${encodeURIComponent(chatId)}/send`, {
    token,
    body,
    ...(headers ? { headers } : {}),
  });
const outgoing = async (token: string, sessionId: string) =>
  (await call(app, 'GET', `/api/simulator/sessions/${sessionId}/outgoing`, { token })).body.data as any[];

describe('incoming messages', () => {
  it('creates the chat with the last message and unread count, and lists the message', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await givenIncoming(app, company, session.id, { from: '79991234567', pushName: 'Ivan', text: 'Hello!' });

    const chats = await chatsOf(company.token, session.id);
    expect(chats.status).toBe(200);
    expect(chats.body.data).toHaveLength(1);
    const chat = chats.body.data[0];
    expect(chat).toMatchObject({
      waChatId: '79991234567@c.us',
      phoneNumber: '79991234567',
      name: 'Ivan',
      isGroup: false,
      unreadCount: 1,
      lastMessage: { body: 'Hello!', type: 'text', fromMe: false },
    });

    for (const ref of [chat.id, '79991234567@c.us', '79991234567@s.whatsapp.net', '79991234567']) {
      const messages = await messagesOf(company.token, session.id, ref);
      expect(messages.status).toBe(200);
      expect(messages.body.data).toEqual([
        expect.objectContaining({
          chatId: chat.id,
          fromMe: false,
          direction: 'incoming',
          body: 'Hello!',
          status: 'received',
          sender: { waId: '79991234567@c.us', phoneNumber: '79991234567', name: 'Ivan' },
        }),
      ]);
    }
  });

  it('stores messages written on the phone itself as outgoing, without an unread badge', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await givenIncoming(app, company, session.id, {
      from: '79991234567',
      text: 'sent from my phone',
      fromMe: true,
    });
    const chat = (await chatsOf(company.token, session.id)).body.data[0];
    expect(chat).toMatchObject({ unreadCount: 0, lastMessage: { fromMe: true, body: 'sent from my phone' } });
    const [message] = (await messagesOf(company.token, session.id, chat.id)).body.data;
    expect(message).toMatchObject({
      fromMe: true,
      direction: 'outgoing',
      status: 'sent',
      sentByUserId: null,
    });
  });

  it('stores a redelivered message once', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const body = { from: '79991234567', text: 'once', waMessageId: 'ABCDEF0123456789' };
    await givenIncoming(app, company, session.id, body);
    await givenIncoming(app, company, session.id, body);
    const chat = (await chatsOf(company.token, session.id)).body.data[0];
    expect(chat.unreadCount).toBe(1);
    expect((await messagesOf(company.token, session.id, chat.id)).body.data).toHaveLength(1);
  });

  it('keeps messages that arrive while the session is offline and delivers them on reconnect', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { offline: true },
    });
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'while away' });
    expect((await chatsOf(company.token, session.id)).body.data).toHaveLength(0);

    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { offline: false },
    });
    const chat = await waitFor(
      'the backlog',
      async () => (await chatsOf(company.token, session.id)).body.data[0],
    );
    expect(chat.lastMessage.body).toBe('while away');
  });
});

describe('history import', () => {
  it("stores a linked phone's history once, with chats, counts and order, and no unread badge", async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const events: unknown[] = [];
    const off = app.modules.events.on('session.history_progress', (e) => events.push(e));
    const body = { chats: 12, messagesPerChat: 40, batchSize: 100 };
    const res = await call(app, 'POST', `/api/simulator/sessions/${session.id}/history`, {
      token: company.token,
      body,
    });
    off();
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ chats: 12, messages: 480 });
    expect(events).toHaveLength(5);
    expect(events.at(-1)).toMatchObject({ sessionId: session.id, progress: 100, messages: 480 });

    // The phone sends the same history again (it does after a re-link): nothing doubles.
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/history`, { token: company.token, body });

    const chats = (await chatsOf(company.token, session.id, '?limit=200')).body.data;
    expect(chats).toHaveLength(12);
    expect(chats.every((c: any) => c.unreadCount === 0)).toBe(true);
    expect(chats[0]).toMatchObject({
      name: 'Contact 12',
      lastMessage: { body: 'History message 40 with contact 12' },
    });

    const messages = (await messagesOf(company.token, session.id, chats[0].id, '?limit=200')).body.data;
    expect(messages).toHaveLength(40);
    expect(messages[0].body).toBe('History message 40 with contact 12');
    expect(messages.filter((m: any) => m.fromMe)).toHaveLength(13);
  });
});

describe('sending', () => {
  it('accepts at once as pending, then delivers once and reports sent', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'hi' });

    const res = await send(company.token, session.id, '79991234567@c.us', { message: 'Здравствуйте!' });
    expect(res.status).toBe(201);
    const message = res.body.data.message;
    expect(message).toMatchObject({
      fromMe: true,
      direction: 'outgoing',
      body: 'Здравствуйте!',
      sentByUserId: company.user.id,
    });
    expect(['pending', 'sent']).toContain(message.status);

    await waitFor('sent', async () => {
      const list = await messagesOf(company.token, session.id, message.chatId);
      return list.body.data.find((m: any) => m.id === message.id && m.status === 'sent');
    });
    const out = await outgoing(company.token, session.id);
    expect(out).toEqual([
      expect.objectContaining({
        waMessageId: message.waMessageId,
        to: '79991234567@c.us',
        text: 'Здравствуйте!',
      }),
    ]);

    const chat = (await chatsOf(company.token, session.id)).body.data[0];
    expect(chat.lastMessage).toMatchObject({ id: message.id, fromMe: true, body: 'Здравствуйте!' });
  });

  it('moves status forward only, on reports from WhatsApp', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const { message } = (await send(company.token, session.id, '79991234567', { message: 'status?' })).body
      .data;
    await waitFor('sent', async () => (await outgoing(company.token, session.id)).length === 1);
    const statusOf = async () =>
      (await messagesOf(company.token, session.id, message.chatId)).body.data.find(
        (m: any) => m.id === message.id,
      ).status;

    for (const status of ['delivered', 'read', 'delivered']) {
      const res = await call(app, 'POST', `/api/simulator/sessions/${session.id}/status`, {
        token: company.token,
        body: { waMessageId: message.waMessageId, status },
      });
      expect(res.status).toBe(200);
    }
    expect(await statusOf()).toBe('read');
  });

  it('starts a chat with a number that has none yet', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const res = await send(company.token, session.id, '+7 (999) 765-43-21', { message: 'first contact' });
    expect(res.status).toBe(201);
    const chats = (await chatsOf(company.token, session.id)).body.data;
    expect(chats).toEqual([
      expect.objectContaining({ waChatId: '79997654321@c.us', id: res.body.data.message.chatId }),
    ]);
  });

  it('returns the first result for a repeated Idempotency-Key and sends once', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const headers = { 'idempotency-key': 'order-42-confirmation' };
    const [a, b] = await Promise.all([
      send(company.token, session.id, '79991234567', { message: 'Your order is ready' }, headers),
      send(company.token, session.id, '79991234567', { message: 'Your order is ready' }, headers),
    ]);
    const c = await send(
      company.token,
      session.id,
      '79991234567',
      { message: 'Your order is ready' },
      headers,
    );
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(b.body.data.message.id).toBe(a.body.data.message.id);
    expect(c.body.data.message.id).toBe(a.body.data.message.id);

    await waitFor('sent', async () => (await outgoing(company.token, session.id)).length > 0);
    await app.modules.sender.idle();
    expect(await outgoing(company.token, session.id)).toHaveLength(1);

    const other = await send(company.token, session.id, '79991234567', { message: 'different' }, headers);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('keeps a send accepted while offline pending, and delivers it once after reconnecting', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { offline: true },
    });
    const res = await send(company.token, session.id, '79991234567', { message: 'queued' });
    expect(res.status).toBe(201);
    expect(res.body.data.message.status).toBe('pending');
    expect(await outgoing(company.token, session.id)).toHaveLength(0);

    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { offline: false },
    });
    await waitFor(
      'delivery after reconnect',
      async () => (await outgoing(company.token, session.id)).length === 1,
    );
    await app.modules.sender.idle();
    expect(await outgoing(company.token, session.id)).toHaveLength(1);
  });

  it('refuses sends to a session an admin disconnected (503), but still replays an accepted one', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const headers = { 'idempotency-key': 'before-disconnect' };
    const first = await send(company.token, session.id, '79991234567', { message: 'accepted' }, headers);
    expect(first.status).toBe(201);
    await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/disconnect`, { token: company.token });

    const refused = await send(company.token, session.id, '79991234567', { message: 'too late' });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('SESSION_NOT_READY');
    const replay = await send(company.token, session.id, '79991234567', { message: 'accepted' }, headers);
    expect(replay.body.data.message.id).toBe(first.body.data.message.id);
  });

  it('retries transient failures, then marks the message failed with a reason', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { sendFailRate: 1 },
    });
    const { message } = (await send(company.token, session.id, '79991234567', { message: 'doomed' })).body
      .data;
    const failed = await waitFor('failed', async () =>
      (await messagesOf(company.token, session.id, message.chatId)).body.data.find(
        (m: any) => m.id === message.id && m.status === 'failed',
      ),
    );
    expect(failed.error).toMatch(/simulated send failure/);
    expect(await outgoing(company.token, session.id)).toHaveLength(0);
  });

  it('refuses bad input with 400 and stores nothing', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    for (const body of [
      {},
      { message: '' },
      { message: '   ' },
      { message: 42 },
      { message: 'x', extra: 1 },
      { message: 'x'.repeat(65_537) },
    ]) {
      const res = await send(company.token, session.id, '79991234567', body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(400);
    }
    expect((await send(company.token, session.id, 'not-a-chat', { message: 'x' })).status).toBe(404);
    expect((await chatsOf(company.token, session.id)).body.data).toHaveLength(0);
  });
});

describe('chat list queries', () => {
  it('searches by name and number, and refuses cursors it did not issue and NUL characters', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await givenIncoming(app, company, session.id, {
      from: '79991110000',
      pushName: 'Anna Petrova',
      text: 'a',
    });
    await givenIncoming(app, company, session.id, { from: '79992220000', pushName: 'Boris', text: 'b' });
    const names = async (query: string) =>
      (await chatsOf(company.token, session.id, query)).body.data.map((c: any) => c.name);
    expect(await names('?search=petrov')).toEqual(['Anna Petrova']);
    expect(await names('?search=7999222')).toEqual(['Boris']);
    expect(await names('?search=%25')).toEqual([]);

    const forged = (k: unknown) =>
      Buffer.from(JSON.stringify({ k, id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' })).toString('base64url');
    for (const cursor of [forged('abc'), forged(null), forged('+200000-01-01T00:00:00Z'), 'garbage']) {
      const res = await chatsOf(company.token, session.id, `?cursor=${cursor}`);
      expect(res.status, cursor).toBe(400);
      const messages = await messagesOf(company.token, session.id, '79991110000', `?cursor=${cursor}`);
      expect(messages.status, cursor).toBe(400);
    }
    const nul = await chatsOf(company.token, session.id, '?search=%00');
    expect(nul.status).toBe(400);
    expect(nul.body.error.details).toEqual([expect.objectContaining({ field: 'search', in: 'querystring' })]);
  });
});

describe('rights', () => {
  it('lets each right do exactly its part, and another company nothing', async () => {
    const company = await givenCompany(app);
    const other = await givenCompany(app);
    const session = await givenSession(app, company);
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'hi' });
    const reader = await givenManager(app, company);
    const writer = await givenManager(app, company);
    const keeper = await givenManager(app, company);
    const nobody = await givenManager(app, company);
    await givenGrant(app, company, session.id, reader, {
      canRead: true,
      canWrite: false,
      canManageChats: false,
    });
    await givenGrant(app, company, session.id, writer, {
      canRead: true,
      canWrite: true,
      canManageChats: false,
    });
    await givenGrant(app, company, session.id, keeper, {
      canRead: true,
      canWrite: false,
      canManageChats: true,
    });
    const chatUrl = `/api/whatsapp/sessions/${session.id}/chats/79991234567`;

    const status = async (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) =>
      (await call(app, method, url, { token, ...(body ? { body } : {}) })).status;

    expect(await status(reader.token, 'GET', `/api/whatsapp/sessions/${session.id}/chats`)).toBe(200);
    expect(await status(reader.token, 'GET', `${chatUrl}/messages`)).toBe(200);
    expect(await status(reader.token, 'POST', `${chatUrl}/send`, { message: 'x' })).toBe(403);
    expect(await status(reader.token, 'POST', `${chatUrl}/read`)).toBe(403);
    expect(await status(reader.token, 'PATCH', chatUrl, { archived: true })).toBe(403);

    expect(await status(writer.token, 'POST', `${chatUrl}/send`, { message: 'x' })).toBe(201);
    expect(await status(writer.token, 'POST', `${chatUrl}/read`)).toBe(403);

    expect(await status(keeper.token, 'POST', `${chatUrl}/read`)).toBe(200);
    expect(await status(keeper.token, 'PATCH', chatUrl, { pinned: true })).toBe(200);
    expect(await status(keeper.token, 'POST', `${chatUrl}/send`, { message: 'x' })).toBe(403);

    expect(await status(nobody.token, 'GET', `/api/whatsapp/sessions/${session.id}/chats`)).toBe(403);
    expect(await status(nobody.token, 'GET', `${chatUrl}/messages`)).toBe(403);

    expect(await status(other.token, 'GET', `/api/whatsapp/sessions/${session.id}/chats`)).toBe(404);
    expect(await status(other.token, 'GET', `${chatUrl}/messages`)).toBe(404);
    expect(await status(other.token, 'POST', `${chatUrl}/send`, { message: 'x' })).toBe(404);
    expect(await status(other.token, 'POST', `${chatUrl}/read`)).toBe(404);
    expect(await status(other.token, 'PATCH', chatUrl, { archived: true })).toBe(404);
  });
});

describe('managing chats', () => {
  it('marks read (unread to 0, receipts sent), archives and pins', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'one' });
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'two' });
    const chat = (await chatsOf(company.token, session.id)).body.data[0];
    expect(chat.unreadCount).toBe(2);

    const read = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/chats/${chat.id}/read`, {
      token: company.token,
    });
    expect(read.status).toBe(200);
    expect(read.body.data.unreadCount).toBe(0);
    const messages = (await messagesOf(company.token, session.id, chat.id)).body.data;
    expect(messages.map((m: any) => m.status)).toEqual(['read', 'read']);

    const archived = await call(app, 'PATCH', `/api/whatsapp/sessions/${session.id}/chats/${chat.id}`, {
      token: company.token,
      body: { archived: true, pinned: true },
    });
    expect(archived.body.data).toMatchObject({ archived: true, pinned: true });
    expect((await chatsOf(company.token, session.id)).body.data).toHaveLength(0);
    expect((await chatsOf(company.token, session.id, '?archived=true')).body.data).toHaveLength(1);
  });
});

describe('pagination', () => {
  it('walks chats and messages by cursor without gaps or repeats, even as new messages arrive', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    for (let i = 0; i < 7; i++) {
      await givenIncoming(app, company, session.id, { from: `7999000000${i}`, text: `m${i}` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await chatsOf(
        company.token,
        session.id,
        `?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((c: any) => c.phoneNumber));
      cursor = res.body.pagination.nextCursor;
      if (pages === 0) {
        // A new chat arriving mid-walk lands on page one, not in the pages still to come.
        await givenIncoming(app, company, session.id, { from: '79990000099', text: 'late' });
      }
      pages += 1;
    } while (cursor);
    expect(seen).toEqual([
      '79990000006',
      '79990000005',
      '79990000004',
      '79990000003',
      '79990000002',
      '79990000001',
      '79990000000',
    ]);

    const byPage = await chatsOf(company.token, session.id, '?limit=3&page=3');
    expect(byPage.body.data.map((c: any) => c.phoneNumber)).toEqual(['79990000001', '79990000000']);
    expect(byPage.body.pagination).toMatchObject({ page: 3, limit: 3, hasMore: false, nextCursor: null });
  });
});

describe('media', () => {
  it('downloads a media message once, then serves it from the cache, to readers only', async () => {
    const company = await givenCompany(app);
    const other = await givenCompany(app);
    const session = await givenSession(app, company);
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'look', type: 'image' });
    await givenIncoming(app, company, session.id, {
      from: '79991234567',
      text: 'the invoice',
      type: 'document',
    });
    await givenIncoming(app, company, session.id, { from: '79991234567', text: 'plain' });
    const list = (await messagesOf(company.token, session.id, '79991234567')).body.data;
    const image = list.find((m: any) => m.type === 'image');
    const document = list.find((m: any) => m.type === 'document');
    const text = list.find((m: any) => m.type === 'text');
    expect(image).not.toHaveProperty('mediaRef');
    const url = (m: any) => `/api/whatsapp/sessions/${session.id}/messages/${m.id}/media`;

    const res = await app.http.inject({
      method: 'GET',
      url: url(image),
      headers: { authorization: `Bearer ${company.token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.subarray(1, 4).toString()).toBe('PNG');

    const doc = await app.http.inject({
      method: 'GET',
      url: url(document),
      headers: { authorization: `Bearer ${company.token}` },
    });
    expect(doc.headers['content-type']).toContain('application/pdf');
    expect(doc.headers['content-disposition']).toBe("attachment; filename*=UTF-8''invoice.pdf");

    // Cached: served even while the session is offline.
    await call(app, 'POST', `/api/simulator/sessions/${session.id}/faults`, {
      token: company.token,
      body: { offline: true },
    });
    const again = await app.http.inject({
      method: 'GET',
      url: url(image),
      headers: { authorization: `Bearer ${company.token}` },
    });
    expect(again.statusCode).toBe(200);
    expect(again.rawPayload.equals(res.rawPayload)).toBe(true);

    expect((await call(app, 'GET', url(text), { token: company.token })).body.error.code).toBe('NO_MEDIA');
    expect((await call(app, 'GET', url(image), { token: other.token })).status).toBe(404);
    const nobody = await givenManager(app, company);
    expect((await call(app, 'GET', url(image), { token: nobody.token })).status).toBe(403);
    expect((await call(app, 'GET', url(image))).status).toBe(401);
  });
});
