import { proto } from 'baileys';
import { describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import { type Account, lidJid, pnJid } from '../wa-server/accounts.js';
import { about, linkNumber, sessionWhen, useStandin } from './support.js';

/**
 * What a conversation holds besides plain texts, as the real client receives it: replies, edits,
 * deletions for everyone, reactions, and a contact WhatsApp first names only by hidden id.
 */
const standin = useStandin();
const app = useTestApp(standin.env, { listen: true, beforeClose: closeAllSockets });

interface StoredMessage {
  id: string;
  waMessageId: string;
  body: string | null;
  type: string;
  quotedMessageId: string | null;
  editedAt: string | null;
  deletedAt: string | null;
}

describe('a conversation on the real engine', () => {
  let company: GivenCompany;
  let admin: TestSocket;
  let sessionId: string;
  let shop: Account;
  let dana: Account;

  const messagesOf = async (chat: string): Promise<StoredMessage[]> => {
    const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats/${chat}/messages`, {
      token: company.token,
    });
    return res.status === 200 ? (res.body.data as StoredMessage[]) : [];
  };
  const stored = (chat: string, waMessageId: string) =>
    waitFor(`${waMessageId} stored`, async () =>
      (await messagesOf(chat)).find((m) => m.waMessageId === waMessageId),
    );

  it('links', async () => {
    const server = standin.server();
    shop = server.addAccount({ pn: '15550301000', name: 'Flowers' });
    dana = server.addAccount({ pn: '15550302000', name: 'Dana' });
    company = await givenCompany(app);
    admin = await connected(app, company.token);
    sessionId = await linkNumber(app, server, company, admin, shop);
  });

  it('stores a reply with the message it quotes', async () => {
    const server = standin.server();
    const original = await server.deliver(dana, shop, { conversation: 'Are tulips in stock?' });
    const quoted = await stored(dana.pn, original);
    const reply = await server.deliver(dana, shop, {
      extendedTextMessage: {
        text: 'And roses?',
        contextInfo: {
          stanzaId: original,
          participant: pnJid(dana),
          quotedMessage: { conversation: 'Are tulips in stock?' },
        },
      },
    });
    expect(await stored(dana.pn, reply)).toMatchObject({
      body: 'And roses?',
      quotedMessageId: quoted.waMessageId,
    });
  });

  it('applies an edit to the stored message and tells the admin', async () => {
    const server = standin.server();
    const original = await server.deliver(dana, shop, { conversation: 'See you at 5' });
    await stored(dana.pn, original);
    await server.deliver(dana, shop, {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
        key: { remoteJid: pnJid(shop), fromMe: true, id: original },
        editedMessage: { conversation: 'See you at 6' },
      },
    });
    const updated = await admin.next(
      'whatsapp:message_updated',
      (p) => about(sessionId)(p) && p.message?.waMessageId === original,
      15_000,
    );
    expect(updated.message).toMatchObject({ body: 'See you at 6', editedAt: expect.any(String) });
  });

  it('marks a message deleted for everyone under its own id, also when the deletion arrives with it', async () => {
    const server = standin.server();
    const revoke = (id: string) => ({
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.REVOKE,
        key: { remoteJid: pnJid(shop), fromMe: true, id },
      },
    });
    const live = await server.deliver(dana, shop, { conversation: 'Wrong chat, sorry' });
    await stored(dana.pn, live);
    await server.deliver(dana, shop, revoke(live));
    await waitFor('the deletion', async () => (await stored(dana.pn, live)).deletedAt !== null);

    // Both arrive together while the device is offline: Baileys folds the deletion into the original.
    server.disconnect(shop.pn, 'drop');
    const early = await server.deliver(dana, shop, { conversation: 'Oops' });
    const revokeId = await server.deliver(dana, shop, revoke(early));
    await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
    await waitFor(
      'the folded deletion',
      async () => (await stored(dana.pn, early)).deletedAt !== null,
      15_000,
    );
    expect((await messagesOf(dana.pn)).filter((m) => m.waMessageId === revokeId)).toEqual([]);
  });

  it('stores a reaction to our message', async () => {
    const server = standin.server();
    const send = await call(app, 'POST', `/api/whatsapp/sessions/${sessionId}/chats/${dana.pn}/send`, {
      token: company.token,
      body: { message: 'Your bouquet is ready' },
    });
    const ours: string = send.body.data.message.waMessageId;
    await waitFor('the contact to get it', () => server.sent.find((s) => s.id === ours));
    const reaction = await server.deliver(dana, shop, {
      reactionMessage: { key: { remoteJid: pnJid(shop), fromMe: false, id: ours }, text: '👍' },
    });
    expect(await stored(dana.pn, reaction)).toMatchObject({ type: 'reaction', body: '👍' });
  });

  it('files a contact first seen only by hidden id under its number once the number is known', async () => {
    const server = standin.server();
    const erin = server.addAccount({ pn: '15550303000', name: 'Erin' });
    const first = await server.deliver(
      erin,
      shop,
      { conversation: 'Hi, first time here' },
      { via: 'lid-only' },
    );
    await waitFor('the hidden-id chat', async () =>
      (await messagesOf(lidJid(erin))).some((m) => m.waMessageId === first),
    );
    // WhatsApp later names the number beside the hidden id.
    const second = await server.deliver(erin, shop, { conversation: 'It is Erin' }, { via: 'lid' });
    await waitFor('one chat under the number', async () => {
      const all = await messagesOf(erin.pn);
      return all.some((m) => m.waMessageId === first) && all.some((m) => m.waMessageId === second);
    });
    const chats = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats`, {
      token: company.token,
    });
    const erinChats = (chats.body.data as { waChatId: string; phoneNumber: string | null }[]).filter(
      (c) => c.phoneNumber === erin.pn || c.waChatId.startsWith(erin.lid),
    );
    expect(erinChats).toHaveLength(1);
  });
});
