import { describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import type { Account } from '../wa-server/accounts.js';
import type { Group } from '../wa-server/groups.js';
import type { SentByClient } from '../wa-server/server.js';
import { about, linkNumber, useStandin } from './support.js';

/**
 * Groups on the real engine: sender-key messages from participants known by hidden id, sends to
 * the group that every participant's phone reads, and the sender (`participant`) on read
 * receipts and quotes, which WhatsApp needs to know whose message is meant.
 */

const standin = useStandin();
const app = useTestApp(standin.env, { listen: true, beforeClose: closeAllSockets });

const textOf = (sent: SentByClient) => sent.message.conversation ?? sent.message.extendedTextMessage?.text;

describe('a group on the real engine', () => {
  let company: GivenCompany;
  let admin: TestSocket;
  let sessionId: string;
  let shop: Account;
  let ann: Account;
  let bob: Account;
  let group: Group;
  let annMessageId: string;
  let bobMessageIds: string[];

  const messagesOfGroup = async () => {
    const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${group.id}/messages`, {
      token: company.token,
    });
    expect(res.status).toBe(200);
    return res.body.data as { id: string; waMessageId: string; [key: string]: unknown }[];
  };

  /** What each participant's phone read of message `id`, once every one of them has it. */
  const readByParticipants = (id: string) =>
    waitFor('every participant to read the group message', () => {
      const copies = [ann, bob].map((p) =>
        standin.server().sent.filter((s) => s.id === id && s.to === group.id && s.recipient === `${p.pn}:0`),
      );
      return copies.every((c) => c.length > 0) ? copies : null;
    });

  it('stores a participant’s message once, under the group, with the sender’s number and name', async () => {
    const server = standin.server();
    shop = server.addAccount({ pn: '15550101000', name: 'Corner Shop' });
    ann = server.addAccount({ pn: '15550102000', name: 'Ann' });
    bob = server.addAccount({ pn: '15550103000', name: 'Bob' });
    group = server.groups.create({ subject: 'Size 42 club', participants: [shop, ann, bob] });
    company = await givenCompany(app);
    admin = await connected(app, company.token);
    sessionId = await linkNumber(app, server, company, admin, shop);

    annMessageId = await server.groups.deliver(group, ann, { conversation: 'Anyone tried the brown ones?' });
    const heard = await admin.next(
      'whatsapp:message',
      (p) => about(sessionId)(p) && p.message?.waMessageId === annMessageId,
      20_000,
    );
    expect(heard.chat).toMatchObject({ waChatId: group.id, isGroup: true });
    expect(heard.message).toMatchObject({
      body: 'Anyone tried the brown ones?',
      fromMe: false,
      sender: { waId: `${ann.pn}@c.us`, phoneNumber: ann.pn, name: 'Ann' },
    });
    const stored = (await messagesOfGroup()).filter((m) => m.waMessageId === annMessageId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ sender: { waId: `${ann.pn}@c.us`, phoneNumber: ann.pn, name: 'Ann' } });
  });

  it('shows the number of a sender named only by hidden id, when the engine knows it', async () => {
    const server = standin.server();
    // Bob's second message comes without his number: the first one taught the engine who he is.
    const first = await server.groups.deliver(group, bob, { conversation: 'Not yet' });
    await admin.next(
      'whatsapp:message',
      (p) => about(sessionId)(p) && p.message?.waMessageId === first,
      20_000,
    );
    const id = await server.groups.deliver(
      group,
      bob,
      { conversation: 'Tomorrow maybe' },
      { withoutPn: true },
    );
    bobMessageIds = [first, id];
    const heard = await admin.next(
      'whatsapp:message',
      (p) => about(sessionId)(p) && p.message?.waMessageId === id,
      20_000,
    );
    expect(heard.message.sender).toEqual({ waId: `${bob.pn}@c.us`, phoneNumber: bob.pn, name: 'Bob' });
  });

  it('sends to the group through the API: each participant reads the exact text once', async () => {
    const send = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${group.id}/send`, {
      token: company.token,
      body: { message: 'Brown is back in stock' },
    });
    expect(send.status).toBe(201);
    const sent = await admin.next(
      'whatsapp:message_sent',
      (p) => about(sessionId)(p) && p.message?.id === send.body.data.message.id,
      20_000,
    );
    const copies = await readByParticipants(sent.message.waMessageId as string);
    for (const copy of copies) {
      expect(copy).toHaveLength(1);
      expect(textOf(copy[0]!)).toBe('Brown is back in stock');
    }
  });

  it('marks the group read: the read receipt names the sender of each message', async () => {
    const server = standin.server();
    const res = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${group.id}/read`, {
      token: company.token,
    });
    expect(res.status).toBe(200);
    const receiptFor = (id: string) =>
      waitFor(`the read receipt for ${id}`, () =>
        server.receipts.find((r) => r.type === 'read' && r.ids.includes(id)),
      );
    expect(await receiptFor(annMessageId)).toMatchObject({ to: group.id, participant: `${ann.lid}@lid` });
    for (const id of bobMessageIds) {
      expect(await receiptFor(id)).toMatchObject({ to: group.id, participant: `${bob.lid}@lid` });
    }
  });

  it('quotes a participant’s message: the reply names whose message it quotes', async () => {
    const quoted = (await messagesOfGroup()).find((m) => m.waMessageId === annMessageId)!;
    const send = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${group.id}/send`, {
      token: company.token,
      body: { message: 'Yes, they run large', quotedMessageId: quoted.id },
    });
    expect(send.status).toBe(201);
    const sent = await admin.next(
      'whatsapp:message_sent',
      (p) => about(sessionId)(p) && p.message?.id === send.body.data.message.id,
      20_000,
    );
    const copies = await readByParticipants(sent.message.waMessageId as string);
    for (const copy of copies) {
      expect(copy).toHaveLength(1);
      const reply = copy[0]!.message.extendedTextMessage;
      expect(reply?.text).toBe('Yes, they run large');
      expect(reply?.contextInfo).toMatchObject({
        stanzaId: annMessageId,
        participant: `${ann.lid}@lid`,
        quotedMessage: { conversation: 'Anyone tried the brown ones?' },
      });
    }
  });
});
