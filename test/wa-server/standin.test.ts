import { makeWASocket, type WAMessage, type WASocket } from 'baileys';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../support/wait.js';
import { memoryAuth } from './memory-auth.js';
import { WaServer } from './server.js';

describe('the WhatsApp server stand-in, with bare Baileys', () => {
  let server: WaServer;
  let sock: WASocket;
  const auth = memoryAuth();
  const upserts: WAMessage[] = [];
  const updates: { id: string | null | undefined; status: number | null | undefined }[] = [];
  const qrs: string[] = [];
  let opened = 0;

  const connect = () => {
    sock = makeWASocket({
      auth,
      waWebSocketUrl: server.url,
      logger: pino({ level: process.env.WA_TEST_LOG ?? 'silent' }),
      markOnlineOnConnect: false,
    });
    sock.ev.on('creds.update', (update) => Object.assign(auth.creds, update));
    sock.ev.on('messages.upsert', ({ messages }) => upserts.push(...messages));
    sock.ev.on('messages.update', (list) =>
      updates.push(...list.map(({ key, update }) => ({ id: key.id, status: update.status }))),
    );
    sock.ev.on('connection.update', (update) => {
      if (update.qr) {
        qrs.push(update.qr);
      }
      if (update.connection === 'open') {
        opened++;
      }
      if (update.connection === 'close') {
        const code = (update.lastDisconnect?.error as { output?: { statusCode?: number } })?.output
          ?.statusCode;
        if (code === 515) {
          connect();
        }
      }
    });
  };

  beforeAll(async () => {
    server = await WaServer.start();
  });
  afterAll(async () => {
    await sock?.end(undefined);
    await server?.close();
  });

  it('links by QR and opens', async () => {
    const phone = server.addAccount({ pn: '15550000001', name: 'Shop' });
    connect();
    await waitFor('a QR', () => qrs.length > 0);
    await server.scan(qrs[0]!, phone.pn);
    await waitFor('the connection to open', () => opened === 1, 15_000);
    expect(auth.creds.me?.id).toMatch(/^15550000001:1@s\.whatsapp\.net$/);
  });

  it('delivers a contact message that Baileys decrypts', async () => {
    const contact = server.addAccount({ pn: '15550000002', name: 'Ann' });
    await waitFor('the prekey upload', () => (server.companionOf('15550000001')?.preKeys.size ?? 0) > 0);
    const id = await server.deliver(contact, server.account('15550000001'), { conversation: 'hello there' });
    await waitFor('the message upsert', () => upserts.some((m) => m.key.id === id), 15_000);
    const got = upserts.find((m) => m.key.id === id)!;
    expect(got.message?.conversation).toBe('hello there');
    await waitFor('the receipt', () => server.receipts.some((r) => r.id === id));
  });

  it('decrypts what Baileys sends', async () => {
    const sent = await sock.sendMessage('15550000002@s.whatsapp.net', { text: 'hi back' });
    await waitFor('the decrypted copy', () =>
      server.sent.some((s) => s.id === sent?.key.id && s.recipient === '15550000002:0'),
    );
    const copy = server.sent.find((s) => s.id === sent?.key.id && s.recipient === '15550000002:0')!;
    expect(copy.message.conversation ?? copy.message.extendedTextMessage?.text).toBe('hi back');

    await new Promise((resolve) => setTimeout(resolve, 500));
    server.receipt(server.account('15550000002'), server.account('15550000001'), [sent!.key.id!]);
    await waitFor('the delivery update', () => updates.some((u) => u.id === sent?.key.id && u.status === 3));
  });
});
