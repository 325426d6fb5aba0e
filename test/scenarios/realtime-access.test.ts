import { describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany, givenManager } from '../support/factories.js';
import { closeAllSockets, connected, reconnect, settle, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * Connect → grant → receive → revoke, over HTTP and real sockets: rights take effect at once on
 * open sockets, and a client that drops while its rights change does not get back what it lost.
 */

const app = useTestApp(
  { AUTH_RATE_LIMIT_PER_MINUTE: '100000' },
  { listen: true, beforeClose: closeAllSockets },
);

const READ_ONLY = { canRead: true, canWrite: false, canManageChats: false };
const FULL = { canRead: true, canWrite: true, canManageChats: true };

async function createSession(company: GivenCompany): Promise<string> {
  const res = await call(app, 'POST', '/api/whatsapp/sessions', { token: company.token });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

async function api(company: GivenCompany, method: 'POST' | 'DELETE', url: string, body?: object) {
  const res = await call(app, method, url, { token: company.token, ...(body ? { body } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body.data;
}

const grant = (company: GivenCompany, sessionId: string, managerId: string, rights = READ_ONLY) =>
  api(company, 'POST', `/api/whatsapp/sessions/${sessionId}/access`, { managerId, ...rights });
const revoke = (company: GivenCompany, sessionId: string, managerId: string) =>
  api(company, 'DELETE', `/api/whatsapp/sessions/${sessionId}/access/${managerId}`);
const scan = (company: GivenCompany, sessionId: string) =>
  api(company, 'POST', `/api/simulator/sessions/${sessionId}/scan`, {});
const logOutFromPhone = (company: GivenCompany, sessionId: string) =>
  api(company, 'POST', `/api/simulator/sessions/${sessionId}/drop`, { loggedOut: true });

const about = (sessionId: string) => (payload: any) => payload?.sessionId === sessionId;

/** Events heard after a mark, about one session. */
function heardSince(client: TestSocket, mark: number, sessionId: string) {
  return client.events.slice(mark).filter((e) => about(sessionId)(e.payload));
}

/** Event packets about a session that reached the client's connection since a mark, connected or not. */
function packetsAbout(client: TestSocket, mark: number, sessionId: string) {
  return client.packets
    .slice(mark)
    .filter((p) => p.type === 2 && Array.isArray(p.data) && about(sessionId)(p.data[1]));
}

describe('rights on open sockets', () => {
  it('a manager connected before the grant hears the session right after it, and nothing right after the revoke', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const session = await createSession(company);
    const otherSession = await createSession(company);
    const admin = await connected(app, company.token);
    const managerSocket = await connected(app, manager.token);

    await grant(company, session, manager.user.id);
    // No waiting, no reconnect: the next event of the session is the manager's.
    await scan(company, session);
    await managerSocket.next('whatsapp:ready', about(session));
    await scan(company, otherSession);
    await admin.next('whatsapp:ready', about(otherSession));

    await revoke(company, session, manager.user.id);
    // The manager is told, and after that hears nothing more of the session.
    await managerSocket.next('whatsapp:access_changed', (p) => p.sessionId === session && p.rights === null);
    const mark = managerSocket.events.length;
    await logOutFromPhone(company, session);
    await admin.next('whatsapp:disconnected', about(session));
    await settle();
    expect(heardSince(managerSocket, mark, session)).toEqual([]);
    expect(managerSocket.heard('whatsapp:ready', about(otherSession))).toEqual([]);
    expect(managerSocket.socket.connected).toBe(true);

    // Granted again: heard again, on the same socket.
    await grant(company, session, manager.user.id, FULL);
    await api(company, 'POST', `/api/whatsapp/sessions/${session}/reconnect`);
    await managerSocket.next('whatsapp:session_status', (p) => p.sessionId === session && p.status === 'qr');
  });

  it('changing the rights of a manager who keeps access loses and doubles nothing', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const session = await createSession(company);
    await grant(company, session, manager.user.id);
    const managerSocket = await connected(app, manager.token);
    const second = await connected(app, manager.token, { transports: ['polling'] });

    await grant(company, session, manager.user.id, FULL);
    await scan(company, session);
    for (const client of [managerSocket, second]) {
      await client.next('whatsapp:ready', about(session));
    }
    await grant(company, session, manager.user.id, READ_ONLY);
    await logOutFromPhone(company, session);
    for (const client of [managerSocket, second]) {
      await client.next('whatsapp:disconnected', about(session));
    }
    await settle();
    for (const client of [managerSocket, second]) {
      expect(client.heard('whatsapp:ready', about(session))).toHaveLength(1);
      expect(client.heard('whatsapp:disconnected', about(session))).toHaveLength(1);
      const statuses = client.heard('whatsapp:session_status', about(session)).map((p) => p.status);
      expect(statuses).toEqual(['connecting', 'ready', 'logged_out']);
    }
  });

  it('a deleted session takes its rooms with it; the manager goes on hearing the others', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const doomed = await createSession(company);
    const kept = await createSession(company);
    await grant(company, doomed, manager.user.id);
    await grant(company, kept, manager.user.id);
    const managerSocket = await connected(app, manager.token);

    await api(company, 'DELETE', `/api/whatsapp/sessions/${doomed}`);
    await scan(company, kept);
    await managerSocket.next('whatsapp:ready', about(kept));
    const listed = await call(app, 'GET', '/api/whatsapp/sessions', { token: manager.token });
    expect(listed.body.data.map((s: { id: string }) => s.id)).toEqual([kept]);
  });
});

describe('rights that change while a client is away', () => {
  /** Drops the client's connection as a network would; the server keeps its state for recovery. */
  async function drop(client: TestSocket) {
    const gone = client.disconnected();
    client.socket.io.engine.close();
    await gone;
    // The client knows at once; give the server the moment it needs to read the close frame, so
    // that what follows happens while the socket is away rather than while it is still connected.
    await settle(100);
  }

  it('a manager whose access is unchanged gets back what was missed, and keeps hearing', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const session = await createSession(company);
    await grant(company, session, manager.user.id);
    const admin = await connected(app, company.token);
    const managerSocket = await connected(app, manager.token);

    await drop(managerSocket);
    await scan(company, session);
    await admin.next('whatsapp:ready', about(session));

    expect(await reconnect(managerSocket)).toEqual({ ok: true });
    expect(managerSocket.socket.recovered).toBe(true);
    await managerSocket.next('whatsapp:ready', about(session));
    await logOutFromPhone(company, session);
    await managerSocket.next('whatsapp:disconnected', about(session));
  });

  it('a manager revoked while away gets nothing of the session back, on the wire or after', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const session = await createSession(company);
    const kept = await createSession(company);
    await grant(company, session, manager.user.id);
    await grant(company, kept, manager.user.id);
    const admin = await connected(app, company.token);
    const managerSocket = await connected(app, manager.token);

    await drop(managerSocket);
    await revoke(company, session, manager.user.id);
    await scan(company, session);
    await admin.next('whatsapp:ready', about(session));
    const wireMark = managerSocket.packets.length;

    expect(await reconnect(managerSocket)).toEqual({ ok: true });
    // Its rights changed, so the client starts afresh rather than from rooms it no longer has.
    expect(managerSocket.socket.recovered).toBe(false);
    await logOutFromPhone(company, session);
    await admin.next('whatsapp:disconnected', about(session));
    await scan(company, kept);
    await managerSocket.next('whatsapp:ready', about(kept));
    await settle();
    expect(managerSocket.heard('whatsapp:ready', about(session))).toEqual([]);
    expect(managerSocket.heard('whatsapp:disconnected', about(session))).toEqual([]);
    expect(packetsAbout(managerSocket, wireMark, session)).toEqual([]);
  });

  it('a manager deactivated while away is refused on return, with nothing replayed', async () => {
    const company = await givenCompany(app);
    const manager = await givenManager(app, company);
    const session = await createSession(company);
    await grant(company, session, manager.user.id);
    const admin = await connected(app, company.token);
    const managerSocket = await connected(app, manager.token);

    await drop(managerSocket);
    const wireMark = managerSocket.packets.length;
    await api(company, 'DELETE', `/api/managers/${manager.user.id}`);
    await scan(company, session);
    await admin.next('whatsapp:ready', about(session));

    const outcome = await reconnect(managerSocket);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && (outcome.error as Error & { data?: unknown }).data).toEqual({
      code: 'INVALID_TOKEN',
    });
    expect(packetsAbout(managerSocket, wireMark, session)).toEqual([]);
    expect(managerSocket.events.slice(1).filter((e) => e.event !== 'realtime:connected')).toEqual([]);
  });
});
