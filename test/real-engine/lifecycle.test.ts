import type { BinaryNode } from 'baileys';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';

import { engineCredentials } from '../../src/modules/engine/credentials.table.js';
import { call, type GivenCompany, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected, settle, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import type { Account, Companion } from '../wa-server/accounts.js';
import { about, linkNumber, sessionWhen, useStandin } from './support.js';

/**
 * A linked session through everything that happens to a connection: the service restarts, the
 * network drops, another client takes the link over, the phone unlinks the device.
 */
const standin = useStandin({ RECONNECT_MAX_ATTEMPTS: '3' });
let app = useTestApp(standin.env, { listen: true, beforeClose: closeAllSockets });

describe('a session on the real engine through restarts and disconnects', () => {
  let company: GivenCompany;
  let admin: TestSocket;
  let sessionId: string;
  let shop: Account;
  let bob: Account;
  let logins = 0;
  const countLogins = (companion: Companion) => {
    if (companion.account === shop) {
      logins++;
    }
  };

  const messagesWith = async (waMessageId: string) => {
    const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${bob.pn}/messages`, {
      token: company.token,
    });
    const messages = res.status === 200 ? (res.body.data as { waMessageId: string }[]) : [];
    return messages.filter((m) => m.waMessageId === waMessageId);
  };

  it('links', async () => {
    const server = standin.server();
    shop = server.addAccount({ pn: '15550101000', name: 'Bakery' });
    bob = server.addAccount({ pn: '15550102000', name: 'Bob' });
    server.on('login', countLogins);
    company = await givenCompany(app);
    admin = await connected(app, company.token);
    sessionId = await linkNumber(app, server, company, admin, shop);
  });

  it('resumes after a restart of the service without a QR, and what arrived meanwhile is stored once', async () => {
    const server = standin.server();
    const before = await server.deliver(bob, shop, { conversation: 'Before the restart' });
    await waitFor('the first message', async () => (await messagesWith(before)).length === 1);
    closeAllSockets();
    app = await app.restart({
      beforeStart: async () => {
        // While the service is down, Bob writes: WhatsApp keeps it for the device.
        await server.deliver(bob, shop, { conversation: 'While you were away' }, { id: 'AWAY-1' });
      },
    });
    await app.http.listen({ port: 0, host: '127.0.0.1' });
    admin = await connected(app, company.token);
    await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
    await waitFor('the message sent while down', async () => (await messagesWith('AWAY-1')).length === 1);
    expect(await messagesWith(before)).toHaveLength(1);
    expect(admin.heard('whatsapp:qr', about(sessionId))).toEqual([]);
  });

  it('reconnects by itself when the connection drops', async () => {
    const server = standin.server();
    const loginsBefore = logins;
    server.disconnect(shop.pn, 'drop');
    await waitFor('a new login', () => logins > loginsBefore, 15_000);
    await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
    const id = await server.deliver(bob, shop, { conversation: 'Still there?' });
    await waitFor('the message after the drop', async () => (await messagesWith(id)).length === 1);
  });

  it('reconnects by itself when WhatsApp ends the stream with 503 or 500', async () => {
    const server = standin.server();
    for (const code of ['503', '500'] as const) {
      const loginsBefore = logins;
      server.disconnect(shop.pn, code);
      await waitFor(`a new login after ${code}`, () => logins > loginsBefore, 15_000);
      await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
    }
  });

  it('keeps what it learned of a contact’s devices across a reconnect: no device query before the next send', async () => {
    const server = standin.server();
    const deviceQueries: string[] = [];
    const onIq = (iq: BinaryNode) => {
      if (iq.attrs.xmlns === 'usync' && JSON.stringify(iq).includes(bob.pn)) {
        deviceQueries.push(iq.attrs.id ?? '');
      }
    };
    server.on('iq', onIq);
    const send = async (text: string) => {
      const res = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${bob.pn}/send`, {
        token: company.token,
        body: { message: text },
      });
      expect(res.status).toBe(201);
      await waitFor(`${text} to reach Bob`, () =>
        server.sent.find(
          (s) =>
            s.recipient === `${bob.pn}:0` &&
            (s.message.conversation ?? s.message.extendedTextMessage?.text) === text,
        ),
      );
    };
    await send('First of two');
    const asked = deviceQueries.length;
    const loginsBefore = logins;
    server.disconnect(shop.pn, 'drop');
    await waitFor('a new login', () => logins > loginsBefore, 15_000);
    await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
    await send('Second of two');
    server.off('iq', onIq);
    expect(deviceQueries.length).toBe(asked);
  });

  it('ends failed, without a reconnect loop, when another client takes the link over (440)', async () => {
    const server = standin.server();
    server.disconnect(shop.pn, 'conflict');
    const failed = await sessionWhen(app, company, sessionId, (s) => s.status === 'failed');
    expect(failed.lastError).toMatch(/Another client/);
    await admin.next('whatsapp:disconnected', about(sessionId));
    const loginsAfter = logins;
    await settle(1500);
    expect(logins).toBe(loginsAfter);
  });

  it('comes back when the admin reconnects it', async () => {
    const res = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/reconnect`, {
      token: company.token,
    });
    expect(res.status).toBe(200);
    await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
  });

  const storedCredentials = async () =>
    (await app.database.db.select().from(engineCredentials).where(eq(engineCredentials.sessionId, sessionId)))
      .length;

  it('ends logged out with its credentials wiped when the phone unlinks it (401); a reconnect shows a new QR', async () => {
    const server = standin.server();
    expect(await storedCredentials()).toBeGreaterThan(0);
    server.disconnect(shop.pn, '401');
    await sessionWhen(app, company, sessionId, (s) => s.status === 'logged_out');
    await admin.next('whatsapp:disconnected', (p) => about(sessionId)(p) && p.loggedOut === true);
    expect(await storedCredentials()).toBe(0);

    const shown = admin.heard('whatsapp:qr', about(sessionId)).length;
    await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/reconnect`, { token: company.token });
    const qr = await waitFor('a new QR', () => admin.heard('whatsapp:qr', about(sessionId))[shown], 15_000);
    await server.scan(qr.qr, shop.pn);
    await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
  });

  it('tells admins when an admin disconnects it, and keeps no credentials', async () => {
    const res = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/disconnect`, {
      token: company.token,
    });
    expect(res.status).toBe(200);
    const event = await admin.next(
      'whatsapp:disconnected',
      (p) => about(sessionId)(p) && p.loggedOut === true && /admin/i.test(p.reason),
      10_000,
    );
    expect(event.reason).toMatch(/admin/i);
    expect(await storedCredentials()).toBe(0);
  });
});
