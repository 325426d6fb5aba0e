import { describe, expect, it } from 'vitest';

import { call, givenCompany, givenSession } from '../../../test/support/factories.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import { waitFor } from '../../../test/support/wait.js';
import { createPacer } from './sender.js';

describe('createPacer', () => {
  it('allows a burst, then one message per interval', () => {
    let t = 0;
    const pacer = createPacer({ perMinute: 30, burst: 3 }, () => t);
    expect([pacer.take(), pacer.take(), pacer.take()]).toEqual([0, 0, 0]);
    expect(pacer.take()).toBe(2000);
    t += 1999;
    expect(pacer.take()).toBe(1);
    t += 1;
    expect(pacer.take()).toBe(0);
    t += 60_000;
    expect([pacer.take(), pacer.take(), pacer.take(), pacer.take()]).toEqual([0, 0, 0, 2000]);
  });

  it('is off at 0 per minute', () => {
    const pacer = createPacer({ perMinute: 0, burst: 1 }, () => 0);
    expect(Array.from({ length: 50 }, () => pacer.take()).every((w) => w === 0)).toBe(true);
  });
});

describe('paced sending', () => {
  const app = useTestApp({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    SEND_RATE_PER_MINUTE: '60',
    SEND_BURST: '2',
  });

  it('sends a burst at once and keeps the rest pending until their turn, refusing none', async () => {
    const company = await givenCompany(app);
    const session = await givenSession(app, company);
    const accepted: any[] = [];
    for (const text of ['one', 'two', 'three']) {
      const res = await call(app, 'POST', `/api/whatsapp/sessions/${session.id}/chats/79991234567/send`, {
        token: company.token,
        body: { message: text },
      });
      expect(res.status).toBe(201);
      accepted.push(res.body.data.message);
    }
    const outgoing = async () =>
      (await call(app, 'GET', `/api/simulator/sessions/${session.id}/outgoing`, { token: company.token }))
        .body.data;
    await waitFor('the burst', async () => (await outgoing()).length === 2);
    const messages = (
      await call(app, 'GET', `/api/whatsapp/sessions/${session.id}/chats/79991234567/messages`, {
        token: company.token,
      })
    ).body.data;
    expect(messages.find((m: any) => m.id === accepted[2].id).status).toBe('pending');

    const all = await waitFor(
      'the paced one',
      async () => ((await outgoing()).length === 3 ? outgoing() : null),
      3000,
    );
    expect(all.map((o: any) => o.text)).toEqual(['one', 'two', 'three']);
  });
});
