import { readFileSync } from 'node:fs';

import { type BaileysEventMap, BufferJSON } from 'baileys';
import { describe, expect, it } from 'vitest';

import type { EngineMessage } from '../engine.js';
import { mapMessages, mapReceipts, mapStatusUpdates, toContractChatId } from './baileys-mapper.js';

/**
 * A fixture: the payloads of one Baileys event in the order they were emitted, stored with
 * `BufferJSON.replacer`. Captured from the real client by test/fixtures/baileys/capture.ts; those in
 * `invented/` are written by hand, for what the stand-in cannot produce yet (see the README there).
 */
function payloads<T>(name: string): T[] {
  const url = new URL(`../../../../test/fixtures/baileys/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'), BufferJSON.reviver) as T[];
}
const upsert = (name: string) =>
  payloads<BaileysEventMap['messages.upsert']>(name).flatMap((payload) => payload.messages);

const live = { source: 'live', ownPhone: '79990000001', ownLid: '201650139357261@lid' } as const;

const T = 1786000000;
const at = (offset: number) => new Date((T + offset) * 1000);

const ANNA_LID = '187425311260831@lid';
const GROUP = '120363043211234567@g.us';

const plain = { chatAltWaId: null, quotedWaMessageId: null, media: null, status: null };
const fromClara = {
  ...plain,
  chatWaId: '4915112345678@c.us',
  fromMe: false,
  isGroup: false,
  chatName: 'Clara',
  sender: { waId: '4915112345678@c.us', phoneNumber: '4915112345678', name: 'Clara' },
};
const fromAnna = {
  ...plain,
  chatWaId: '79991234567@c.us',
  chatAltWaId: ANNA_LID,
  fromMe: false,
  isGroup: false,
  chatName: 'Анна',
  sender: { waId: '79991234567@c.us', phoneNumber: '79991234567', name: 'Анна' },
};
const fromBrunoLid = {
  ...plain,
  chatWaId: '95812004711234@lid',
  fromMe: false,
  isGroup: false,
  chatName: 'Bruno',
  sender: { waId: '95812004711234@lid', phoneNumber: null, name: 'Bruno' },
};
const inGroup = { ...plain, chatWaId: GROUP, fromMe: false, isGroup: true, chatName: null };
const dima = { waId: '79997654321@c.us', phoneNumber: '79997654321', name: 'Дима' };
const anna = { waId: '79991234567@c.us', phoneNumber: '79991234567', name: 'Анна' };
const me = (name: string | null) => ({ waId: '79990000001@c.us', phoneNumber: '79990000001', name });

const annaPair = { lid: ANNA_LID, phoneWaId: '79991234567@c.us' };
const dimaPair = { lid: '263011849925710@lid', phoneWaId: '79997654321@c.us' };

describe('fixtures', () => {
  it('come back through BufferJSON.reviver with Buffers for media keys and thumbnails', () => {
    const [image] = upsert('upsert-media.json');
    expect(Buffer.isBuffer(image?.message?.imageMessage?.mediaKey)).toBe(true);
    expect(image?.message?.imageMessage?.mediaKey).toHaveLength(32);
    expect(Buffer.isBuffer(image?.message?.imageMessage?.jpegThumbnail)).toBe(true);
  });
});

describe('mapMessages', () => {
  it('maps direct texts keyed by phone only, hidden id with phone alternate, hidden id only, and a disappearing message', () => {
    expect(mapMessages(upsert('upsert-direct-text.json'), live)).toStrictEqual({
      messages: [
        {
          ...fromClara,
          waMessageId: 'AC1F3B5D7E9A2C4E6F8091A2B3C4D5E6',
          type: 'text',
          body: 'Hallo, ist die Bestellung schon unterwegs?',
          timestamp: at(0),
        },
        {
          ...fromAnna,
          waMessageId: '3A8C1E5B7D9F0A2C4E61',
          type: 'text',
          body: 'Меню тут: https://example.com/menu',
          timestamp: at(60),
        },
        {
          ...fromBrunoLid,
          waMessageId: 'A5E3C1B9D7F2E4A6C8B0D2F4A6C8E0B2',
          type: 'text',
          body: 'Oi! Tudo bem?',
          timestamp: at(120),
        },
        {
          ...fromAnna,
          waMessageId: '3AF0B2D4E6A8C0E2F4B6',
          type: 'text',
          body: 'Это сообщение исчезнет через неделю',
          timestamp: at(180),
        },
      ],
      changes: [],
      identities: [annaPair],
    });
  });

  it('maps image, video, audio, voice, documents (with caption wrapper), sticker and view-once media', () => {
    const { messages, changes, identities } = mapMessages(upsert('upsert-media.json'), live);
    expect(messages).toStrictEqual<EngineMessage[]>([
      {
        ...fromClara,
        waMessageId: 'AC20000000000000000000000000IMG1',
        type: 'image',
        body: 'Die Rechnung',
        timestamp: at(200),
        media: { mimetype: 'image/jpeg', size: 183245, width: 1200, height: 1600 },
      },
      {
        ...fromClara,
        waMessageId: 'AC20000000000000000000000000VID1',
        type: 'video',
        body: null,
        timestamp: at(201),
        media: { mimetype: 'video/mp4', size: 4817322, duration: 14, width: 720, height: 1280 },
      },
      {
        ...fromClara,
        waMessageId: 'AC20000000000000000000000000AUD1',
        type: 'audio',
        body: null,
        timestamp: at(202),
        media: { mimetype: 'audio/mpeg', size: 402112, duration: 25 },
      },
      {
        ...fromClara,
        waMessageId: 'AC20000000000000000000000000PTT1',
        type: 'voice',
        body: null,
        timestamp: at(203),
        media: { mimetype: 'audio/ogg; codecs=opus', size: 18940, duration: 7 },
      },
      {
        ...fromClara,
        waMessageId: 'AC20000000000000000000000000DOC1',
        type: 'document',
        body: null,
        timestamp: at(204),
        media: { mimetype: 'application/pdf', size: 220471, fileName: 'Rechnung-2026-0815.pdf' },
      },
      {
        ...fromClara,
        waMessageId: 'AC20000000000000000000000000DOC2',
        type: 'document',
        body: 'Bitte prüfen',
        timestamp: at(205),
        media: {
          mimetype: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          size: 9812,
          fileName: 'Lieferliste.xlsx',
        },
      },
      {
        ...fromClara,
        waMessageId: 'AC20000000000000000000000000STK1',
        type: 'sticker',
        body: null,
        timestamp: at(206),
        media: { mimetype: 'image/webp', size: 21004, width: 512, height: 512 },
      },
      {
        ...fromClara,
        waMessageId: 'AC20000000000000000000000000VO01',
        type: 'image',
        body: null,
        timestamp: at(207),
        media: { mimetype: 'image/jpeg', size: 95120, width: 960, height: 1280 },
      },
    ]);
    expect(changes).toStrictEqual([]);
    expect(identities).toStrictEqual([]);
  });

  it('maps locations with a readable summary and contact cards with their vCards', () => {
    const ivan =
      'BEGIN:VCARD\nVERSION:3.0\nN:;Иван Петров;;;\nFN:Иван Петров\nTEL;type=CELL;type=VOICE;waid=79990001122:+79990001122\nEND:VCARD';
    const olga =
      'BEGIN:VCARD\nVERSION:3.0\nN:;Ольга;;;\nFN:Ольга\nTEL;type=CELL;type=VOICE;waid=79990003344:+79990003344\nEND:VCARD';
    expect(mapMessages(upsert('upsert-location-contact.json'), live)).toStrictEqual({
      messages: [
        {
          ...fromAnna,
          waMessageId: '3A0000000000000LOC01',
          type: 'location',
          body: 'Кафе Пушкинъ, Тверской бул., 26А, Москва (55.7558, 37.6173)',
          timestamp: at(300),
          media: { latitude: 55.7558, longitude: 37.6173 },
        },
        {
          ...fromAnna,
          waMessageId: '3A0000000000000LOC02',
          type: 'location',
          body: '59.93863, 30.31413',
          timestamp: at(301),
          media: { latitude: 59.9386300123, longitude: 30.3141300456 },
        },
        {
          ...fromAnna,
          waMessageId: '3A0000000000000LOC03',
          type: 'location',
          body: 'Я тут (55.751244, 37.618423)',
          timestamp: at(302),
          media: { latitude: 55.751244, longitude: 37.618423 },
        },
        {
          ...fromAnna,
          waMessageId: '3A0000000000000VCF01',
          type: 'contact',
          body: 'Иван Петров',
          timestamp: at(303),
          media: { vcard: ivan },
        },
        {
          ...fromAnna,
          waMessageId: '3A0000000000000VCF02',
          type: 'contact',
          body: 'Иван Петров, Ольга',
          timestamp: at(304),
          media: { vcard: `${ivan}\n${olga}` },
        },
      ],
      changes: [],
      identities: [annaPair],
    });
  });

  it('reads the quoted message id from the contextInfo of any content type', () => {
    expect(mapMessages(upsert('upsert-reply.json'), live).messages).toStrictEqual([
      {
        ...fromAnna,
        waMessageId: '3A0000000000000REP01',
        type: 'text',
        body: 'Да, счёт получила',
        timestamp: at(400),
        quotedWaMessageId: '3EB0D91FC53F8AE64F3DA8',
      },
      {
        ...fromAnna,
        waMessageId: '3A0000000000000REP02',
        type: 'image',
        body: 'Вот он',
        timestamp: at(401),
        quotedWaMessageId: '3A8C1E5B7D9F0A2C4E61',
        media: { mimetype: 'image/jpeg', size: 120334, width: 768, height: 1024 },
      },
    ]);
  });

  it('maps group messages: sender from participant (phone form when known), no chat name, own sends, reactions, revokes', () => {
    expect(mapMessages(upsert('upsert-group.json'), live)).toStrictEqual({
      messages: [
        {
          ...inGroup,
          waMessageId: '3A0000000000000GRP01',
          type: 'text',
          body: 'Всем привет! Встреча в 15:00',
          timestamp: at(500),
          sender: dima,
        },
        {
          // Sent without the participant's number: the sender stays the hidden id.
          ...inGroup,
          waMessageId: '3A0000000000000GRP02',
          type: 'image',
          body: null,
          timestamp: at(510),
          sender: { waId: ANNA_LID, phoneNumber: null, name: 'Анна' },
          media: { mimetype: 'image/jpeg', size: 64001, width: 600, height: 800 },
        },
        {
          ...inGroup,
          waMessageId: '3A0000000000000GRP03',
          type: 'text',
          body: 'Я буду',
          timestamp: at(520),
          sender: anna,
          quotedWaMessageId: '3A0000000000000GRP01',
        },
        {
          // The echo of our own send: no push name, no participant in the key.
          ...inGroup,
          waMessageId: '3EB0A1B2C3D4E5F6A7B8E0',
          fromMe: true,
          type: 'text',
          body: 'Отлично, до встречи',
          timestamp: at(530),
          sender: me(null),
          status: 'sent',
        },
        {
          ...inGroup,
          waMessageId: '3A0000000000000RCT03',
          type: 'reaction',
          body: '❤️',
          timestamp: at(1020),
          sender: dima,
          media: { emoji: '❤️', targetWaMessageId: '3A0000000000000GRP03' },
        },
      ],
      changes: [{ kind: 'revoke', waMessageId: '3A0000000000000GRP02', chatWaId: GROUP, at: at(830) }],
      identities: [dimaPair, annaPair],
    });
  });

  it('turns useful group stubs into system messages and drops the rest', () => {
    const dimaNoName = { ...dima, name: null };
    expect(mapMessages(upsert('invented/upsert-group-stubs.json'), live)).toStrictEqual({
      messages: [
        {
          ...inGroup,
          waMessageId: '3712500441',
          type: 'system',
          body: '+79997654321 added +5511987654321, 301822114455667@lid',
          timestamp: at(600),
          sender: dimaNoName,
        },
        {
          ...inGroup,
          waMessageId: '3712500442',
          type: 'system',
          body: '+79997654321 changed the group name to “Поставщики 2026”',
          timestamp: at(601),
          sender: dimaNoName,
          chatName: 'Поставщики 2026',
        },
        {
          ...inGroup,
          waMessageId: '3712500443',
          type: 'system',
          body: '+79991234567 left',
          timestamp: at(602),
          sender: { waId: ANNA_LID, phoneNumber: null, name: null },
        },
        // 3712500444 (group icon changed) is dropped.
      ],
      changes: [],
      identities: [dimaPair],
    });
  });

  it('maps messages sent from the phone: the chat from the stanza’s recipient, the account as sender, a status folded in', () => {
    expect(mapMessages(upsert('upsert-from-phone.json'), live)).toStrictEqual({
      messages: [
        {
          ...plain,
          waMessageId: '3A0000000000000OUT01',
          chatWaId: '79991234567@c.us',
          chatAltWaId: ANNA_LID,
          fromMe: true,
          isGroup: false,
          chatName: null,
          type: 'text',
          body: 'Добрый день! Ваш заказ готов',
          timestamp: at(700),
          sender: me('Shop Support'),
          status: 'sent',
        },
        {
          ...plain,
          waMessageId: '3A0000000000000OUT02',
          chatWaId: '5511987654321@c.us',
          chatAltWaId: '95812004711234@lid',
          fromMe: true,
          isGroup: false,
          chatName: null,
          type: 'text',
          body: 'Olá Bruno, segue o catálogo',
          timestamp: at(701),
          sender: me('Shop Support'),
          status: 'sent',
        },
        {
          ...plain,
          waMessageId: '3A0000000000000OUT03',
          chatWaId: '4915112345678@c.us',
          fromMe: true,
          isGroup: false,
          chatName: null,
          type: 'document',
          body: null,
          // Sent at 702 and read at 703: Baileys folds the read receipt into the buffered message,
          // timestamp included, so the message carries the time it was read.
          timestamp: at(703),
          sender: me('Shop Support'),
          media: { mimetype: 'application/pdf', size: 51200, fileName: 'Katalog.pdf' },
          status: 'read',
        },
      ],
      changes: [],
      identities: [annaPair, { lid: '95812004711234@lid', phoneWaId: '5511987654321@c.us' }],
    });
  });

  it('without the own ids, a sent message keeps only its primary chat id and has no sender ids', () => {
    const { messages, identities } = mapMessages(upsert('upsert-from-phone.json'), { source: 'live' });
    const nobody = { waId: null, phoneNumber: null, name: 'Shop Support' };
    expect(messages.map((m) => [m.chatWaId, m.chatAltWaId, m.sender])).toStrictEqual([
      [ANNA_LID, null, nobody],
      ['95812004711234@lid', null, nobody],
      ['4915112345678@c.us', null, nobody],
    ]);
    expect(identities).toStrictEqual([]);
  });

  it('turns edits and revokes into changes of their target, and nothing else', () => {
    expect(mapMessages(upsert('upsert-edit-revoke.json'), live)).toStrictEqual({
      messages: [],
      changes: [
        {
          kind: 'edit',
          waMessageId: '3A8C1E5B7D9F0A2C4E61',
          chatWaId: '79991234567@c.us',
          body: 'Меню тут (обновлено): https://example.com/menu',
          editedAt: at(799),
        },
        {
          kind: 'edit',
          waMessageId: '3A0000000000000OUT03',
          chatWaId: '4915112345678@c.us',
          body: 'Katalog 2026 (korrigiert)',
          editedAt: at(810),
        },
        {
          kind: 'revoke',
          waMessageId: 'A5E3C1B9D7F2E4A6C8B0D2F4A6C8E0B2',
          chatWaId: '95812004711234@lid',
          at: at(820),
        },
      ],
      identities: [annaPair],
    });
  });

  it('reports a message with an edit folded in by the event buffer, plus the change; a folded revoke, whose key is the revoke’s own, produces nothing', () => {
    // Delivered while the device was offline: message + edit from Anna, message + deletion from
    // Bruno. Baileys folds each change into its buffered message and also reports the protocol
    // messages themselves, so the edit arrives twice (the same change) and the deletion once.
    const edit = {
      kind: 'edit',
      waMessageId: '3A0000000000000BUF01',
      chatWaId: '79991234567@c.us',
      body: 'Буду в 16:00, не в 15:00',
      editedAt: at(905),
    };
    expect(mapMessages(upsert('upsert-buffered-changes.json'), live)).toStrictEqual({
      messages: [
        {
          ...fromAnna,
          waMessageId: '3A0000000000000BUF01',
          type: 'text',
          body: 'Буду в 16:00, не в 15:00',
          timestamp: at(905),
        },
      ],
      changes: [
        edit,
        edit,
        {
          kind: 'revoke',
          waMessageId: 'A5E3C1B9D7F2E4A6C8B0D2F4A6C8BUF2',
          chatWaId: '95812004711234@lid',
          at: at(910),
        },
      ],
      identities: [annaPair],
    });
  });

  it('maps reactions, an empty reaction text being a removal (emoji null)', () => {
    expect(mapMessages(upsert('upsert-reactions.json'), live).messages).toStrictEqual([
      {
        ...fromAnna,
        waMessageId: '3A0000000000000RCT01',
        type: 'reaction',
        body: '👍',
        timestamp: at(1000),
        media: { emoji: '👍', targetWaMessageId: '3EB0D91FC53F8AE64F3DA8' },
      },
      {
        ...fromAnna,
        waMessageId: '3A0000000000000RCT02',
        type: 'reaction',
        body: null,
        timestamp: at(1010),
        media: { emoji: null, targetWaMessageId: '3EB0D91FC53F8AE64F3DA8' },
      },
    ]);
  });

  it('produces nothing for stories, newsletters, protocol and key messages, decryption stubs, poll votes, bots', () => {
    // Captured: history sync notification, app-state key share, ephemeral setting, undecryptable
    // message, poll vote. Hand-written: a story, a newsletter post, a sender-key-only group message, a bot.
    const raw = [...upsert('upsert-ignored.json'), ...upsert('invented/upsert-ignored.json')];
    expect(raw).toHaveLength(9);
    expect(mapMessages(raw, live)).toStrictEqual({ messages: [], changes: [], identities: [] });
  });

  it('maps unknown content with a null body, tapped buttons as text, missed calls as system', () => {
    expect(mapMessages(upsert('upsert-other.json'), live).messages).toStrictEqual([
      { ...fromAnna, waMessageId: '3A0000000000000POLL1', type: 'unknown', body: null, timestamp: at(1200) },
      {
        ...fromClara,
        waMessageId: 'AC2000000000000000000000000BTN01',
        type: 'text',
        body: 'Bestätigen',
        timestamp: at(1201),
        quotedWaMessageId: '3EB0AA11BB22CC33DD44EE',
      },
      {
        ...fromClara,
        waMessageId: 'B7C1D0E9F8A76B5C4D3E2F1A0B9C8D7E',
        type: 'system',
        body: 'Missed voice call',
        timestamp: at(1202),
        chatName: null,
        sender: { ...fromClara.sender, name: null },
      },
    ]);
  });

  it('maps a history batch: Long timestamps, hidden ids without alternates, statuses, a deleted message', () => {
    const history = payloads<BaileysEventMap['messaging-history.set']>('history-set.json').flatMap(
      (payload) => payload.messages,
    );
    const annaLidOnly = {
      ...plain,
      chatWaId: ANNA_LID,
      fromMe: false,
      isGroup: false,
      chatName: null,
      sender: { waId: ANNA_LID, phoneNumber: null, name: null },
    };
    const dimaLid = { waId: '263011849925710@lid', phoneNumber: null, name: null };
    expect(mapMessages(history, { ...live, source: 'history' })).toStrictEqual({
      messages: [
        {
          ...annaLidOnly,
          waMessageId: '3A0000000000000HIS01',
          type: 'text',
          body: 'Добрый вечер! Можно заказать на завтра?',
          timestamp: at(-86400),
          chatName: 'Анна',
          sender: { waId: ANNA_LID, phoneNumber: null, name: 'Анна' },
        },
        {
          ...annaLidOnly,
          waMessageId: '3EB0C0FFEE00112233AB',
          fromMe: true,
          type: 'text',
          body: 'Да, конечно',
          timestamp: at(-86300),
          sender: me(null),
          status: 'read',
        },
        {
          ...annaLidOnly,
          waMessageId: '3A0000000000000HIS03',
          type: 'voice',
          body: null,
          timestamp: at(-86100),
          media: { mimetype: 'audio/ogg; codecs=opus', size: 23001, duration: 9 },
        },
        {
          ...annaLidOnly,
          waMessageId: '3A0000000000000HIS04',
          type: 'unknown',
          body: null,
          timestamp: at(-86050),
        },
        {
          ...inGroup,
          waMessageId: '3A0000000000000HIS07',
          type: 'system',
          body: '263011849925710@lid created the group “Поставщики”',
          timestamp: at(-90000),
          sender: dimaLid,
          chatName: 'Поставщики',
        },
        // 3A0000000000000HIS08 (end-to-end encryption notice) is dropped.
        {
          ...inGroup,
          waMessageId: '3A0000000000000HIS05',
          type: 'text',
          body: 'Прайс на следующую неделю пришлю завтра',
          timestamp: at(-80000),
          sender: dimaLid,
        },
        {
          ...inGroup,
          waMessageId: '3EB0C0FFEE00112233CD',
          fromMe: true,
          type: 'text',
          body: 'Спасибо!',
          timestamp: at(-79900),
          sender: me(null),
          status: 'delivered',
        },
      ],
      changes: [{ kind: 'revoke', waMessageId: '3A0000000000000HIS04', chatWaId: ANNA_LID, at: at(-86050) }],
      identities: [],
    });
  });
});

describe('mapStatusUpdates', () => {
  it('keeps the furthest status per message and ignores updates that are edits or deletions', () => {
    // Statuses folded into a buffered message (3A0000000000000OUT03 read) are in the upsert instead.
    expect(
      mapStatusUpdates(payloads<BaileysEventMap['messages.update']>('messages-update.json').flat()),
    ).toStrictEqual([
      { waMessageId: '3A0000000000000OUT01', chatWaId: '79991234567@c.us', status: 'delivered' },
      { waMessageId: '3EB0D91FC53F8AE64F3DA8', chatWaId: '79991234567@c.us', status: 'played' },
    ]);
  });

  it('ignores pending, errors, stories and newsletters', () => {
    const updates = payloads<BaileysEventMap['messages.update']>('invented/messages-update.json').flat();
    expect(updates).toHaveLength(4);
    expect(mapStatusUpdates(updates)).toStrictEqual([]);
  });
});

describe('mapReceipts', () => {
  const receipts = payloads<BaileysEventMap['message-receipt.update']>('message-receipt-update.json').flat();

  it('reports, per group message, the furthest any participant reached', () => {
    expect(mapReceipts(receipts, live)).toStrictEqual([
      { waMessageId: '3EB0A1B2C3D4E5F6A7B8E0', chatWaId: GROUP, status: 'read' },
      { waMessageId: '3EB0A1B2C3D4E5F6A7B8E1', chatWaId: GROUP, status: 'delivered' },
      // Baileys files a group's `played` receipt as a read (`readTimestamp`).
      { waMessageId: '3EB0A1B2C3D4E5F6A7B8E2', chatWaId: GROUP, status: 'read' },
    ]);
  });

  it('cannot tell our own devices’ receipts apart without the own ids', () => {
    expect(mapReceipts(receipts).map((r) => r.waMessageId)).toContain('3EB0A1B2C3D4E5F6A7B8E3');
  });
});

describe('toContractChatId', () => {
  it.each([
    ['79991234567@s.whatsapp.net', '79991234567@c.us'],
    ['79991234567:12@s.whatsapp.net', '79991234567@c.us'],
    ['187425311260831:3@lid', '187425311260831@lid'],
    [GROUP, GROUP],
    ['status@broadcast', null],
    ['120363144038483540@newsletter', null],
    ['13135550002@bot', null],
    ['79991234567', null],
    [null, null],
  ])('%s → %s', (jid, expected) => {
    expect(toContractChatId(jid)).toBe(expected);
  });
});
