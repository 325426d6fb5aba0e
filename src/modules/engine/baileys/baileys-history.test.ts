import type { Chat, Contact } from 'baileys';
import { describe, expect, it } from 'vitest';

import type { EngineMessage } from '../engine.js';
import { createHistoryProgress, createPushNames, mapContacts, mapHistoryChats } from './baileys-history.js';

describe('history sync chats and people', () => {
  it('maps the phone’s chats: saved names, subjects, unread counts, archive and pin, both ids', () => {
    const chats = [
      {
        id: '79001110001@s.whatsapp.net',
        displayName: 'Ann Smith',
        name: 'ann',
        unreadCount: 2,
        archived: true,
        pinned: 1_772_000_000,
        lidJid: '500000000001@lid',
        conversationTimestamp: 1_772_000_100,
        messages: [{ message: { key: {}, messageTimestamp: 1_772_000_200 } }],
      },
      { id: '120363000000000009@g.us', name: 'Weekend team', displayName: 'ignored', unreadCount: 0 },
      { id: '500000000002@lid', pnJid: '79001110002@s.whatsapp.net', markedAsUnread: true, unreadCount: 0 },
      { id: '79001110003@s.whatsapp.net' },
      { id: 'status@broadcast', unreadCount: 3 },
    ] as unknown as Chat[];
    expect(mapHistoryChats(chats)).toEqual([
      {
        chatWaId: '79001110001@c.us',
        chatAltWaId: '500000000001@lid',
        isGroup: false,
        name: 'Ann Smith',
        unreadCount: 2,
        archived: true,
        pinned: true,
        asOf: new Date(1_772_000_200_000),
      },
      {
        chatWaId: '120363000000000009@g.us',
        chatAltWaId: null,
        isGroup: true,
        name: 'Weekend team',
        unreadCount: 0,
        archived: null,
        pinned: null,
        asOf: null,
      },
      {
        chatWaId: '500000000002@lid',
        chatAltWaId: '79001110002@c.us',
        isGroup: false,
        name: null,
        unreadCount: 1,
        archived: null,
        pinned: null,
        asOf: null,
      },
    ]);
  });

  it('maps people with both ids and their names, and leaves groups out', () => {
    const contacts = [
      { id: '79001110001@s.whatsapp.net', name: 'Ann Smith', lid: '500000000001@lid' },
      { id: '500000000004@lid', notify: 'Danny', phoneNumber: '79001110004@s.whatsapp.net' },
      { id: '79001110005@s.whatsapp.net', verifiedName: 'Shop Ltd' },
      { id: '120363000000000009@g.us', name: 'Weekend team' },
    ] as Contact[];
    expect(mapContacts(contacts)).toEqual([
      { waId: '79001110001@c.us', altWaId: '500000000001@lid', name: 'Ann Smith', pushName: null },
      { waId: '500000000004@lid', altWaId: '79001110004@c.us', name: null, pushName: 'Danny' },
      { waId: '79001110005@c.us', altWaId: null, name: null, pushName: 'Shop Ltd' },
    ]);
  });

  it('gives history messages without a sender name the push name learned for either id', () => {
    const names = createPushNames();
    names.learn([{ waId: '500000000004@lid', altWaId: '79001110004@c.us', pushName: 'Danny' }]);
    const message = (waId: string, fromMe = false, name: string | null = null) =>
      ({ fromMe, sender: { waId, phoneNumber: null, name } }) as EngineMessage;
    expect(
      names
        .fill([
          message('79001110004@c.us'),
          message('500000000004@lid', false, 'Dan'),
          message('79001110004@c.us', true),
          message('79001110009@c.us'),
        ])
        .map((m) => m.sender.name),
    ).toEqual(['Danny', 'Dan', null, null]);
  });
});

describe('history progress', () => {
  it('only moves forward: a chunk without progress keeps the last value', () => {
    const progress = createHistoryProgress();
    expect([
      progress.of({ progress: 20, isLatest: true }),
      progress.of({ progress: undefined, isLatest: false }),
      progress.of({ progress: null }),
      progress.of({ progress: 10 }),
      progress.of({ progress: 60 }),
      progress.of({ progress: 140 }),
      progress.of({}),
    ]).toEqual([20, 20, 20, 20, 60, 100, 100]);
    expect(progress.finish()).toBeNull();
  });

  it('ends at 100 when WhatsApp stops sending, and a new sync starts from 0 after a finished one', () => {
    const progress = createHistoryProgress();
    expect(progress.of({ isLatest: true })).toBe(0);
    expect(progress.of({ progress: 35 })).toBe(35);
    expect(progress.finish()).toBe(100);
    expect(progress.finish()).toBeNull();
    expect(progress.of({ progress: 50 })).toBe(100);
    expect(progress.of({ progress: 5, isLatest: true })).toBe(5);
  });
});
