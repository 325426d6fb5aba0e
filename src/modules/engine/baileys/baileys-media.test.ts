import { randomBytes } from 'node:crypto';

import { aesDecryptGCM, encryptMediaRetryRequest, hkdf, proto, type WAMessage } from 'baileys';
import { describe, expect, it } from 'vitest';

import type { EngineMessage } from '../engine.js';
import { readMediaRef, withMediaRefs } from './baileys-media.js';

const mediaKey = randomBytes(32);
const fileSha256 = randomBytes(32);
const fileEncSha256 = randomBytes(32);
const thumbnail = randomBytes(48);

/** An image as Baileys hands it over: decoded from the wire, so a protobuf message object. */
const received = (): WAMessage => ({
  key: { remoteJid: '79991234567@s.whatsapp.net', fromMe: false, id: 'IMG1' },
  message: proto.Message.decode(
    proto.Message.encode({
      imageMessage: {
        url: 'https://mmg.whatsapp.net/v/t62.7118-24/1_2_n.enc?ccb=11-4&mms3=true',
        directPath: '/v/t62.7118-24/1_2_n.enc?ccb=11-4',
        mimetype: 'image/jpeg',
        caption: 'Size 42',
        mediaKey,
        fileSha256,
        fileEncSha256,
        jpegThumbnail: thumbnail,
        fileLength: 70_001,
        mediaKeyTimestamp: 1_790_000_000,
      },
    }).finish(),
  ),
});

const engineMessage: EngineMessage = {
  waMessageId: 'IMG1',
  chatWaId: '79991234567@c.us',
  fromMe: false,
  type: 'image',
  body: 'Size 42',
  timestamp: new Date(1_790_000_000_000),
  sender: { waId: '79991234567@c.us', phoneNumber: '79991234567', name: null },
  isGroup: false,
};

const refOf = (raw: WAMessage): string => withMediaRefs([engineMessage], [raw])[0]!.mediaRef!;

describe('a media reference', () => {
  it('gives back every binary field of a received message as bytes, equal to what arrived', () => {
    const image = readMediaRef(refOf(received())).message?.imageMessage;
    for (const [field, expected] of [
      ['mediaKey', mediaKey],
      ['fileSha256', fileSha256],
      ['fileEncSha256', fileEncSha256],
      ['jpegThumbnail', thumbnail],
    ] as const) {
      const value = image?.[field];
      expect(value, field).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(value!).equals(expected), field).toBe(true);
    }
    expect(Number(image?.fileLength)).toBe(70_001);
    expect(image?.directPath).toBe('/v/t62.7118-24/1_2_n.enc?ccb=11-4');
    expect(readMediaRef(refOf(received())).key).toEqual(received().key);
  });

  it('seals a re-upload request under the key the phone derives from the media key', () => {
    const { key, message } = readMediaRef(refOf(received()));
    const request = encryptMediaRetryRequest(
      key,
      message!.imageMessage!.mediaKey!,
      '79990000000@s.whatsapp.net',
    );
    const encrypt = (
      request.content as { tag: string; content: { tag: string; content: Uint8Array }[] }[]
    )[0]!;
    const [ciphertext, iv] = encrypt.content.map((part) => part.content);
    const phoneKey = hkdf(mediaKey, 32, { info: 'WhatsApp Media Retry Notification' });
    const plain = aesDecryptGCM(ciphertext!, phoneKey, iv!, Buffer.from('IMG1'));
    expect(proto.ServerErrorReceipt.decode(plain).stanzaId).toBe('IMG1');
  });

  it('reads references kept with the bytes in other JSON forms', () => {
    const ref = (value: unknown) =>
      JSON.stringify({
        key: { id: 'IMG1' },
        message: { imageMessage: { mediaKey: value, directPath: '/p' } },
      });
    const forms = [
      mediaKey.toString('base64'),
      mediaKey.toJSON(),
      { type: 'Buffer', data: mediaKey.toString('base64') },
    ];
    for (const form of forms) {
      const read = readMediaRef(ref(form)).message?.imageMessage?.mediaKey;
      expect(read).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(read!).equals(mediaKey)).toBe(true);
    }
  });
});
