import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  aesDecryptGCM,
  aesEncryptGCM,
  type BinaryNode,
  DEF_MEDIA_HOST,
  getMediaKeys,
  hkdf,
  type MediaType,
  proto,
} from 'baileys';

import { type Account, pnJid } from './accounts.js';
import { bytes, child, node, unixSeconds } from './nodes.js';
import type { ReceiptFromClient, WaServer } from './server.js';

/**
 * WhatsApp's media CDN, played by a local HTTP server: files encrypted the way a phone uploads
 * them (AES-256-CBC and a truncated HMAC under keys expanded from a random `mediaKey`), served
 * by path, expired on demand (410 Gone), and uploaded again when a linked device asks the phone
 * for it (`<receipt type="server-error">` → `<notification type="mediaretry">`).
 *
 * Where Baileys downloads from: with a `directPath` the URL is `https://<host of url><directPath>`,
 * and after a re-upload `https://<media host><new directPath>`, the media host being
 * `mmg.whatsapp.net` unless an upload fetched a `media_conn` first (downloads never do). Both are
 * https on WhatsApp's host whatever the message says, so the stand-in hosts media under
 * WhatsApp's own URLs and routes that origin to its local server in the process that runs the
 * client, as `trust.ts` does for the certificate root (test code only; a client in another
 * process would need the same routing by preload).
 */

/** A file on the stand-in's CDN, with what a media message carries to find and decrypt it. */
export interface HostedMedia {
  file: Buffer;
  mimetype: string;
  mediaType: MediaType;
  mediaKey: Buffer;
  fileSha256: Buffer;
  fileEncSha256: Buffer;
  /** What the CDN serves: the encrypted file and its MAC. */
  encrypted: Buffer;
  /** The path it is served at now (a re-upload moves it). */
  directPath: string;
  url: string;
  /** How many times a linked device asked the phone to upload it again. */
  reuploads: number;
}

export interface MediaRequest {
  path: string;
  status: number;
}

/** A linked device asking the phone to upload a message's media again. */
export interface ReuploadRequest {
  messageId: string;
  /** Whether the request was sealed under the key derived from the message's media key. */
  sealedWithMediaKey: boolean;
}

const MEDIA_ORIGIN = `https://${DEF_MEDIA_HOST}`;
const RETRY_INFO = 'WhatsApp Media Retry Notification';

export class MediaHost {
  /** Every GET the CDN answered, in order. */
  readonly requests: MediaRequest[] = [];
  /** Every re-upload request a linked device sent, in order. */
  readonly reuploadRequests: ReuploadRequest[] = [];
  /** Encrypted bodies by path; a path mapped to null is gone (410). */
  private readonly paths = new Map<string, Buffer | null>();
  /** Media sent in messages, by message id (for the phone's re-uploads). */
  private readonly byMessage = new Map<string, HostedMedia>();

  private constructor(
    private readonly http: Server,
    private readonly server: WaServer,
  ) {
    http.on('request', (req, res) => this.serve(req, res));
    server.on('receipt', (receipt) => {
      if (receipt.type === 'server-error') {
        this.reupload(receipt);
      }
    });
    server.handleIq('w:m', (_connection, iq) => this.mediaConn(iq));
  }

  static async start(server: WaServer): Promise<MediaHost> {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const host = new MediaHost(http, server);
    routing.add(host);
    return host;
  }

  /** Where the CDN really listens (plain HTTP on 127.0.0.1). */
  get localOrigin(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    routing.remove(this);
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Encrypts `file` under a fresh media key and serves it, as a phone's upload does. */
  async host(file: Buffer, input: { mimetype: string; mediaType?: MediaType }): Promise<HostedMedia> {
    const mediaType = input.mediaType ?? 'image';
    const mediaKey = randomBytes(32);
    const { cipherKey, iv, macKey } = await getMediaKeys(mediaKey, mediaType);
    if (!macKey) {
      throw new Error('Baileys derived no MAC key');
    }
    const aes = createCipheriv('aes-256-cbc', cipherKey, iv);
    const encrypted = Buffer.concat([aes.update(file), aes.final()]);
    const mac = createHmac('sha256', macKey).update(iv).update(encrypted).digest().subarray(0, 10);
    const body = Buffer.concat([encrypted, mac]);
    const media: HostedMedia = {
      file,
      mimetype: input.mimetype,
      mediaType,
      mediaKey,
      fileSha256: sha256(file),
      fileEncSha256: sha256(body),
      encrypted: body,
      directPath: '',
      url: '',
      reuploads: 0,
    };
    this.place(media);
    return media;
  }

  /** `from` sends `to` an image with a caption; resolves with the message id and the hosted file. */
  async deliverImage(
    from: Account,
    to: Account,
    file: Buffer,
    options: { mimetype?: string; caption?: string; via?: 'pn' | 'lid' } = {},
  ): Promise<{ id: string; media: HostedMedia }> {
    const media = await this.host(file, { mimetype: options.mimetype ?? 'image/jpeg' });
    const id = await this.server.deliver(
      from,
      to,
      { imageMessage: imageMessage(media, options.caption) },
      options,
    );
    this.byMessage.set(id, media);
    return { id, media };
  }

  /** The CDN answers 410 Gone for this media from now on, as for media past its retention. */
  expire(media: HostedMedia): void {
    this.paths.set(pathOf(media.directPath), null);
  }

  /** Serves the same encrypted body at a new path (the phone uploaded it again). */
  private place(media: HostedMedia): void {
    const name = `${randomDigits(9)}_${randomDigits(16)}_n.enc`;
    const query = `ccb=11-4&oh=01_${randomBytes(18).toString('base64url')}&oe=${randomBytes(4).toString('hex').toUpperCase()}&_nc_sid=5e03e0`;
    media.directPath = `/v/t62.7118-24/${name}?${query}`;
    media.url = `${MEDIA_ORIGIN}${media.directPath}&mms3=true`;
    this.paths.set(pathOf(media.directPath), media.encrypted);
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const path = pathOf(req.url ?? '/');
    const body = this.paths.get(path);
    const status = req.method !== 'GET' ? 405 : body ? 200 : body === null ? 410 : 404;
    this.requests.push({ path, status });
    if (status !== 200 || !body) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  }

  /**
   * A linked device asks the phone to upload a message's media again. The phone uploads the same
   * encrypted file to a new path and answers with a `mediaretry` notification encrypted under the
   * key derived from the media key. A request sealed under another key is answered all the same
   * (Baileys notes that WhatsApp returns the media even without the request's encrypted part); it
   * is recorded in `reuploadRequests`, and the device then fails to open the answer.
   */
  private reupload(receipt: ReceiptFromClient): void {
    const media = this.byMessage.get(receipt.id);
    const account = this.server.findAccount(receipt.to);
    const rmr = child(receipt.stanza, 'rmr');
    if (!media || !account || !rmr) {
      return;
    }
    const retryKey = hkdf(media.mediaKey, 32, { info: RETRY_INFO });
    this.reuploadRequests.push({
      messageId: receipt.id,
      sealedWithMediaKey: opens(receipt.stanza, retryKey, receipt.id),
    });
    this.place(media);
    media.reuploads++;
    const iv = randomBytes(12);
    const notification = proto.MediaRetryNotification.encode({
      stanzaId: receipt.id,
      directPath: media.directPath,
      result: proto.MediaRetryNotification.ResultType.SUCCESS,
    }).finish();
    const answer = node(
      'notification',
      { from: pnJid(account), type: 'mediaretry', id: receipt.id, t: unixSeconds() },
      [
        node('encrypt', {}, [
          node('enc_p', {}, aesEncryptGCM(notification, retryKey, iv, Buffer.from(receipt.id))),
          node('enc_iv', {}, iv),
        ]),
        node('rmr', { ...rmr.attrs }),
      ],
    );
    for (const companion of account.companions.values()) {
      this.server.connectionOf(companion)?.send(answer);
    }
  }

  /** The upload host a device asks for before uploading (downloads do not ask). */
  private mediaConn(iq: BinaryNode): BinaryNode {
    return node('iq', { from: 's.whatsapp.net', type: 'result', id: iq.attrs.id }, [
      node(
        'media_conn',
        { auth: randomBytes(24).toString('base64url'), ttl: '300', auth_ttl: '21600', max_buckets: '12' },
        [node('host', { hostname: DEF_MEDIA_HOST, maxContentLengthBytes: String(100 * 1024 * 1024) })],
      ),
    ]);
  }
}

export function imageMessage(media: HostedMedia, caption?: string): proto.Message.IImageMessage {
  return {
    url: media.url,
    directPath: media.directPath,
    mimetype: media.mimetype,
    caption,
    fileSha256: media.fileSha256,
    fileEncSha256: media.fileEncSha256,
    fileLength: media.file.length,
    mediaKey: media.mediaKey,
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
  };
}

/** Whether a re-upload request's `ServerErrorReceipt` opens under `retryKey` and names `id`. */
function opens(request: BinaryNode, retryKey: Uint8Array, id: string): boolean {
  const encrypt = child(request, 'encrypt');
  const ciphertext = bytes(child(encrypt, 'enc_p'));
  const iv = bytes(child(encrypt, 'enc_iv'));
  if (!ciphertext || !iv) {
    return false;
  }
  try {
    return (
      proto.ServerErrorReceipt.decode(aesDecryptGCM(ciphertext, retryKey, iv, Buffer.from(id))).stanzaId ===
      id
    );
  } catch {
    return false;
  }
}

const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();
const pathOf = (pathAndQuery: string): string => pathAndQuery.split('?')[0] ?? pathAndQuery;
const randomDigits = (length: number): string =>
  Array.from(randomBytes(length), (byte) => String(byte % 10)).join('');

/**
 * Routes `https://mmg.whatsapp.net` to the newest running media host, in this process: Node's
 * `fetch` (which Baileys downloads with) asks the global dispatcher, which is wrapped here and
 * restored once no host runs.
 */
const routing = (() => {
  const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
  type Dispatcher = { dispatch(options: { origin?: unknown }, handler: unknown): boolean };
  const global = globalThis as unknown as Record<symbol, Dispatcher | undefined>;
  const hosts: MediaHost[] = [];
  let original: Dispatcher | undefined;
  return {
    add(host: MediaHost) {
      hosts.push(host);
      if (original) {
        return;
      }
      void Headers; // loads Node's fetch implementation, which installs the global dispatcher
      original = global[GLOBAL_DISPATCHER];
      if (!original) {
        throw new Error("Node's fetch has no global dispatcher to route media through");
      }
      const through = original;
      global[GLOBAL_DISPATCHER] = {
        dispatch(options, handler) {
          const local = hosts.at(-1);
          const routed =
            local && String(options.origin) === MEDIA_ORIGIN
              ? { ...options, origin: local.localOrigin }
              : options;
          return through.dispatch(routed, handler);
        },
      };
    },
    remove(host: MediaHost) {
      const index = hosts.indexOf(host);
      if (index >= 0) {
        hosts.splice(index, 1);
      }
      if (hosts.length === 0 && original) {
        global[GLOBAL_DISPATCHER] = original;
        original = undefined;
      }
    },
  };
})();
