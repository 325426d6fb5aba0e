import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany, givenManager } from '../../../test/support/factories.js';
import {
  closeAllSockets,
  connected,
  originOf,
  reconnect,
  refused,
  settle,
} from '../../../test/support/socket-client.js';
import { createTestApp, TEST_JWT_SECRET } from '../../../test/support/test-app.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import type { DomainEvents } from '../../events/domain-events.js';
import { type Audience, fanOut, type Outbox } from './fan-out.js';

const app = useTestApp(
  { AUTH_RATE_LIMIT_PER_MINUTE: '100000' },
  { listen: true, beforeClose: closeAllSockets },
);

const READ_ONLY = { canRead: true, canWrite: false, canManageChats: false };
const FULL = { canRead: true, canWrite: true, canManageChats: true };

async function createSession(company: GivenCompany) {
  const res = await call(app, 'POST', '/api/whatsapp/sessions', { token: company.token });
  expect(res.status).toBe(201);
  return res.body.data as { id: string; sessionId: string };
}

async function grant(company: GivenCompany, sessionId: string, managerId: string, rights = READ_ONLY) {
  const res = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/access`, {
    token: company.token,
    body: { managerId, ...rights },
  });
  expect(res.status).toBe(200);
}

async function scan(company: GivenCompany, sessionId: string, body: object = {}) {
  const res = await call(app, 'POST', `/api/simulator/sessions/${sessionId}/scan`, {
    token: company.token,
    body,
  });
  expect(res.status).toBe(200);
}

const about = (sessionId: string) => (payload: any) => payload?.sessionId === sessionId;

function claimsOf(token: string) {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function signed(claims: Record<string, unknown>, options: { secret?: string; expiresAt?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ companyId: claims.companyId, role: claims.role, tv: claims.tv })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub as string)
    .setIssuer('whatsapp-service')
    .setIssuedAt(now - 7200)
    .setExpirationTime(options.expiresAt ?? now + 3600)
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

describe('handshake', () => {
  it('refuses a missing, malformed, expired or foreign-signed token at the handshake', async () => {
    const company = await givenCompany(app);
    const claims = claimsOf(company.token);
    const expired = await signed(claims, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const otherSecret = await signed(claims, { secret: 'another-secret-that-is-long-enough-for-hs256-xyz' });
    // The hand-signed token with the right secret is accepted, so the refusals above are about what they change.
    await connected(app, await signed(claims));

    const cases: [string | undefined, string][] = [
      [undefined, 'UNAUTHORIZED'],
      ['', 'UNAUTHORIZED'],
      ['garbage', 'INVALID_TOKEN'],
      ['a.b.c', 'INVALID_TOKEN'],
      [expired, 'INVALID_TOKEN'],
      [otherSecret, 'INVALID_TOKEN'],
    ];
    for (const [token, code] of cases) {
      const error = await refused(app, token);
      expect(error.message).toEqual(expect.any(String));
      expect(error.message).not.toContain(token || 'no token here');
      expect(error.data).toEqual({ code });
    }
  });

  it('admits admins and managers over WebSocket and over long-polling', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const admin = await connected(app, company.token);
    expect(admin.socket.connected).toBe(true);
    const polling = await connected(app, manager.token, { transports: ['polling'] });
    expect(polling.socket.io.engine.transport.name).toBe('polling');
    // A token sent the HTTP way is accepted too.
    await connected(app, `Bearer ${manager.token}`);
    admin.close();
    polling.close();
  });

  it("refuses a deactivated manager's token and disconnects their open sockets at once", async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const other = await givenManager(app, company);
    const first = await connected(app, manager.token);
    const second = await connected(app, manager.token, { transports: ['polling'] });
    const bystander = await connected(app, other.token);

    const gone = [first.disconnected(), second.disconnected()];
    const res = await call(app, 'DELETE', `/api/managers/${manager.user.id}`, { token: company.token });
    expect(res.status).toBe(200);
    // Disconnected by the server (not a network error), so the client does not retry on its own.
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
    expect((await refused(app, manager.token)).data).toEqual({ code: 'INVALID_TOKEN' });
    expect(bystander.socket.connected).toBe(true);
  });

  it("disconnects a manager's sockets when a new password ends their token", async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const client = await connected(app, manager.token);
    const gone = client.disconnected();
    const res = await call(app, 'PATCH', `/api/managers/${manager.user.id}`, {
      token: company.token,
      body: { password: 'a-brand-new-password-2' },
    });
    expect(res.status).toBe(200);
    expect(await gone).toBe('io server disconnect');
    expect((await refused(app, manager.token)).data).toEqual({ code: 'INVALID_TOKEN' });
  });

  it('keeps its sockets when only the name changes', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const session = await createSession(company);
    await grant(company, session.id, manager.user.id);
    const client = await connected(app, manager.token);
    await call(app, 'PATCH', `/api/managers/${manager.user.id}`, {
      token: company.token,
      body: { name: 'Renamed' },
    });
    await scan(company, session.id);
    await client.next('whatsapp:ready', about(session.id));
    expect(client.socket.connected).toBe(true);
  });

  it('accepts no cross-origin browser unless the origin is configured', async () => {
    const company = await givenCompany(app);
    const foreign = await refused(app, company.token, { extraHeaders: { origin: 'http://evil.example' } });
    expect(foreign.message).toMatch(/websocket error/i);
    const pollingForeign = await refused(app, company.token, {
      transports: ['polling'],
      extraHeaders: { origin: 'http://evil.example' },
    });
    expect(pollingForeign.message).toMatch(/xhr poll error/i);
    // The console served by this very server.
    await connected(app, company.token, { extraHeaders: { origin: originOf(app) } });

    const configured = await createTestApp({
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      CORS_ORIGIN: 'http://console.example',
    });
    try {
      await configured.http.listen({ port: 0, host: '127.0.0.1' });
      const other = await givenCompany(configured);
      await connected(configured, other.token, { extraHeaders: { origin: 'http://console.example' } });
      const polled = await fetch(`${originOf(configured)}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin: 'http://console.example' },
      });
      expect(polled.status).toBe(200);
      expect(polled.headers.get('access-control-allow-origin')).toBe('http://console.example');
      await refused(configured, other.token, { extraHeaders: { origin: 'http://evil.example' } });
    } finally {
      closeAllSockets();
      await configured.close();
    }
  });
});

describe('who hears what', () => {
  it("sends the QR to the company's admins only", async () => {
    const company = await givenCompany(app);
    const stranger = await givenCompany(app);
    const manager = await givenManager(app, company);
    const admin = await connected(app, company.token);
    const managerSocket = await connected(app, manager.token);
    const strangerSocket = await connected(app, stranger.token);

    const session = await createSession(company);
    const qr = await admin.next('whatsapp:qr', about(session.id));
    expect(Object.keys(qr).sort()).toEqual(['expiresAt', 'qr', 'qrCode', 'sessionId']);
    expect(qr.qrCode).toMatch(/^data:image\/png;base64,/);
    expect(qr.qr).toEqual(expect.any(String));
    expect(new Date(qr.expiresAt).getTime()).toBeGreaterThan(Date.now());

    // A manager with every right on the session hears its status, never its QR.
    await grant(company, session.id, manager.user.id, FULL);
    const restarted = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/reconnect`, {
      token: company.token,
    });
    expect(restarted.status).toBe(200);
    await admin.next('whatsapp:qr', (p) => p.sessionId === session.id && p.qr !== qr.qr);
    await managerSocket.next(
      'whatsapp:session_status',
      (p) => p.sessionId === session.id && p.status === 'qr',
    );
    await settle();
    expect(managerSocket.heard('whatsapp:qr')).toEqual([]);
    expect(strangerSocket.heard('whatsapp:qr')).toEqual([]);
    expect(strangerSocket.heard('whatsapp:session_status')).toEqual([]);
  });

  it('sends ready and status changes to admins and managers with access, and no one else', async () => {
    const company = await givenCompany(app);
    const stranger = await givenCompany(app);
    const reader = await givenManager(app, company, 'Reader');
    const outsider = await givenManager(app, company, 'Outsider');
    const session = await createSession(company);
    const otherSession = await createSession(company);
    await grant(company, session.id, reader.user.id);
    await grant(company, otherSession.id, outsider.user.id, FULL);

    const admin = await connected(app, company.token);
    const readerSocket = await connected(app, reader.token);
    const outsiderSocket = await connected(app, outsider.token);
    const strangerSocket = await connected(app, stranger.token);

    await scan(company, session.id, { phoneNumber: '79990001122', displayName: 'Acme Sales' });
    const expected = { sessionId: session.id, phoneNumber: '79990001122', displayName: 'Acme Sales' };
    expect(await admin.next('whatsapp:ready', about(session.id))).toEqual(expected);
    expect(await readerSocket.next('whatsapp:ready', about(session.id))).toEqual(expected);
    for (const client of [admin, readerSocket]) {
      expect(await client.next('whatsapp:session_status', (p) => p.status === 'ready')).toEqual({
        sessionId: session.id,
        status: 'ready',
      });
      // Admins and members both: one copy per socket.
      expect(client.heard('whatsapp:ready', about(session.id))).toHaveLength(1);
    }
    await settle();
    for (const client of [outsiderSocket, strangerSocket]) {
      expect(client.heard('whatsapp:ready')).toEqual([]);
      expect(client.heard('whatsapp:session_status')).toEqual([]);
    }
  });

  it('tells a manager at once when their rights on a session change, and no one else', async () => {
    const company = await givenCompany(app);
    const stranger = await givenCompany(app);
    const manager = await givenManager(app, company, 'Granted');
    const colleague = await givenManager(app, company, 'Colleague');
    const session = await createSession(company);

    const managerSocket = await connected(app, manager.token);
    const colleagueSocket = await connected(app, colleague.token);
    const admin = await connected(app, company.token);
    const strangerSocket = await connected(app, stranger.token);

    await grant(company, session.id, manager.user.id, FULL);
    expect(await managerSocket.next('whatsapp:access_changed', about(session.id))).toEqual({
      sessionId: session.id,
      rights: FULL,
    });
    const revoke = await call(
      app,
      'DELETE',
      `/api/whatsapp/sessions/${session.id}/access/${manager.user.id}`,
      {
        token: company.token,
      },
    );
    expect(revoke.status).toBe(200);
    expect(
      await managerSocket.next(
        'whatsapp:access_changed',
        (p) => p.sessionId === session.id && p.rights === null,
      ),
    ).toEqual({ sessionId: session.id, rights: null });
    await settle();
    for (const client of [colleagueSocket, admin, strangerSocket]) {
      expect(client.heard('whatsapp:access_changed')).toEqual([]);
    }
  });

  it('sends disconnected (logged out) to admins and managers with access', async () => {
    const company = await givenCompany(app);
    const stranger = await givenCompany(app);
    const reader = await givenManager(app, company, 'Reader');
    const outsider = await givenManager(app, company, 'Outsider');
    const session = await createSession(company);
    await grant(company, session.id, reader.user.id);
    await scan(company, session.id);

    const admin = await connected(app, company.token);
    const readerSocket = await connected(app, reader.token);
    const outsiderSocket = await connected(app, outsider.token);
    const strangerSocket = await connected(app, stranger.token);

    const res = await call(app, 'POST', `/api/simulator/sessions/${session.id}/drop`, {
      token: company.token,
      body: { loggedOut: true },
    });
    expect(res.status).toBe(200);
    for (const client of [admin, readerSocket]) {
      expect(await client.next('whatsapp:disconnected', about(session.id))).toEqual({
        sessionId: session.id,
        reason: expect.any(String),
        loggedOut: true,
      });
      await client.next(
        'whatsapp:session_status',
        (p) => p.sessionId === session.id && p.status === 'logged_out',
      );
    }
    await settle();
    for (const client of [outsiderSocket, strangerSocket]) {
      expect(client.heard('whatsapp:disconnected')).toEqual([]);
      expect(client.heard('whatsapp:session_status')).toEqual([]);
    }
  });
});

describe('shutdown', () => {
  it('closes open sockets first, so closing the app does not wait on them', async () => {
    const other = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });
    await other.http.listen({ port: 0, host: '127.0.0.1' });
    const company = await givenCompany(other);
    const websocket = await connected(other, company.token);
    const polling = await connected(other, company.token, { transports: ['polling'] });
    const gone = [websocket.disconnected(), polling.disconnected()];
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(5000);
    // The clients see their connection end (and would reconnect to the next instance on their own).
    const ended = expect.stringMatching(/^transport (close|error)$/);
    expect(await Promise.all(gone)).toEqual([ended, ended]);
  });
});

describe('connection-state recovery', () => {
  it('gives a client that dropped for a moment the events it missed', async () => {
    const company = await givenCompany(app);
    const client = await connected(app, company.token);
    const control = await connected(app, company.token);

    // The client has heard nothing but its welcome; that is enough to resume.
    const dropped = client.disconnected();
    client.socket.io.engine.close();
    expect(await dropped).toBe('forced close');
    const session = await createSession(company);
    await control.next('whatsapp:qr', about(session.id));
    expect(client.heard('whatsapp:qr')).toEqual([]);
    // Meanwhile another company links a number: that is not among what the client missed.
    const stranger = await givenCompany(app);
    const strangerSocket = await connected(app, stranger.token);
    const foreign = await createSession(stranger);
    await strangerSocket.next('whatsapp:qr', about(foreign.id));

    expect(await reconnect(client)).toEqual({ ok: true });
    expect(client.socket.recovered).toBe(true);
    const missed = await client.next('whatsapp:qr', about(session.id));
    expect(missed.qrCode).toMatch(/^data:image\/png;base64,/);
    await client.next('realtime:connected', (p) => p.recovered === true);
    expect(client.heard('whatsapp:qr').map((p) => p.sessionId)).toEqual([session.id]);

    // And it goes on hearing live events.
    await scan(company, session.id);
    await client.next('whatsapp:ready', about(session.id));
  });

  it('starts a client afresh when its session is unknown (no recovery, still admitted)', async () => {
    const company = await givenCompany(app);
    const client = await connected(app, company.token, {
      auth: { token: company.token, pid: 'nope', offset: 'x' },
    });
    expect(client.socket.recovered).toBe(false);
  });
});

describe('fan-out table', () => {
  const scope = { companyId: 'c1', sessionId: 's1' };
  const chat = { id: 'chat1' } as DomainEvents['chat.updated']['chat'];
  const message = { id: 'm1' } as DomainEvents['message.sent']['message'];
  const samples: { [K in keyof DomainEvents]?: DomainEvents[K] } = {
    'session.qr': {
      ...scope,
      qr: 'q',
      qrCode: 'data:image/png;base64,x',
      expiresAt: '2030-01-01T00:00:00.000Z',
    },
    'session.ready': { ...scope, phoneNumber: '79990001122', displayName: null },
    'session.disconnected': { ...scope, reason: 'gone', loggedOut: false },
    'session.status_changed': { ...scope, status: 'connecting' },
    'session.history_progress': { ...scope, progress: 40, chats: 3, messages: 120 },
    'message.received': { ...scope, chat, message },
    'message.sent': { ...scope, chatId: 'chat1', message },
    'message.status': {
      ...scope,
      chatId: 'chat1',
      messageId: 'm1',
      waMessageId: 'W1',
      status: 'read',
      error: null,
    },
    'message.updated': { ...scope, chatId: 'chat1', message },
    'chat.updated': { ...scope, chat },
  };

  it('maps every domain event to its contract event, audience and exact payload', () => {
    const sent: { audience: Audience; event: string; payload: unknown }[] = [];
    const out: Outbox = {
      send: (audience, _scope, event, payload) => sent.push({ audience, event, payload }),
    };
    for (const [name, payload] of Object.entries(samples)) {
      (fanOut[name as keyof DomainEvents] as (e: unknown, o: Outbox) => void)(payload, out);
    }
    expect(Object.keys(fanOut).sort()).toEqual(Object.keys(samples).sort());
    expect(sent).toEqual([
      {
        audience: 'admins',
        event: 'whatsapp:qr',
        payload: {
          sessionId: 's1',
          qr: 'q',
          qrCode: 'data:image/png;base64,x',
          expiresAt: '2030-01-01T00:00:00.000Z',
        },
      },
      {
        audience: 'members',
        event: 'whatsapp:ready',
        payload: { sessionId: 's1', phoneNumber: '79990001122', displayName: null },
      },
      {
        audience: 'members',
        event: 'whatsapp:disconnected',
        payload: { sessionId: 's1', reason: 'gone', loggedOut: false },
      },
      {
        audience: 'members',
        event: 'whatsapp:session_status',
        payload: { sessionId: 's1', status: 'connecting' },
      },
      {
        audience: 'admins',
        event: 'whatsapp:history_progress',
        payload: { sessionId: 's1', progress: 40, chats: 3, messages: 120 },
      },
      {
        audience: 'readers',
        event: 'whatsapp:message',
        payload: { sessionId: 's1', chatId: 'chat1', chat, message },
      },
      {
        audience: 'readers',
        event: 'whatsapp:message_sent',
        payload: { sessionId: 's1', chatId: 'chat1', message },
      },
      {
        audience: 'readers',
        event: 'whatsapp:message_status',
        payload: {
          sessionId: 's1',
          chatId: 'chat1',
          messageId: 'm1',
          waMessageId: 'W1',
          status: 'read',
          error: null,
        },
      },
      {
        audience: 'readers',
        event: 'whatsapp:message_updated',
        payload: { sessionId: 's1', chatId: 'chat1', message },
      },
      { audience: 'readers', event: 'whatsapp:chat_updated', payload: { sessionId: 's1', chat } },
    ]);
  });
});
