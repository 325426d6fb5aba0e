import { randomBytes } from 'node:crypto';

import { Boom } from '@hapi/boom';
import { makeEventBuffer, type UserFacingSocketConfig, type WAMessage } from 'baileys';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { givenSessionRow } from '../../../../test/support/rows.js';
import { openTestDatabase } from '../../../../test/support/test-app.js';
import { waitFor } from '../../../../test/support/wait.js';
import type { Database } from '../../../db/client.js';
import { createCipher } from '../../../shared/cipher.js';
import { createCredentialStore } from '../credential-store.js';
import { EngineError, type EngineEvent } from '../engine.js';
import { deserialize } from './baileys-auth-store.js';
import {
  classifyClose,
  createBaileysEngineFactory,
  type SocketLike,
  toBaileysJid,
} from './baileys-engine.js';

const logger = pino({ level: 'silent' });
let database: Database;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterAll(async () => {
  await drop();
});

/** A socket that never touches the network: Baileys' own event buffer, and recorded calls. */
function fakeSockets() {
  const made: { config: UserFacingSocketConfig; socket: SocketLike & { calls: unknown[][] } }[] = [];
  const factory = (config: UserFacingSocketConfig) => {
    const calls: unknown[][] = [];
    const socket = {
      ev: makeEventBuffer(logger),
      user: undefined as SocketLike['user'],
      calls,
      end: (error: Error | undefined) => {
        calls.push(['end', error]);
      },
      logout: () => {
        calls.push(['logout']);
        return Promise.resolve();
      },
      sendMessage: (jid: string, content: unknown, options: unknown) => {
        calls.push(['sendMessage', jid, content, options]);
        return Promise.resolve(undefined);
      },
      readMessages: (keys: unknown) => {
        calls.push(['readMessages', keys]);
        return Promise.resolve();
      },
      requestPairingCode: (phone: string) => {
        calls.push(['requestPairingCode', phone]);
        return Promise.resolve('ABCD1234');
      },
      onWhatsApp: (...numbers: string[]) =>
        Promise.resolve(
          numbers
            .filter((n) => !n.endsWith('0000'))
            .map((n) => ({ jid: `${n}@s.whatsapp.net`, exists: true })),
        ),
    } as unknown as SocketLike & { calls: unknown[][] };
    made.push({ config, socket });
    return socket;
  };
  return { factory, made };
}

async function givenEngine() {
  const session = await givenSessionRow(database, 'baileys');
  const credentials = createCredentialStore(database.db, createCipher(randomBytes(32)), session.id);
  const events: EngineEvent[] = [];
  const sockets = fakeSockets();
  const engine = createBaileysEngineFactory({ logger, socketFactory: sockets.factory })({
    sessionId: session.id,
    companyId: session.companyId,
    credentials,
    emit: (event) => events.push(event),
    emitAndWait: (event) => Promise.resolve(events.push(event) > 0),
    sentText: (waMessageId) => Promise.resolve(waMessageId === 'OURS1' ? 'the text we sent' : null),
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
  return { engine, events, sockets, credentials, settle };
}

const closeWith = (statusCode: number, message = 'closed') => ({
  connection: 'close' as const,
  lastDisconnect: { error: new Boom(message, { statusCode }), date: new Date() },
});

describe('classifyClose', () => {
  it.each([
    [515, true, 'restart'],
    [401, true, 'logged_out'],
    [440, true, 'permanent'],
    [403, true, 'permanent'],
    [411, true, 'permanent'],
    [405, true, 'permanent'],
    [428, true, 'retry'],
    [408, true, 'retry'],
    [500, true, 'retry'],
    [503, true, 'retry'],
  ])('code %i → %s', (code, paired, kind) => {
    expect(classifyClose(new Boom('x', { statusCode: code }), paired).kind).toBe(kind);
  });

  it('treats an exhausted QR as permanent only while unpaired, and unknown errors as retryable', () => {
    expect(classifyClose(new Boom('QR refs attempts ended', { statusCode: 408 }), false).kind).toBe(
      'permanent',
    );
    expect(classifyClose(new Boom('QR refs attempts ended', { statusCode: 408 }), true).kind).toBe('retry');
    expect(classifyClose(new Error('getaddrinfo ENOTFOUND web.whatsapp.com'), true).kind).toBe('retry');
    expect(classifyClose(undefined, false).kind).toBe('retry');
  });
});

describe('toBaileysJid', () => {
  it('turns contract ids into Baileys jids', () => {
    expect(toBaileysJid('79991234567@c.us')).toBe('79991234567@s.whatsapp.net');
    expect(toBaileysJid('79991234567')).toBe('79991234567@s.whatsapp.net');
    expect(toBaileysJid('120363025246125486@g.us')).toBe('120363025246125486@g.us');
    expect(() => toBaileysJid('status@broadcast')).toThrow(EngineError);
  });
});

describe('Baileys engine', () => {
  it('reports QR, connecting and ready, with the account from the socket', async () => {
    const { engine, events, sockets, settle } = await givenEngine();
    await engine.start();
    const { socket, config } = sockets.made[0]!;
    expect(config).toMatchObject({ markOnlineOnConnect: false, syncFullHistory: false });
    socket.ev.emit('connection.update', { connection: 'connecting' });
    socket.ev.emit('connection.update', { qr: '2@abc,def,ghi' });
    socket.user = { id: '79990001122:12@s.whatsapp.net', lid: '123456789012345:12@lid', name: 'Acme Sales' };
    socket.ev.emit('connection.update', { connection: 'open' });
    await settle();
    expect(events.map((e) => e.type)).toEqual(['connecting', 'qr', 'ready']);
    expect(events[1]).toMatchObject({ type: 'qr', qr: '2@abc,def,ghi' });
    expect(events[2]).toEqual({ type: 'ready', phoneNumber: '79990001122', displayName: 'Acme Sales' });
  });

  it("gives a socket's first QR 60 s and each later one 20 s, as Baileys shows them", async () => {
    const { engine, events, sockets, settle } = await givenEngine();
    await engine.start();
    const { socket } = sockets.made[0]!;
    socket.ev.emit('connection.update', { qr: 'first' });
    await settle();
    socket.ev.emit('connection.update', { qr: 'second' });
    await settle();
    const lifetimes = events
      .filter((e) => e.type === 'qr')
      .map((e) => Math.round((e.expiresAt.getTime() - Date.now()) / 1000));
    expect(lifetimes[0]).toBeGreaterThanOrEqual(58);
    expect(lifetimes[1]).toBeLessThanOrEqual(20);
    expect(lifetimes[1]).toBeGreaterThanOrEqual(18);
  });

  it('makes a new socket at once after the pairing restart (515), without reporting a disconnect', async () => {
    const { engine, events, sockets, settle } = await givenEngine();
    await engine.start();
    sockets.made[0]!.socket.ev.emit('connection.update', closeWith(515, 'restart required'));
    await settle();
    expect(sockets.made).toHaveLength(2);
    expect(events.filter((e) => e.type === 'disconnected')).toEqual([]);
  });

  it.each([
    [401, { loggedOut: true, permanent: false }],
    [440, { loggedOut: false, permanent: true }],
    [428, { loggedOut: false, permanent: false }],
  ])('reports a close with code %i as %o', async (code, expected) => {
    const { engine, events, sockets, settle } = await givenEngine();
    await engine.start();
    sockets.made[0]!.socket.ev.emit('connection.update', closeWith(code));
    await settle();
    expect(events.at(-1)).toMatchObject({ type: 'disconnected', ...expected });
    expect(sockets.made).toHaveLength(1);
  });

  it('keeps credentials Baileys updates, and reloads them on the next socket', async () => {
    const { engine, sockets, credentials } = await givenEngine();
    await engine.start();
    const { config, socket } = sockets.made[0]!;
    config.auth.creds.me = { id: '79990001122:1@s.whatsapp.net', name: 'Acme' };
    socket.ev.emit('creds.update', { me: config.auth.creds.me });
    await waitFor('the credentials to be stored', () => credentials.exists());
    await engine.stop();
    await engine.start();
    expect(sockets.made[1]!.config.auth.creds.me).toEqual({
      id: '79990001122:1@s.whatsapp.net',
      name: 'Acme',
    });
  });

  it('hands incoming messages, history with progress, statuses and hidden-id mappings to the service', async () => {
    const { engine, events, sockets, settle } = await givenEngine();
    await engine.start();
    const { socket } = sockets.made[0]!;
    const incoming: WAMessage = {
      key: { remoteJid: '79991234567@s.whatsapp.net', fromMe: false, id: 'LIVE1' },
      message: { conversation: 'hello' },
      messageTimestamp: 1_790_000_000,
      pushName: 'Ivan',
    };
    socket.ev.emit('messages.upsert', { messages: [incoming], type: 'notify' });
    socket.ev.emit('messaging-history.set', {
      chats: [],
      contacts: [],
      messages: [{ ...incoming, key: { ...incoming.key, id: 'HIST1' } }],
      lidPnMappings: [{ lid: '123456789012345@lid', pn: '79991234567@s.whatsapp.net' }],
      progress: 40,
      isLatest: true,
    });
    socket.ev.emit('messages.update', [
      { key: { remoteJid: '79991234567@s.whatsapp.net', id: 'SENT1', fromMe: true }, update: { status: 4 } },
    ]);
    await settle();
    expect(events).toEqual([
      {
        type: 'messages',
        source: 'live',
        messages: [
          expect.objectContaining({ waMessageId: 'LIVE1', body: 'hello', chatWaId: '79991234567@c.us' }),
        ],
      },
      { type: 'identity', lid: '123456789012345@lid', phoneWaId: '79991234567@c.us' },
      { type: 'messages', source: 'history', messages: [expect.objectContaining({ waMessageId: 'HIST1' })] },
      { type: 'history_progress', progress: 40, chats: 0, messages: 1 },
      {
        type: 'message_status',
        updates: [{ waMessageId: 'SENT1', chatWaId: '79991234567@c.us', status: 'read' }],
      },
    ]);
  });

  it('gives a hidden-id chat its phone id from the mapping Baileys persisted', async () => {
    const { engine, events, sockets, credentials } = await givenEngine();
    await credentials.set({ 'lid-mapping:123456789012345_reverse': JSON.stringify('79991234567') });
    await engine.start();
    sockets.made[0]!.socket.ev.emit('messages.upsert', {
      type: 'notify',
      messages: [
        {
          key: { remoteJid: '123456789012345@lid', fromMe: false, id: 'LID1' },
          message: { conversation: 'hi' },
          messageTimestamp: 1_790_000_000,
        },
      ],
    });
    // The mapping is read from the database first, which can take longer than a settle.
    await waitFor('the message', () => events.length > 0);
    expect(events).toEqual([
      {
        type: 'messages',
        source: 'live',
        messages: [
          expect.objectContaining({ chatWaId: '123456789012345@lid', chatAltWaId: '79991234567@c.us' }),
        ],
      },
    ]);
  });

  it('gives a group sender known only by hidden id its number from the same mapping', async () => {
    const { engine, events, sockets, credentials } = await givenEngine();
    await credentials.set({ 'lid-mapping:123456789012345_reverse': JSON.stringify('79991234567') });
    await engine.start();
    sockets.made[0]!.socket.ev.emit('messages.upsert', {
      type: 'notify',
      messages: [
        {
          key: {
            remoteJid: '120363000000000001@g.us',
            participant: '123456789012345@lid',
            fromMe: false,
            id: 'GRP1',
          },
          message: { conversation: 'hi all' },
          messageTimestamp: 1_790_000_000,
          pushName: 'Ann',
        },
      ],
    });
    await waitFor('the message', () => events.length > 0);
    expect(events).toEqual([
      {
        type: 'messages',
        source: 'live',
        messages: [
          expect.objectContaining({
            chatWaId: '120363000000000001@g.us',
            chatAltWaId: null,
            sender: { waId: '79991234567@c.us', phoneNumber: '79991234567', name: 'Ann' },
          }),
        ],
      },
    ]);
  });

  it('keeps what a later media download needs, for media messages only', async () => {
    const { engine, events, sockets } = await givenEngine();
    await engine.start();
    const image: WAMessage = {
      key: { remoteJid: '79991234567@s.whatsapp.net', fromMe: false, id: 'IMG1' },
      message: {
        imageMessage: {
          mimetype: 'image/jpeg',
          mediaKey: Buffer.from('0123456789abcdef0123456789abcdef'),
          directPath: '/v/t62.7118-24/abc',
          fileLength: 1234,
        },
      },
      messageTimestamp: 1_790_000_000,
    };
    const text: WAMessage = { ...image, key: { ...image.key, id: 'TXT1' }, message: { conversation: 'hi' } };
    sockets.made[0]!.socket.ev.emit('messages.upsert', { type: 'notify', messages: [image, text] });
    await waitFor('the message', () => events.length > 0);
    const [event] = events;
    expect(event?.type).toBe('messages');
    const [withMedia, withoutMedia] = (event as Extract<EngineEvent, { type: 'messages' }>).messages;
    expect(withoutMedia?.mediaRef).toBeUndefined();
    const ref = deserialize<WAMessage>(withMedia!.mediaRef!);
    expect(ref.key.id).toBe('IMG1');
    expect(Buffer.isBuffer(ref.message?.imageMessage?.mediaKey)).toBe(true);
    expect(ref.message?.imageMessage?.directPath).toBe('/v/t62.7118-24/abc');
  });

  it('rebuilds a message it sent when a recipient asks for it again', async () => {
    const { engine, sockets } = await givenEngine();
    await engine.start();
    const { getMessage } = sockets.made[0]!.config;
    expect(await getMessage!({ remoteJid: '79991234567@s.whatsapp.net', id: 'OURS1', fromMe: true })).toEqual(
      {
        conversation: 'the text we sent',
      },
    );
    expect(
      await getMessage!({ remoteJid: '79991234567@s.whatsapp.net', id: 'OTHER', fromMe: true }),
    ).toBeUndefined();
  });

  it('asks for a pairing code on the running socket', async () => {
    const { engine, events, sockets } = await givenEngine();
    await engine.start();
    expect(await engine.requestPairingCode('79991234567')).toBe('ABCD1234');
    expect(sockets.made[0]!.socket.calls).toContainEqual(['requestPairingCode', '79991234567']);
    expect(events).toContainEqual({ type: 'pairing_code', code: 'ABCD1234' });
  });

  it('reports a pairing code the closing socket could not ask for as an engine error', async () => {
    const { engine, sockets } = await givenEngine();
    await engine.start();
    // Baileys' answer when the socket closed before its close was reported.
    sockets.made[0]!.socket.requestPairingCode = () =>
      Promise.reject(new Boom('Connection Closed', { statusCode: 428 }));
    const failure = engine.requestPairingCode('79991234567');
    await expect(failure).rejects.toBeInstanceOf(EngineError);
    await expect(failure).rejects.toMatchObject({ transient: true });
  });

  it('forgets a pairing code no phone entered before the socket closed: the next socket registers again', async () => {
    const { engine, events, sockets, settle } = await givenEngine();
    await engine.start();
    const { config, socket } = sockets.made[0]!;
    // What Baileys' requestPairingCode writes before any phone entered the code.
    config.auth.creds.pairingCode = 'ABCD1234';
    config.auth.creds.me = { id: '79991234567@s.whatsapp.net', name: '~' };
    socket.ev.emit('creds.update', { pairingCode: 'ABCD1234', me: config.auth.creds.me });
    socket.ev.emit('connection.update', closeWith(428, 'Connection Terminated'));
    await settle();
    expect(events.at(-1)).toMatchObject({ type: 'disconnected', loggedOut: false, permanent: false });
    await engine.start();
    // Without `me` Baileys registers (a QR, or a new code) instead of logging in as a device never linked.
    expect(sockets.made[1]!.config.auth.creds.me).toBeUndefined();
    expect(sockets.made[1]!.config.auth.creds.pairingCode).toBeUndefined();
  });

  it('keeps the number of a device linked by pairing code', async () => {
    const { engine, sockets } = await givenEngine();
    await engine.start();
    const { creds } = sockets.made[0]!.config.auth;
    creds.pairingCode = 'ABCD1234';
    creds.me = { id: '79991234567:3@s.whatsapp.net', lid: '100000000000001:3@lid' };
    await engine.stop();
    await engine.start();
    expect(sockets.made[1]!.config.auth.creds.me?.id).toBe('79991234567:3@s.whatsapp.net');
  });

  it('sends with our message id to the Baileys jid, and refuses while not connected', async () => {
    const { engine, sockets, settle } = await givenEngine();
    await engine.start();
    const { socket } = sockets.made[0]!;
    await expect(
      engine.sendText({ to: '79991234567@c.us', text: 'hi', waMessageId: '3EB0AAA' }),
    ).rejects.toMatchObject({
      transient: true,
    });
    socket.user = { id: '79990001122:12@s.whatsapp.net' };
    socket.ev.emit('connection.update', { connection: 'open' });
    await settle();
    await engine.sendText({
      to: '79991234567@c.us',
      text: 'hi',
      waMessageId: '3EB0AAA',
      quoted: { waMessageId: 'Q1', fromMe: false, body: 'question', senderWaId: '79991234567@c.us' },
    });
    expect(socket.calls.find((c) => c[0] === 'sendMessage')).toEqual([
      'sendMessage',
      '79991234567@s.whatsapp.net',
      { text: 'hi' },
      {
        messageId: '3EB0AAA',
        quoted: {
          key: { remoteJid: '79991234567@s.whatsapp.net', fromMe: false, id: 'Q1' },
          message: { conversation: 'question' },
        },
      },
    ]);
    expect(await engine.isOnWhatsApp('79991234567')).toBe(true);
    expect(await engine.isOnWhatsApp('79990000000')).toBe(false);
    await engine.markRead('79991234567@c.us', [
      { waMessageId: 'IN1', senderWaId: '79991234567@c.us' },
      { waMessageId: 'IN2', senderWaId: '79991234567@c.us' },
    ]);
    expect(socket.calls.find((c) => c[0] === 'readMessages')).toEqual([
      'readMessages',
      [
        { remoteJid: '79991234567@s.whatsapp.net', id: 'IN1', fromMe: false },
        { remoteJid: '79991234567@s.whatsapp.net', id: 'IN2', fromMe: false },
      ],
    ]);
  });

  it('names the sender of group messages it reads or quotes, by hidden id where it knows one', async () => {
    const { engine, sockets, credentials, settle } = await givenEngine();
    await credentials.set({ 'lid-mapping:79992223344': JSON.stringify('123456789012345') });
    await engine.start();
    const { socket } = sockets.made[0]!;
    socket.user = { id: '79990001122:12@s.whatsapp.net' };
    socket.ev.emit('connection.update', { connection: 'open' });
    await settle();
    const group = '120363000000000001@g.us';

    await engine.markRead(group, [
      { waMessageId: 'G1', senderWaId: '79992223344@c.us' },
      { waMessageId: 'G2', senderWaId: '79995556677@c.us' },
      { waMessageId: 'G3', senderWaId: '555000111222333@lid' },
      { waMessageId: 'G4', senderWaId: null },
    ]);
    expect(socket.calls.find((c) => c[0] === 'readMessages')).toEqual([
      'readMessages',
      [
        { remoteJid: group, id: 'G1', fromMe: false, participant: '123456789012345@lid' },
        { remoteJid: group, id: 'G2', fromMe: false, participant: '79995556677@s.whatsapp.net' },
        { remoteJid: group, id: 'G3', fromMe: false, participant: '555000111222333@lid' },
        { remoteJid: group, id: 'G4', fromMe: false },
      ],
    ]);

    await engine.sendText({
      to: group,
      text: 'agreed',
      waMessageId: '3EB0BBB',
      quoted: { waMessageId: 'G1', fromMe: false, body: 'shall we?', senderWaId: '79992223344@c.us' },
    });
    expect(socket.calls.find((c) => c[0] === 'sendMessage')).toEqual([
      'sendMessage',
      group,
      { text: 'agreed' },
      {
        messageId: '3EB0BBB',
        quoted: {
          key: { remoteJid: group, fromMe: false, id: 'G1', participant: '123456789012345@lid' },
          message: { conversation: 'shall we?' },
        },
      },
    ]);
  });

  it('logs out: the socket unlinks and the stored credentials are gone', async () => {
    const { engine, sockets, credentials } = await givenEngine();
    await engine.start();
    sockets.made[0]!.socket.ev.emit('creds.update', {});
    await waitFor('the credentials to be stored', () => credentials.exists());
    await engine.logout();
    expect(sockets.made[0]!.socket.calls).toContainEqual(['logout']);
    expect(await credentials.exists()).toBe(false);
  });
});
