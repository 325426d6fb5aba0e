import { randomBytes } from 'node:crypto';

import { beforeAll, describe, expect, it } from 'vitest';

import { call, type GivenCompany, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected, type TestSocket } from '../support/socket-client.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import type { Account } from '../wa-server/accounts.js';
import type { WaServer } from '../wa-server/server.js';
import { about, useStandin } from './support.js';

/**
 * Media on the real engine: a contact's image is encrypted and hosted by the stand-in's CDN,
 * Baileys downloads and decrypts it through the product's media endpoint, and media the CDN no
 * longer has is uploaded again by the phone when the product asks for it.
 */

const standin = useStandin();
const app = useTestApp(standin.env, { listen: true, beforeClose: closeAllSockets });
let server: WaServer;
beforeAll(() => {
  server = standin.server();
});

/** A PNG signature and random bytes: distinct per call, large enough for several AES blocks. */
const pictureBytes = () => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(70_001)]);

describe('media through the real engine', () => {
  let company: GivenCompany;
  let admin: TestSocket;
  let sessionId: string;
  let shop: Account;
  let ann: Account;

  const download = (messageId: string) =>
    app.http.inject({
      method: 'GET',
      url: `/api/whatsapp/sessions/${sessionId}/messages/${messageId}/media`,
      headers: { authorization: `Bearer ${company.token}` },
    });

  /** Ann sends a picture; resolves with the product's message and the stand-in's hosted file. */
  const annSendsPicture = async (caption: string) => {
    const file = pictureBytes();
    const { id, media } = await server.media.deliverImage(ann, shop, file, {
      mimetype: 'image/png',
      caption,
      via: 'lid',
    });
    const heard = await admin.next(
      'whatsapp:message',
      (p) => about(sessionId)(p) && p.message?.waMessageId === id,
      20_000,
    );
    return { file, media, message: heard.message };
  };

  beforeAll(async () => {
    shop = server.addAccount({ pn: '15550101000', name: 'Photo Shop' });
    ann = server.addAccount({ pn: '15550102000', name: 'Ann' });
    company = await givenCompany(app);
    admin = await connected(app, company.token);
    const created = await call(app, 'POST', '/api/whatsapp/sessions', {
      token: company.token,
      body: { name: 'Photos' },
    });
    sessionId = created.body.data.id;
    const qr = await admin.next('whatsapp:qr', about(sessionId), 15_000);
    await server.scan(qr.qr, shop.pn);
    await waitFor(
      'the session to be ready',
      async () => {
        const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}`, { token: company.token });
        return res.body.data.status === 'ready';
      },
      20_000,
    );
  });

  it('serves a contact image with its caption: the exact bytes and type, then from its own copy', async () => {
    const { file, media, message } = await annSendsPicture('The blue one');
    expect(message).toMatchObject({
      type: 'image',
      body: 'The blue one',
      media: { mimetype: 'image/png', size: file.length },
    });

    const first = await download(message.id);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('image/png');
    expect(first.rawPayload.equals(file)).toBe(true);
    expect(server.media.requests.filter((r) => media.directPath.startsWith(r.path))).toEqual([
      { path: expect.any(String), status: 200 },
    ]);

    // Gone from the CDN: the product serves the copy it kept and asks WhatsApp nothing.
    server.media.expire(media);
    const requestsBefore = server.media.requests.length;
    const again = await download(message.id);
    expect(again.statusCode).toBe(200);
    expect(again.rawPayload.equals(file)).toBe(true);
    expect(server.media.requests).toHaveLength(requestsBefore);
    expect(media.reuploads).toBe(0);
  });

  it('asks the phone to upload media that expired before the first download, and serves it', async () => {
    const { file, media, message } = await annSendsPicture('Before it expires');
    const expiredPath = media.directPath.split('?')[0];
    server.media.expire(media);

    const res = await download(message.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.equals(file)).toBe(true);

    // One refused fetch, one request to the phone sealed under the message's own media key, one
    // fetch from the new path.
    expect(server.media.reuploadRequests.filter((r) => r.messageId === message.waMessageId)).toEqual([
      { messageId: message.waMessageId, sealedWithMediaKey: true },
    ]);
    expect(media.reuploads).toBe(1);
    expect(server.media.requests.filter((r) => r.path === expiredPath)).toEqual([
      { path: expiredPath, status: 410 },
    ]);
    expect(server.media.requests.at(-1)).toEqual({ path: media.directPath.split('?')[0], status: 200 });
  });
});
