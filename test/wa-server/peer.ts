import { generateSignalPubKey, proto, unpadRandomMax16, writeRandomPadMax16 } from 'baileys';
import { ProtocolAddress, SessionBuilder, SessionCipher, SessionRecord, type SignalStorage } from 'libsignal';
import * as curve from 'libsignal/src/curve.js';

/** What a device publishes so others can open a session with it (as the prekey fetch answers). */
export interface PreKeyBundle {
  registrationId: number;
  identityKey: Buffer; // 32 bytes, no type prefix
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  preKey?: { keyId: number; publicKey: Buffer } | undefined;
}

export type CipherType = 'pkmsg' | 'msg';

interface KeyPair33 {
  pubKey: Buffer;
  privKey: Buffer;
}

const pair = (): KeyPair33 => {
  const { pubKey, privKey } = curve.generateKeyPair();
  return { pubKey: Buffer.from(pubKey), privKey: Buffer.from(privKey) };
};

const strip = (key: Uint8Array): Buffer => Buffer.from(key.length === 33 ? key.subarray(1) : key);

/**
 * One WhatsApp device played by the stand-in (a contact's phone, or the linked account's own phone):
 * a libsignal identity with a signed prekey and one-time prekeys, and its sessions with other devices.
 */
export class SignalPeer {
  readonly registrationId = (Math.random() * 16_000) | 1;
  readonly identity = pair();
  private readonly signedPreKey = { keyId: 1, keyPair: pair(), signature: Buffer.alloc(0) };
  private readonly preKeys = new Map<number, KeyPair33>();
  private readonly sessions = new Map<string, Uint8Array>();
  private nextPreKeyId = 1;

  constructor() {
    this.signedPreKey.signature = Buffer.from(
      curve.calculateSignature(this.identity.privKey, this.signedPreKey.keyPair.pubKey),
    );
  }

  /** A bundle with a fresh one-time prekey, as WhatsApp's server hands out one per fetch. */
  bundle(): PreKeyBundle {
    const keyId = this.nextPreKeyId++;
    const preKey = pair();
    this.preKeys.set(keyId, preKey);
    return {
      registrationId: this.registrationId,
      identityKey: strip(this.identity.pubKey),
      signedPreKey: {
        keyId: this.signedPreKey.keyId,
        publicKey: strip(this.signedPreKey.keyPair.pubKey),
        signature: this.signedPreKey.signature,
      },
      preKey: { keyId, publicKey: strip(preKey.pubKey) },
    };
  }

  /** Drops the session with `address`: the next message opens a new one on a fresh bundle. */
  forget(address: string): void {
    this.sessions.delete(this.address(address).toString());
  }

  hasSession(address: string): boolean {
    return this.sessions.has(this.address(address).toString());
  }

  /** Encrypts a message for `address`, opening a session on `bundle` first when there is none. */
  async encrypt(
    address: string,
    message: proto.IMessage,
    bundle?: PreKeyBundle,
  ): Promise<{ type: CipherType; ciphertext: Buffer }> {
    const remote = this.address(address);
    if (!this.hasSession(address)) {
      if (!bundle) {
        throw new Error(`no session with ${address} and no bundle to open one`);
      }
      await new SessionBuilder(this.storage, remote).initOutgoing({
        registrationId: bundle.registrationId,
        identityKey: generateSignalPubKey(bundle.identityKey),
        signedPreKey: {
          keyId: bundle.signedPreKey.keyId,
          publicKey: generateSignalPubKey(bundle.signedPreKey.publicKey),
          signature: bundle.signedPreKey.signature,
        },
        preKey: bundle.preKey
          ? { keyId: bundle.preKey.keyId, publicKey: generateSignalPubKey(bundle.preKey.publicKey) }
          : (undefined as never),
      });
    }
    const plain = writeRandomPadMax16(proto.Message.encode(message).finish());
    const { type, body } = await new SessionCipher(this.storage, remote).encrypt(plain);
    return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body, 'binary') };
  }

  async decrypt(address: string, type: CipherType, ciphertext: Uint8Array): Promise<proto.Message> {
    const cipher = new SessionCipher(this.storage, this.address(address));
    const padded =
      type === 'pkmsg'
        ? await cipher.decryptPreKeyWhisperMessage(ciphertext)
        : await cipher.decryptWhisperMessage(ciphertext);
    return proto.Message.decode(unpadRandomMax16(padded));
  }

  private address(address: string): ProtocolAddress {
    return new ProtocolAddress(address, 0);
  }

  private readonly storage: SignalStorage = {
    loadSession: (id) => {
      const stored = this.sessions.get(id);
      return Promise.resolve(stored ? SessionRecord.deserialize(stored) : undefined);
    },
    storeSession: (id, record) => {
      this.sessions.set(id, record.serialize());
      return Promise.resolve();
    },
    isTrustedIdentity: () => true,
    loadPreKey: (id) => Promise.resolve(this.preKeys.get(Number(id))),
    removePreKey: (id) => {
      this.preKeys.delete(Number(id));
    },
    loadSignedPreKey: () => this.signedPreKey.keyPair,
    getOurRegistrationId: () => this.registrationId,
    getOurIdentity: () => this.identity,
  };
}
