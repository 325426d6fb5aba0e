import {
  aesDecryptGCM,
  aesEncryptGCM,
  type BinaryNode,
  Curve,
  decodeBinaryNode,
  encodeBinaryNode,
  hkdf,
  type KeyPair,
  NOISE_MODE,
  NOISE_WA_HEADER,
  proto,
  sha256,
} from 'baileys';

/**
 * The server half of WhatsApp's Noise XX handshake (`Noise_XX_25519_AESGCM_SHA256`), mirroring the
 * client in Baileys' `Utils/noise-handler.js`, then the framed transport: 3-byte big-endian length
 * and an AES-GCM sealed binary node per frame, a counter per direction.
 */

const ivFor = (counter: number): Buffer => {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
};

class HandshakeState {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;

  constructor() {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.byteLength === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
  }

  authenticate(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  mixIntoKey(data: Uint8Array): void {
    const [write, read] = this.split(data);
    this.salt = write;
    this.key = read;
    this.counter = 0;
  }

  encrypt(plaintext: Uint8Array): Buffer {
    const sealed = aesEncryptGCM(plaintext, this.key, ivFor(this.counter++), this.hash);
    this.authenticate(sealed);
    return sealed;
  }

  decrypt(sealed: Uint8Array): Buffer {
    const plain = aesDecryptGCM(sealed, this.key, ivFor(this.counter++), this.hash);
    this.authenticate(sealed);
    return plain;
  }

  /** The two transport keys: the client writes with the first, the server with the second. */
  split(data: Uint8Array = new Uint8Array(0)): [Buffer, Buffer] {
    const key = hkdf(Buffer.from(data), 64, { salt: this.salt, info: '' });
    return [Buffer.from(key.subarray(0, 32)), Buffer.from(key.subarray(32))];
  }
}

export interface NoiseIdentity {
  /** The server's static key pair; the leaf certificate names it. */
  staticKeyPair: KeyPair;
  /** The encoded `proto.CertChain` the server presents. */
  certChain: Uint8Array;
}

export interface TransportKeys {
  encrypt(plaintext: Uint8Array): Buffer;
  decrypt(sealed: Uint8Array): Buffer;
}

/** Splits a byte stream into the length-prefixed frames both sides write. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);
  private introSeen = false;

  /** Appends bytes; returns the complete frames now available. Throws on a wrong intro. */
  push(data: Buffer): Buffer[] {
    this.buffered = Buffer.concat([this.buffered, data]);
    if (!this.introSeen) {
      if (this.buffered.length < NOISE_WA_HEADER.length) {
        return [];
      }
      if (!this.buffered.subarray(0, NOISE_WA_HEADER.length).equals(NOISE_WA_HEADER)) {
        throw new Error('the client did not open with the WhatsApp intro');
      }
      this.buffered = this.buffered.subarray(NOISE_WA_HEADER.length);
      this.introSeen = true;
    }
    const frames: Buffer[] = [];
    while (this.buffered.length >= 3) {
      const size = (this.buffered[0]! << 16) | (this.buffered[1]! << 8) | this.buffered[2]!;
      if (this.buffered.length < size + 3) {
        break;
      }
      frames.push(Buffer.from(this.buffered.subarray(3, size + 3)));
      this.buffered = this.buffered.subarray(size + 3);
    }
    return frames;
  }
}

export const frame = (payload: Uint8Array): Buffer => {
  const out = Buffer.alloc(3 + payload.byteLength);
  out[0] = (payload.byteLength >>> 16) & 0xff;
  out[1] = (payload.byteLength >>> 8) & 0xff;
  out[2] = payload.byteLength & 0xff;
  out.set(payload, 3);
  return out;
};

/**
 * Answers the client's hello. Returns the server hello to write and a function that takes the
 * client's finish and yields the transport keys and the client's payload.
 */
export function respondToHello(
  identity: NoiseIdentity,
  helloFrame: Uint8Array,
): {
  reply: Buffer;
  finish(finishFrame: Uint8Array): {
    transport: TransportKeys;
    payload: proto.ClientPayload;
    clientStatic: Buffer;
  };
} {
  const hello = proto.HandshakeMessage.decode(helloFrame).clientHello;
  if (!hello?.ephemeral) {
    throw new Error('expected a client hello with an ephemeral key');
  }
  const clientEphemeral = Buffer.from(hello.ephemeral);
  const state = new HandshakeState();
  state.authenticate(NOISE_WA_HEADER);
  state.authenticate(clientEphemeral);

  const ephemeral = Curve.generateKeyPair();
  state.authenticate(ephemeral.public);
  state.mixIntoKey(Curve.sharedKey(ephemeral.private, clientEphemeral));
  const staticSealed = state.encrypt(identity.staticKeyPair.public);
  state.mixIntoKey(Curve.sharedKey(identity.staticKeyPair.private, clientEphemeral));
  const payloadSealed = state.encrypt(identity.certChain);
  const reply = Buffer.from(
    proto.HandshakeMessage.encode({
      serverHello: { ephemeral: ephemeral.public, static: staticSealed, payload: payloadSealed },
    }).finish(),
  );

  return {
    reply,
    finish(finishFrame) {
      const finish = proto.HandshakeMessage.decode(finishFrame).clientFinish;
      if (!finish?.static || !finish.payload) {
        throw new Error('expected a client finish');
      }
      const clientStatic = state.decrypt(finish.static);
      state.mixIntoKey(Curve.sharedKey(ephemeral.private, clientStatic));
      const payload = proto.ClientPayload.decode(state.decrypt(finish.payload));
      const [clientWrites, serverWrites] = state.split();
      let readCounter = 0;
      let writeCounter = 0;
      const empty = Buffer.alloc(0);
      return {
        clientStatic,
        payload,
        transport: {
          encrypt: (plaintext) => aesEncryptGCM(plaintext, serverWrites, ivFor(writeCounter++), empty),
          decrypt: (sealed) => aesDecryptGCM(sealed, clientWrites, ivFor(readCounter++), empty),
        },
      };
    },
  };
}

export const sealNode = (transport: TransportKeys, node: BinaryNode): Buffer =>
  frame(transport.encrypt(encodeBinaryNode(node)));

export const openNode = async (transport: TransportKeys, sealed: Uint8Array): Promise<BinaryNode> =>
  decodeBinaryNode(transport.decrypt(sealed));
