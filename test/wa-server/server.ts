import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';

import { type BinaryNode, Curve, hmacSign, type KeyPair, proto } from 'baileys';
import { type WebSocket, WebSocketServer } from 'ws';

import {
  type Account,
  type Companion,
  companionAddress,
  lidJid,
  newAccount,
  pnJid,
  takeBundle,
} from './accounts.js';
import { makeCertChain } from './certs.js';
import { Groups } from './groups.js';
import { type HistoryChunk, historyNotification } from './history.js';
import { MediaHost } from './media.js';
import { bigEndian, bytes, child, children, node, readBigEndian, splitJid, unixSeconds } from './nodes.js';
import {
  frame,
  FrameReader,
  type NoiseIdentity,
  openNode,
  respondToHello,
  sealNode,
  type TransportKeys,
} from './noise.js';
import { PairingCodes } from './pairing-code.js';
import type { CipherType } from './peer.js';
import { trustStandin } from './trust.js';

/** A message a linked device sent, as the recipient's device decrypted it. */
export interface SentByClient {
  id: string;
  /** The account whose linked device sent it (its phone number). */
  from: string;
  to: string;
  type: string;
  /** The device that decrypted it: `pn:device`. */
  recipient: string;
  message: proto.IMessage;
  stanza: BinaryNode;
}

export interface ReceiptFromClient {
  id: string;
  to: string;
  type: string | undefined;
  participant: string | undefined;
  ids: string[];
  stanza: BinaryNode;
}

export interface WaServerOptions {
  port?: number;
  /** How many QR refs a registration gets before the client gives up (408). */
  qrRefs?: number;
  /** Presents a chain signed by another root (for the test that the client refuses it). */
  certRoot?: KeyPair;
  /**
   * Whether this process's Baileys client is made to trust the stand-in's root (default true; a
   * client in another process gets it by preload instead).
   */
  trust?: boolean;
}

export interface ScanOptions {
  /**
   * Signs the new device with another key than the `accountSignatureKey` it sends, as a forged
   * pairing would (the client must refuse it).
   */
  forgeAccountSignature?: boolean;
}

interface Registration {
  registrationId: number;
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  platform: string;
}

/**
 * Answers an IQ the core does not (register with `handleIq`); returns undefined to fall through to
 * the core's answer (an empty result for anything unknown).
 */
export type IqHandler = (
  connection: Connection,
  iq: BinaryNode,
) => BinaryNode | undefined | Promise<BinaryNode | undefined>;

/** Refuses a login: returns the `failure` reason (405, 403, …) or null to let it in. */
export type LoginCheck = (payload: proto.ClientPayload) => string | null;

type ServerEvents = {
  /** Every IQ a client asks, before it is answered. */
  iq: [BinaryNode, Connection];
  login: [Companion];
  paired: [Companion];
  qr: [string[]];
  sent: [SentByClient];
  receipt: [ReceiptFromClient];
  keys: [Companion];
  closed: [Connection];
};

/** One client connection: the handshake, then binary nodes both ways. */
export class Connection {
  transport: TransportKeys | null = null;
  registration: Registration | null = null;
  companion: Companion | null = null;
  readonly refs: string[] = [];
  private readonly waiting = new Map<string, (reply: BinaryNode) => void>();
  private nextId = 1;

  constructor(
    readonly socket: WebSocket,
    private readonly server: WaServer,
  ) {}

  send(stanza: BinaryNode): void {
    if (!this.transport || this.socket.readyState !== this.socket.OPEN) {
      return;
    }
    this.socket.send(sealNode(this.transport, stanza));
  }

  /** Sends an IQ to the client and resolves with its answer. */
  query(stanza: BinaryNode): Promise<BinaryNode> {
    const id = `srv-${this.nextId++}`;
    stanza.attrs.id = id;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.send(stanza);
    });
  }

  answered(stanza: BinaryNode): boolean {
    const resolve = this.waiting.get(stanza.attrs.id ?? '');
    if (!resolve) {
      return false;
    }
    this.waiting.delete(stanza.attrs.id!);
    resolve(stanza);
    return true;
  }

  close(): void {
    this.socket.close();
  }

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }
}

/**
 * A stand-in for WhatsApp's server that the unmodified Baileys client links to, logs in to and
 * exchanges end-to-end encrypted messages with. Accounts, their phones and contacts are devices the
 * stand-in plays with libsignal; tests drive it through the methods below.
 */
export class WaServer extends EventEmitter<ServerEvents> {
  readonly accounts = new Map<string, Account>();
  readonly sent: SentByClient[] = [];
  readonly receipts: ReceiptFromClient[] = [];
  private readonly connections = new Set<Connection>();
  private readonly refs = new Map<string, Connection>();
  private readonly identity: NoiseIdentity;
  private readonly wss: WebSocketServer;
  private readonly qrRefs: number;
  private nextSendError: string | null = null;
  private readonly history = new Map<string, HistoryChunk[]>();
  /** What each stanza delivered to a device carried, by device and message id, to send it again. */
  private readonly contents = new Map<
    string,
    { sender: Account; message: proto.IMessage; attrs: Record<string, string | undefined> }
  >();
  private readonly iqHandlers = new Map<string, IqHandler>();
  private readonly loginChecks: LoginCheck[] = [];
  /** The media CDN (`media.ts`). */
  media!: MediaHost;
  /** Groups, their metadata and sender-key messages (`groups.ts`). */
  readonly groups: Groups = new Groups(this);
  /** Linking by pairing code (`pairing-code.ts`). */
  readonly pairingCodes: PairingCodes = new PairingCodes(this);

  private constructor(wss: WebSocketServer, options: WaServerOptions) {
    super();
    this.wss = wss;
    this.qrRefs = options.qrRefs ?? 6;
    const staticKeyPair = Curve.generateKeyPair();
    this.identity = { staticKeyPair, certChain: makeCertChain(staticKeyPair, options.certRoot) };
    wss.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: WaServerOptions = {}): Promise<WaServer> {
    if (options.trust !== false) {
      trustStandin();
    }
    const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const server = new WaServer(wss, options);
    server.media = await MediaHost.start(server);
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws/chat`;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) {
      connection.socket.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.media.close();
  }

  // ---- extension points ----------------------------------------------------------------------

  /** Answers IQs of namespace `xmlns` (media connections, group metadata, …). */
  handleIq(xmlns: string, handler: IqHandler): void {
    this.iqHandlers.set(xmlns, handler);
  }

  /** Runs before every login; the first reason returned refuses it. */
  checkLogin(check: LoginCheck): void {
    this.loginChecks.push(check);
  }

  // ---- accounts and contacts ---------------------------------------------------------------

  addAccount(input: { pn: string; lid?: string; name: string }): Account {
    const account = newAccount(input);
    this.accounts.set(account.pn, account);
    return account;
  }

  account(pn: string): Account {
    const account = this.accounts.get(pn);
    if (!account) {
      throw new Error(`no account ${pn}`);
    }
    return account;
  }

  /** The device linked to `pn` (the first one when several are). */
  companionOf(pn: string): Companion | undefined {
    return [...this.account(pn).companions.values()].find((companion) => !companion.loggedOut);
  }

  connectionOf(companion: Companion): Connection | undefined {
    return [...this.connections].find(
      (connection) => connection.companion === companion && connection.isOpen,
    );
  }

  // ---- linking ------------------------------------------------------------------------------

  /**
   * Plays the phone scanning the QR a client shows: signs the new device into `pn`'s account.
   * Resolves once the client confirmed the pairing (and was told to restart); rejects when the
   * client closes the connection instead.
   */
  async scan(qr: string, pn: string, options: ScanOptions = {}): Promise<Companion> {
    // `https://wa.me/settings/linked_devices#ref,noiseKey,identityKey,advSecret,platform`
    const [ref, , identityB64, advSecretB64] = qr.replace(/^.*#/, '').split(',');
    const connection = ref ? this.refs.get(ref) : undefined;
    if (!connection?.registration || !identityB64 || !advSecretB64) {
      throw new Error('this QR is not one the stand-in issued, or it was already used');
    }
    const registration = connection.registration;
    if (!Buffer.from(identityB64, 'base64').equals(registration.identityKey)) {
      throw new Error('the QR names another identity than the device registered with');
    }
    return this.pair(connection, pn, Buffer.from(advSecretB64, 'base64'), options);
  }

  /**
   * Signs the device registering on `connection` into `pn`'s account, with the ADV secret the
   * client and the phone share (from the QR, or agreed while linking by code). Resolves once the
   * client confirmed the pairing (and was told to restart); rejects when it closes the connection.
   */
  async pair(
    connection: Connection,
    pn: string,
    advSecret: Buffer,
    options: ScanOptions = {},
  ): Promise<Companion> {
    const registration = connection.registration;
    if (!registration) {
      throw new Error('this connection is not registering a device');
    }
    const account = this.account(pn);
    const device = Math.max(0, ...account.companions.keys()) + 1;
    const deviceDetails = proto.ADVDeviceIdentity.encode({
      rawId: randomBytes(4).readUInt32BE(0),
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex: device,
    }).finish();
    const accountKey = account.phone.identity;
    const signingKey = options.forgeAccountSignature ? Curve.generateKeyPair().private : accountKey.privKey;
    const accountSignature = Curve.sign(
      signingKey,
      Buffer.concat([Buffer.from([6, 0]), deviceDetails, registration.identityKey]),
    );
    const details = proto.ADVSignedDeviceIdentity.encode({
      details: deviceDetails,
      accountSignatureKey: accountKey.pubKey.subarray(1),
      accountSignature,
    }).finish();
    const hmac = hmacSign(details, advSecret);
    const pairSuccess = node('iq', { from: 's.whatsapp.net', type: 'set', xmlns: 'md' }, [
      node('pair-success', {}, [
        node('device-identity', {}, proto.ADVSignedDeviceIdentityHMAC.encode({ details, hmac }).finish()),
        node('platform', { name: 'smba' }),
        node('device', { jid: pnJid(account, device), lid: lidJid(account, device) }),
      ]),
    ]);
    const reply = await new Promise<BinaryNode>((resolve, reject) => {
      connection.socket.once('close', () =>
        reject(new Error('the client closed the connection instead of confirming the pairing')),
      );
      connection.query(pairSuccess).then(resolve, reject);
    });
    if (!child(reply, 'pair-device-sign')) {
      throw new Error(`the client refused the pairing: ${JSON.stringify(reply.attrs)}`);
    }
    const companion: Companion = {
      account,
      device,
      platform: registration.platform,
      registrationId: registration.registrationId,
      identityKey: registration.identityKey,
      signedPreKey: registration.signedPreKey,
      preKeys: new Map(),
      unacknowledged: new Map(),
      historySent: false,
      loggedOut: false,
    };
    account.companions.set(device, companion);
    for (const used of connection.refs) {
      this.refs.delete(used);
    }
    this.emit('paired', companion);
    connection.send(node('stream:error', { code: '515' }));
    connection.close();
    return companion;
  }

  // ---- the client's traffic -------------------------------------------------------------------

  private accept(socket: WebSocket): void {
    const connection = new Connection(socket, this);
    this.connections.add(connection);
    const reader = new FrameReader();
    let handshake: ReturnType<typeof respondToHello> | null = null;
    let chain = Promise.resolve();
    socket.on('message', (data: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(data);
      } catch {
        socket.terminate();
        return;
      }
      for (const received of frames) {
        chain = chain
          .then(async () => {
            if (!handshake) {
              handshake = respondToHello(this.identity, received);
              socket.send(frame(handshake.reply));
              return;
            }
            if (!connection.transport) {
              const { transport, payload } = handshake.finish(received);
              connection.transport = transport;
              this.onClientPayload(connection, payload);
              return;
            }
            await this.onNode(connection, await openNode(connection.transport, received));
          })
          .catch((err: unknown) => {
            if (process.env.WA_STANDIN_DEBUG) {
              console.error('stand-in: dropping a connection after', err);
            }
            socket.terminate();
          });
      }
    });
    socket.on('close', () => {
      this.connections.delete(connection);
      this.emit('closed', connection);
    });
  }

  private onClientPayload(connection: Connection, payload: proto.ClientPayload): void {
    const pairing = payload.devicePairingData;
    if (pairing) {
      connection.registration = {
        registrationId: readBigEndian(pairing.eRegid ?? undefined),
        identityKey: Buffer.from(pairing.eIdent ?? []),
        signedPreKey: {
          keyId: readBigEndian(pairing.eSkeyId ?? undefined),
          publicKey: Buffer.from(pairing.eSkeyVal ?? []),
          signature: Buffer.from(pairing.eSkeySig ?? []),
        },
        platform: String(payload.userAgent?.platform ?? 'WEB'),
      };
      for (let i = 0; i < this.qrRefs; i++) {
        const ref = randomBytes(12).toString('base64url');
        connection.refs.push(ref);
        this.refs.set(ref, connection);
      }
      this.emit('qr', connection.refs);
      connection.send(
        node('iq', { from: 's.whatsapp.net', type: 'set', xmlns: 'md', id: `pair-${connection.refs[0]}` }, [
          node(
            'pair-device',
            {},
            connection.refs.map((ref) => node('ref', {}, Buffer.from(ref))),
          ),
        ]),
      );
      return;
    }
    const refused = this.loginChecks.map((check) => check(payload)).find((reason) => reason !== null);
    if (refused) {
      connection.send(node('failure', { reason: refused, location: 'standin' }));
      connection.close();
      return;
    }
    const pn = String(payload.username ?? '');
    const companion = this.accounts.get(pn)?.companions.get(payload.device ?? 0);
    if (!companion || companion.loggedOut) {
      connection.send(node('failure', { reason: '401', location: 'standin' }));
      connection.close();
      return;
    }
    for (const other of this.connections) {
      if (other !== connection && other.companion === companion) {
        other.send(node('stream:error', {}, [node('conflict', { type: 'replaced' })]));
        other.close();
      }
    }
    connection.companion = companion;
    connection.send(
      node('success', {
        t: unixSeconds(),
        lid: lidJid(companion.account),
        props: '1',
        abprops: '1',
        location: 'standin',
      }),
    );
    this.emit('login', companion);
    const pending = [...companion.unacknowledged.values()];
    for (const stanza of pending) {
      connection.send({ ...stanza, attrs: { ...stanza.attrs, offline: '1' } });
    }
    connection.send(node('ib', {}, [node('offline', { count: String(pending.length) })]));
  }

  private async onNode(connection: Connection, stanza: BinaryNode): Promise<void> {
    switch (stanza.tag) {
      case 'iq':
        if (stanza.attrs.type === 'result' || stanza.attrs.type === 'error') {
          connection.answered(stanza);
          return;
        }
        this.emit('iq', stanza, connection);
        connection.send(
          (await this.iqHandlers.get(stanza.attrs.xmlns ?? '')?.(connection, stanza)) ??
            this.answerIq(connection, stanza),
        );
        return;
      case 'message':
        await this.onClientMessage(connection, stanza);
        return;
      case 'receipt':
        this.onClientReceipt(connection, stanza);
        return;
      case 'ack':
        // An ack with an error (a nack) leaves the message to be delivered again.
        if (!stanza.attrs.error) {
          this.acknowledged(connection, stanza.attrs.id);
        }
        return;
      default:
        return; // presence, ib telemetry, …: nothing to answer
    }
  }

  private answerIq(connection: Connection, iq: BinaryNode): BinaryNode {
    const result = (content?: BinaryNode[]) =>
      node('iq', { from: 's.whatsapp.net', type: 'result', id: iq.attrs.id }, content);
    const first = children(iq)[0];
    const companion = connection.companion;
    switch (iq.attrs.xmlns) {
      case 'encrypt':
        if (first?.tag === 'count') {
          return result([node('count', { value: String(companion?.preKeys.size ?? 0) })]);
        }
        if (first?.tag === 'key') {
          return result([node('list', {}, this.bundles(children(first, 'user')))]);
        }
        if (first?.tag === 'digest') {
          return result([node('digest', {})]);
        }
        if (companion && children(iq, 'list').length > 0) {
          this.storeKeys(companion, iq);
        }
        return result();
      case 'usync':
        return result([this.usync(connection, iq)]);
      case 'w:sync:app:state':
        return result([
          node(
            'sync',
            {},
            children(child(iq, 'sync'), 'collection').map((collection) =>
              node('collection', { name: collection.attrs.name, version: collection.attrs.version ?? '0' }),
            ),
          ),
        ]);
      case 'privacy':
        // Read receipts on, as most accounts have them (otherwise Baileys sends `read-self`).
        return result([node('privacy', {}, [node('category', { name: 'readreceipts', value: 'all' })])]);
      case 'md':
        if (first?.tag === 'remove-companion-device' && companion) {
          companion.loggedOut = true;
          connection.close();
        }
        return result();
      default:
        return result();
    }
  }

  private storeKeys(companion: Companion, iq: BinaryNode): void {
    companion.registrationId = readBigEndian(bytes(child(iq, 'registration')));
    companion.identityKey = bytes(child(iq, 'identity')) ?? companion.identityKey;
    for (const key of children(child(iq, 'list'), 'key')) {
      companion.preKeys.set(readBigEndian(bytes(child(key, 'id'))), bytes(child(key, 'value'))!);
    }
    const signed = child(iq, 'skey');
    if (signed) {
      companion.signedPreKey = {
        keyId: readBigEndian(bytes(child(signed, 'id'))),
        publicKey: bytes(child(signed, 'value'))!,
        signature: bytes(child(signed, 'signature'))!,
      };
    }
    this.emit('keys', companion);
    if (!companion.historySent) {
      void this.sendHistory(companion);
    }
  }

  /** Answers a device-list / LID / contact query for the users it names. */
  private usync(connection: Connection, iq: BinaryNode): BinaryNode {
    const usync = child(iq, 'usync')!;
    const asked = children(child(usync, 'query')).map((protocol) => protocol.tag);
    const users = children(child(usync, 'list'), 'user').map((user) => {
      const jid = user.attrs.jid ?? bytes(child(user, 'contact'))?.toString().replace(/^\+/, '') ?? '';
      const account = this.findAccount(jid.includes('@') ? jid : `${jid}@s.whatsapp.net`);
      const id = user.attrs.jid ?? `${jid}@s.whatsapp.net`;
      const protocols: BinaryNode[] = [];
      if (asked.includes('devices')) {
        const devices = account
          ? [
              node('device', { id: '0' }),
              ...[...account.companions.values()]
                .filter((companion) => !companion.loggedOut)
                .map((companion) =>
                  node('device', { id: String(companion.device), 'key-index': String(companion.device) }),
                ),
            ]
          : [];
        protocols.push(node('devices', {}, [node('device-list', {}, devices)]));
      }
      if (asked.includes('lid') && account) {
        protocols.push(node('lid', { val: lidJid(account) }));
      }
      if (asked.includes('contact')) {
        protocols.push(node('contact', { type: account ? 'in' : 'out' }));
      }
      return node('user', { jid: account && !user.attrs.jid ? pnJid(account) : id }, protocols);
    });
    void connection;
    return node('usync', { sid: usync.attrs.sid, index: '0', last: 'true' }, [node('list', {}, users)]);
  }

  private bundles(users: BinaryNode[]): BinaryNode[] {
    return users.flatMap((user) => {
      const jid = user.attrs.jid ?? '';
      const { device } = splitJid(jid);
      const account = this.findAccount(jid);
      if (!account) {
        return [node('user', { jid }, [node('error', { code: '404', text: 'item-not-found' })])];
      }
      const companion = device === 0 ? undefined : account.companions.get(device);
      const bundle = companion ? takeBundle(companion) : account.phone.bundle();
      return [
        node('user', { jid }, [
          node('registration', {}, bigEndian(bundle.registrationId, 4)),
          node('type', {}, Buffer.from([5])),
          node('identity', {}, bundle.identityKey),
          node('skey', {}, [
            node('id', {}, bigEndian(bundle.signedPreKey.keyId, 3)),
            node('value', {}, bundle.signedPreKey.publicKey),
            node('signature', {}, bundle.signedPreKey.signature),
          ]),
          ...(bundle.preKey
            ? [
                node('key', {}, [
                  node('id', {}, bigEndian(bundle.preKey.keyId, 3)),
                  node('value', {}, bundle.preKey.publicKey),
                ]),
              ]
            : []),
        ]),
      ];
    });
  }

  findAccount(jid: string): Account | undefined {
    const { user, server } = splitJid(jid);
    if (server === 'lid') {
      return [...this.accounts.values()].find((account) => account.lid === user);
    }
    return this.accounts.get(user);
  }

  /** A message the client sent: each recipient device the stand-in plays decrypts its copy. */
  private async onClientMessage(connection: Connection, stanza: BinaryNode): Promise<void> {
    const companion = connection.companion;
    if (!companion) {
      return;
    }
    const id = stanza.attrs.id ?? '';
    const to = stanza.attrs.to ?? '';
    const refusal = this.nextSendError;
    this.nextSendError = null;
    connection.send(
      node('ack', {
        class: 'message',
        id,
        from: to,
        t: unixSeconds(),
        ...(refusal ? { error: refusal } : {}),
      }),
    );
    if (refusal) {
      return;
    }
    if (to.endsWith('@g.us')) {
      await this.groups.received(companion, stanza);
      return;
    }
    for (const target of children(child(stanza, 'participants'), 'to')) {
      const recipientJid = target.attrs.jid ?? '';
      const account = this.findAccount(recipientJid);
      const enc = child(target, 'enc');
      if (!account || !enc || splitJid(recipientJid).device !== 0) {
        continue;
      }
      const message = await account.phone.decrypt(
        companionAddress(companion),
        enc.attrs.type as CipherType,
        bytes(enc)!,
      );
      const sent: SentByClient = {
        id,
        from: companion.account.pn,
        to,
        type: stanza.attrs.type ?? 'text',
        recipient: `${account.pn}:0`,
        message,
        stanza,
      };
      this.sent.push(sent);
      this.emit('sent', sent);
    }
  }

  private onClientReceipt(connection: Connection, stanza: BinaryNode): void {
    const ids = [
      stanza.attrs.id ?? '',
      ...children(child(stanza, 'list'), 'item').map((item) => item.attrs.id ?? ''),
    ];
    const receipt: ReceiptFromClient = {
      id: ids[0]!,
      to: stanza.attrs.to ?? '',
      type: stanza.attrs.type,
      participant: stanza.attrs.participant,
      ids,
      stanza,
    };
    if (stanza.attrs.type === 'retry') {
      const companion = connection.companion;
      if (companion) {
        void this.resend(companion, receipt.id, child(stanza, 'retry')?.attrs.count);
      }
    } else {
      for (const id of ids) {
        this.acknowledged(connection, id);
      }
    }
    this.receipts.push(receipt);
    this.emit('receipt', receipt);
    connection.send(node('ack', { class: 'receipt', id: receipt.id, from: receipt.to }));
  }

  private acknowledged(connection: Connection, id: string | undefined): void {
    if (id) {
      connection.companion?.unacknowledged.delete(id);
    }
  }

  // ---- what contacts do -----------------------------------------------------------------------

  /**
   * `from` sends `message` to every device linked to `to`. With `via: 'lid'` the stanza names the
   * sender by hidden id (with `sender_pn`), as WhatsApp does for most chats now; `'lid-only'` gives
   * no phone number at all, as for a contact whose number the account may not see yet.
   */
  async deliver(
    from: Account,
    to: Account,
    message: proto.IMessage,
    options: { id?: string; via?: 'pn' | 'lid' | 'lid-only'; at?: Date } = {},
  ): Promise<string> {
    const id = options.id ?? newMessageId();
    const viaLid = options.via === 'lid' || options.via === 'lid-only';
    for (const companion of this.reachable(to)) {
      await this.seal(companion, from, message, {
        from: viaLid ? lidJid(from) : pnJid(from),
        ...(viaLid ? { addressing_mode: 'lid' } : {}),
        ...(options.via === 'lid' ? { sender_pn: pnJid(from) } : {}),
        id,
        t: unixSeconds(options.at),
        type: message.reactionMessage ? 'reaction' : 'text',
        notify: from.name,
      });
    }
    return id;
  }

  /**
   * The account's own phone sends `message` to its linked devices: with `to`, a message the phone
   * sent to that contact, which the devices get wrapped in a `deviceSentMessage` naming the
   * destination, on a stanza from the account to the contact (`recipient`); without, a message to
   * the devices themselves (history, app-state keys). With `via: 'lid'` both are named by hidden id
   * and the stanza carries the contact's phone id (`peer_recipient_pn`).
   */
  async fromPhone(
    account: Account,
    message: proto.IMessage,
    options: { id?: string; at?: Date; to?: Account; via?: 'pn' | 'lid'; companions?: Companion[] } = {},
  ): Promise<string> {
    const id = options.id ?? newMessageId();
    const { to } = options;
    const viaLid = options.via === 'lid';
    const recipient = to && (viaLid ? lidJid(to) : pnJid(to));
    const content = recipient ? { deviceSentMessage: { destinationJid: recipient, message } } : message;
    for (const companion of options.companions ?? this.reachable(account)) {
      await this.seal(companion, account, content, {
        from: viaLid ? lidJid(account) : pnJid(account),
        recipient,
        ...(to && viaLid ? { addressing_mode: 'lid', peer_recipient_pn: pnJid(to) } : {}),
        id,
        t: unixSeconds(options.at),
        type: 'text',
        ...(recipient ? {} : { category: 'peer' }),
        notify: account.name,
      });
    }
    return id;
  }

  /** `from` calls `to` and nobody answers: the offer, then the call ends by timeout. */
  missedCall(from: Account, to: Account, options: { id: string; at?: Date; video?: boolean }): void {
    const t = unixSeconds(options.at);
    const call = (tag: string, attrs: Record<string, string>, content?: BinaryNode[]) =>
      node('call', { from: pnJid(from), id: newMessageId(), t, notify: from.name }, [
        node(tag, { 'call-id': options.id, 'call-creator': pnJid(from), ...attrs }, content),
      ]);
    for (const companion of this.reachable(to)) {
      const connection = this.connectionOf(companion);
      connection?.send(call('offer', {}, options.video ? [node('video', {})] : [node('audio', {})]));
      connection?.send(call('terminate', { reason: 'timeout' }));
    }
  }

  /**
   * A stanza from `from` the device cannot decrypt (its ciphertext is not one of the session's):
   * Baileys reports it as a CIPHERTEXT stub and asks for it again, which the stand-in ignores.
   */
  deliverUndecryptable(from: Account, to: Account, options: { id: string; at?: Date }): void {
    for (const companion of this.reachable(to)) {
      this.connectionOf(companion)?.send(
        node(
          'message',
          { from: pnJid(from), id: options.id, t: unixSeconds(options.at), type: 'text', notify: from.name },
          [node('enc', { v: '2', type: 'msg' }, randomBytes(48))],
        ),
      );
    }
  }

  /** Encrypts `message` from `sender`'s phone for the device, and sends or keeps it. */
  private async seal(
    companion: Companion,
    sender: Account,
    message: proto.IMessage,
    attrs: Record<string, string | undefined>,
  ): Promise<void> {
    const { type, ciphertext } = await this.encryptFor(companion, sender, message);
    const stanza = node('message', attrs, [node('enc', { v: '2', type }, ciphertext)]);
    this.contents.set(`${companionAddress(companion)} ${attrs.id}`, { sender, message, attrs });
    this.push(companion, stanza);
  }

  /**
   * A device that could not decrypt a message (its session state is behind, e.g. it crashed after
   * decrypting and before storing) asks for it again: the sender opens a new session on the
   * device's keys and sends it once more, as a phone does.
   */
  private async resend(companion: Companion, id: string, retryCount: string | undefined): Promise<void> {
    const content = this.contents.get(`${companionAddress(companion)} ${id}`);
    if (!content || !companion.unacknowledged.has(id)) {
      return;
    }
    content.sender.phone.forget(companionAddress(companion));
    const { type, ciphertext } = await this.encryptFor(companion, content.sender, content.message);
    this.push(
      companion,
      node('message', content.attrs, [node('enc', { v: '2', type, count: retryCount ?? '1' }, ciphertext)]),
    );
  }

  /** History the phone sends a device on its first login; one empty chunk unless a test set some. */
  setHistory(pn: string, chunks: HistoryChunk[]): void {
    this.history.set(pn, chunks);
  }

  private async sendHistory(companion: Companion): Promise<void> {
    companion.historySent = true;
    const chunks = this.history.get(companion.account.pn) ?? [{ progress: 100 }];
    for (const [order, chunk] of chunks.entries()) {
      await this.fromPhone(companion.account, historyNotification(chunk, order), { companions: [companion] });
    }
  }

  private reachable(account: Account): Companion[] {
    return [...account.companions.values()].filter(
      (companion) => !companion.loggedOut && companion.signedPreKey,
    );
  }

  private encryptFor(companion: Companion, sender: Account, message: proto.IMessage) {
    const address = companionAddress(companion);
    return sender.phone.encrypt(
      address,
      message,
      sender.phone.hasSession(address) ? undefined : takeBundle(companion),
    );
  }

  /** Sends now when the device is connected; keeps it until acknowledged either way. */
  push(companion: Companion, stanza: BinaryNode): void {
    companion.unacknowledged.set(stanza.attrs.id!, stanza);
    this.connectionOf(companion)?.send(stanza);
  }

  /** The contact's phone reports `ids` delivered to (or read on) it. */
  receipt(from: Account, to: Account, ids: string[], type?: 'read' | 'played', at?: Date): void {
    for (const companion of to.companions.values()) {
      const connection = this.connectionOf(companion);
      connection?.send(
        node(
          'receipt',
          { from: pnJid(from), id: ids[0], t: unixSeconds(at), ...(type ? { type } : {}) },
          ids.length > 1
            ? [
                node(
                  'list',
                  {},
                  ids.slice(1).map((id) => node('item', { id })),
                ),
              ]
            : undefined,
        ),
      );
    }
  }

  // ---- faults on demand -----------------------------------------------------------------------

  /** The next message a client sends is refused with this code (463, 479, …). */
  failNextSend(code: string): void {
    this.nextSendError = code;
  }

  /** Ends the linked device's connection the way WhatsApp does for `kind`. */
  disconnect(pn: string, kind: 'drop' | '515' | '503' | '500' | 'conflict' | '401' | '405' | '411'): void {
    const companion = this.companionOf(pn);
    const connection = companion ? this.connectionOf(companion) : undefined;
    if (!connection || !companion) {
      throw new Error(`${pn} has no connected device`);
    }
    switch (kind) {
      case 'drop':
        connection.socket.terminate();
        return;
      case 'conflict':
        connection.send(node('stream:error', {}, [node('conflict', { type: 'replaced' })]));
        break;
      case '401':
        companion.loggedOut = true;
        connection.send(node('failure', { reason: '401' }));
        break;
      case '405':
      case '411':
        connection.send(node('failure', { reason: kind }));
        break;
      default:
        connection.send(node('stream:error', { code: kind }));
    }
    connection.close();
  }
}

const newMessageId = () => `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
