import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { call, givenCompany, givenManager, givenSession } from '../../../../test/support/factories.js';
import { useTestApp } from '../../../../test/support/use-test-app.js';
import { waitFor } from '../../../../test/support/wait.js';

const app = useTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });

/** Every control call, on one session. */
function controlCalls(sessionId: string) {
  const base = `/api/simulator/sessions/${sessionId}`;
  return [
    { method: 'POST', url: `${base}/scan`, body: {} },
    { method: 'POST', url: `${base}/incoming`, body: { from: '79991234567', text: 'Hello' } },
    { method: 'POST', url: `${base}/status`, body: { waMessageId: 'X', status: 'read' } },
    { method: 'POST', url: `${base}/drop`, body: {} },
    { method: 'POST', url: `${base}/history`, body: { chats: 1, messagesPerChat: 1 } },
    { method: 'GET', url: `${base}/outgoing` },
    { method: 'POST', url: `${base}/faults`, body: { sendLatencyMs: 1 } },
  ] as const;
}

describe('simulator control routes', () => {
  it("answer 404 for another company's session, running or not, and 403 for a manager", async () => {
    const owner = await givenCompany(app);
    const other = await givenCompany(app);
    const running = await givenSession(app, owner);
    const waiting = await givenSession(app, owner, { connected: false });
    const manager = await givenManager(app, owner);
    for (const sessionId of [running.id, waiting.id]) {
      for (const c of controlCalls(sessionId)) {
        const foreign = await call(app, c.method, c.url, {
          token: other.token,
          ...('body' in c ? { body: c.body } : {}),
        });
        expect([c.url, foreign.status, foreign.body.error?.code]).toEqual([c.url, 404, 'SESSION_NOT_FOUND']);
        const notAdmin = await call(app, c.method, c.url, {
          token: manager.token,
          ...('body' in c ? { body: c.body } : {}),
        });
        expect([c.url, notAdmin.status]).toEqual([c.url, 403]);
      }
    }
    // The owner's calls still work, and nothing the other company sent arrived.
    const incoming = await call(app, 'POST', `/api/simulator/sessions/${running.id}/incoming`, {
      token: owner.token,
      body: { from: '79991234567', text: 'Mine' },
    });
    expect(incoming.status).toBe(201);
    const chats = await call(app, 'GET', `/api/whatsapp/sessions/${running.id}/chats`, {
      token: owner.token,
    });
    expect(chats.body.data.map((c: { lastMessage: { body: string } }) => c.lastMessage.body)).toEqual([
      'Mine',
    ]);
  });

  it('answer 404 once the session is deleted', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const deleted = await call(app, 'DELETE', `/api/whatsapp/sessions/${session.id}`, {
      token: company.token,
    });
    expect(deleted.status).toBe(200);
    for (const c of controlCalls(session.id)) {
      const res = await call(app, c.method, c.url, {
        token: company.token,
        ...('body' in c ? { body: c.body } : {}),
      });
      expect([c.url, res.status]).toEqual([c.url, 404]);
    }
  });

  it('list what the network received with its deliveries, kept in DATA_DIR until the session is deleted', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const sent = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/chats/79991234567/send`, {
      token: company.token,
      body: { message: 'kept on disk' },
    });
    expect(sent.status).toBe(201);
    const outgoing = await waitFor('the send to reach the network', async () => {
      const res = await call(app, 'GET', `/api/simulator/sessions/${session.id}/outgoing`, {
        token: company.token,
      });
      return res.body.data.length > 0 ? res.body.data : null;
    });
    expect(outgoing).toEqual([
      expect.objectContaining({
        waMessageId: sent.body.data.message.waMessageId,
        text: 'kept on disk',
        deliveries: 1,
      }),
    ]);
    const file = join(app.config.dataDir, 'simulator', `${session.id}.jsonl`);
    expect(existsSync(file)).toBe(true);

    const deleted = await call(app, 'DELETE', `/api/whatsapp/sessions/${session.id}`, {
      token: company.token,
    });
    expect(deleted.status).toBe(200);
    await waitFor('the record to be deleted', () => (existsSync(file) ? null : true));
  });
});
