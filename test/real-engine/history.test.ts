import { proto } from 'baileys';
import { describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import type { Account } from '../wa-server/accounts.js';
import { type HistoryChunk, historyNotification } from '../wa-server/history.js';
import { about, linkNumber, sessionWhen, useStandin } from './support.js';

/**
 * A newly linked number whose phone has history: what the phone shows (chat names, group subjects,
 * unread counts, who wrote what) is what the API shows after the import, with the progress bar
 * only ever moving forward, and nothing stored twice when history comes again.
 */
const standin = useStandin();
let app = useTestApp(standin.env, { listen: true, beforeClose: closeAllSockets });

const { INITIAL_BOOTSTRAP, PUSH_NAME, RECENT } = proto.HistorySync.HistorySyncType;
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);

const ANN = '15550302000';
const BOB = '15550303000';
const BOB_LID = '900000000000303';
const CAROL = '15550304000';
const DAN = '15550305000';
const EVE = '15550306000';
const EVE_LID = '900000000000306';
const GROUP = '120363000000000301@g.us';

const chunks: HistoryChunk[] = [
  {
    syncType: INITIAL_BOOTSTRAP,
    progress: 20,
    chats: [
      {
        jid: `${ANN}@s.whatsapp.net`,
        name: 'Ann Smith',
        unreadCount: 2,
        messages: [
          { id: 'H-ANN-1', text: 'Hi, are you open on Sunday?', at: ago(50) },
          { id: 'H-ANN-2', text: 'Yes, from ten', fromMe: true, at: ago(45) },
          { id: 'H-ANN-3', text: 'Great', at: ago(40) },
          { id: 'H-ANN-4', text: 'Do you have size 42?', at: ago(39) },
        ],
      },
      {
        jid: `${BOB}@s.whatsapp.net`,
        name: 'Bob Brown',
        unreadCount: 0,
        messages: [
          { id: 'H-BOB-1', text: 'Invoice please', at: ago(120) },
          { id: 'H-BOB-2', text: 'Sent it', fromMe: true, at: ago(110) },
        ],
      },
      {
        jid: GROUP,
        name: 'Weekend team',
        unreadCount: 1,
        messages: [
          {
            id: 'H-GRP-1',
            text: 'Who is in on Saturday?',
            participant: `${CAROL}@s.whatsapp.net`,
            at: ago(30),
          },
          { id: 'H-GRP-2', text: 'Me', fromMe: true, at: ago(29) },
          { id: 'H-GRP-3', text: 'Me too', participant: `${DAN}@s.whatsapp.net`, at: ago(28) },
        ],
      },
    ],
  },
  {
    // Bob's newer thread, which the phone knows by his hidden id; the pair says who he is.
    syncType: INITIAL_BOOTSTRAP,
    chats: [
      {
        jid: `${BOB_LID}@lid`,
        unreadCount: 1,
        messages: [{ id: 'H-BOB-3', text: 'Bob again, from my new phone', at: ago(20) }],
      },
    ],
    lidPnPairs: [{ lid: `${BOB_LID}@lid`, pn: `${BOB}@s.whatsapp.net` }],
  },
  {
    syncType: PUSH_NAME,
    pushNames: [
      { jid: `${ANN}@s.whatsapp.net`, name: 'Annie' },
      { jid: `${CAROL}@s.whatsapp.net`, name: 'Carol' },
      { jid: `${DAN}@s.whatsapp.net`, name: 'Dan' },
    ],
  },
  {
    syncType: RECENT,
    progress: 60,
    chats: [
      {
        jid: `${EVE}@s.whatsapp.net`,
        lidJid: `${EVE_LID}@lid`,
        name: 'Eve',
        archived: true,
        markedAsUnread: true,
        messages: [{ id: 'H-EVE-1', text: 'Thanks!', at: ago(300) }],
      },
    ],
  },
  { syncType: RECENT, progress: 100 },
];

interface ChatDto {
  id: string;
  waChatId: string;
  name: string | null;
  isGroup: boolean;
  unreadCount: number;
  archived: boolean;
  pinned: boolean;
}
interface MessageDto {
  waMessageId: string;
  fromMe: boolean;
  direction: string;
  body: string;
  sender: { waId: string | null; phoneNumber: string | null; name: string | null };
}

describe('history a newly linked phone sends', () => {
  let company: GivenCompany;
  let admin: TestSocket;
  let sessionId: string;
  let shop: Account;

  const chats = async (archived = false): Promise<ChatDto[]> => {
    const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}/chats?archived=${archived}`, {
      token: company.token,
    });
    expect(res.status).toBe(200);
    return res.body.data;
  };
  const allChats = async () => [...(await chats(false)), ...(await chats(true))];
  const messagesOf = async (chatId: string): Promise<MessageDto[]> => {
    const res = await call(
      app,
      'GET',
      `/api/whatsapp/sessions/${sessionId}/chats/${chatId}/messages?limit=200`,
      {
        token: company.token,
      },
    );
    expect(res.status).toBe(200);
    return res.body.data;
  };
  /** Everything the API shows about the session's chats and messages, for before/after comparisons. */
  const snapshot = async () => {
    const list = (await allChats()).sort((a, b) => a.waChatId.localeCompare(b.waChatId));
    return Promise.all(
      list.map(async (chat) => ({
        waChatId: chat.waChatId,
        name: chat.name,
        unreadCount: chat.unreadCount,
        archived: chat.archived,
        messages: (await messagesOf(chat.id)).map((m) => m.waMessageId).sort(),
      })),
    );
  };

  it('imports it with progress that only moves forward and ends at 100', async () => {
    const server = standin.server();
    shop = server.addAccount({ pn: '15550301000', name: 'Bike Shop' });
    server.setHistory(shop.pn, chunks);
    company = await givenCompany(app);
    admin = await connected(app, company.token);
    sessionId = await linkNumber(app, server, company, admin, shop);

    await admin.next('whatsapp:history_progress', (p) => about(sessionId)(p) && p.progress === 100, 30_000);
    const progress = admin.heard('whatsapp:history_progress', about(sessionId)).map((p) => p.progress);
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('lists the chats under the names the phone shows, with its unread counts', async () => {
    const list = await chats();
    const byId = new Map(list.map((c) => [c.waChatId, c]));
    expect(byId.get(`${ANN}@c.us`)).toMatchObject({ name: 'Ann Smith', unreadCount: 2, isGroup: false });
    expect(byId.get(`${BOB}@c.us`)).toMatchObject({ name: 'Bob Brown', unreadCount: 1 });
    expect(byId.get(GROUP)).toMatchObject({ name: 'Weekend team', unreadCount: 1, isGroup: true });
    // Eve's chat is archived on the phone, and marked unread there.
    expect(byId.has(`${EVE}@c.us`)).toBe(false);
    const archived = await chats(true);
    expect(archived.map((c) => c.waChatId)).toEqual([`${EVE}@c.us`]);
    expect(archived[0]).toMatchObject({ name: 'Eve', unreadCount: 1, archived: true });
    expect(list).toHaveLength(3);
  });

  it('files the thread known by hidden id under the phone number: one chat for Bob', async () => {
    const all = await allChats();
    expect(all.filter((c) => c.waChatId.endsWith('@lid'))).toEqual([]);
    const bob = await messagesOf(`${BOB}@c.us`);
    expect(bob.map((m) => m.waMessageId).sort()).toEqual(['H-BOB-1', 'H-BOB-2', 'H-BOB-3']);
  });

  it('names who wrote each message, and keeps the account’s own messages as outgoing', async () => {
    const group = await messagesOf(GROUP);
    const byId = new Map(group.map((m) => [m.waMessageId, m]));
    expect(byId.get('H-GRP-1')).toMatchObject({
      fromMe: false,
      sender: { phoneNumber: CAROL, name: 'Carol' },
    });
    expect(byId.get('H-GRP-3')!.sender).toMatchObject({ phoneNumber: DAN, name: 'Dan' });
    expect(byId.get('H-GRP-2')).toMatchObject({ fromMe: true, direction: 'outgoing', body: 'Me' });

    const ann = new Map((await messagesOf(ANN)).map((m) => [m.waMessageId, m]));
    expect(ann.get('H-ANN-1')!.sender).toMatchObject({ phoneNumber: ANN, name: 'Annie' });
    expect(ann.get('H-ANN-2')).toMatchObject({ fromMe: true, direction: 'outgoing' });
  });

  it('stores nothing twice when a chunk comes again, and the progress does not go back', async () => {
    const before = await snapshot();
    const heard = admin.heard('whatsapp:history_progress', about(sessionId)).length;
    await standin.server().fromPhone(shop, historyNotification(chunks[0]!, 0));
    await waitFor(
      'the repeated chunk to be handled',
      () => admin.heard('whatsapp:history_progress', about(sessionId)).length > heard,
      15_000,
    );
    expect(admin.heard('whatsapp:history_progress', about(sessionId)).at(-1).progress).toBe(100);
    expect(await snapshot()).toEqual(before);
  });

  it('keeps all of it once across a restart of the service (the phone does not send it again)', async () => {
    const before = await snapshot();
    closeAllSockets();
    app = await app.restart();
    await app.http.listen({ port: 0, host: '127.0.0.1' });
    admin = await connected(app, company.token);
    await sessionWhen(app, company, sessionId, (s) => s.status === 'ready');
    expect(await snapshot()).toEqual(before);
    expect(admin.heard('whatsapp:history_progress', about(sessionId))).toEqual([]);
  });
});
