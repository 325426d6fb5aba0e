import { randomBytes } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';

import {
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  type BinaryNode,
  Curve,
  derivePairingCodeKey,
  hkdf,
  type KeyPair,
} from 'baileys';

import type { Companion } from './accounts.js';
import { bytes, child, node, unixSeconds } from './nodes.js';
import type { Connection, WaServer } from './server.js';

/**
 * Linking by pairing code in the stand-in: WhatsApp's `link_code_companion_reg` flow, with the
 * stand-in playing both the server and the account's phone, on which the user types the code the
 * client showed. The code never travels: each side wraps its ephemeral public key with a key
 * derived from it (PBKDF2 over the code and a salt, AES-CTR), so only two sides holding the same
 * code agree on a shared secret.
 *
 * 1. `companion_hello` (an IQ from the client, `requestPairingCode`): the client's wrapped
 *    ephemeral key, kept here by phone number until that phone enters a code.
 * 2. `enter(pn, code)`: the phone unwraps the client's key with the code it was given, wraps its
 *    own ephemeral key with it and sends `primary_hello` (a notification, with the phone's identity
 *    key).
 * 3. `companion_finish` (an IQ): the client's identity key, the phone's and a random value,
 *    encrypted (AES-GCM) under a key from the ephemeral shared secret. The phone decrypts and checks
 *    it; with a wrong code the shared secrets differ, the decryption fails and the IQ is refused.
 *    Otherwise both sides derive the ADV secret from the shared secrets and the random value, and
 *    the phone signs the device in with it (`pair-success`, then a restart), as a scan does.
 */

interface Hello {
  connection: Connection;
  ref: Buffer;
  /** salt (32) ‖ iv (16) ‖ AES-CTR of the client's ephemeral public key. */
  wrappedEphemeral: Buffer;
  /** What the phone expects next: its answer to the client's `companion_finish`. */
  onFinish?: (finish: BinaryNode) => BinaryNode;
}

/** The phone's half of one attempt, kept to check the client's `companion_finish`. */
interface Attempt {
  ephemeral: KeyPair;
  companionEphemeral: Buffer;
  identity: KeyPair;
}

const BUNDLE_INFO = 'link_code_pairing_key_bundle_encryption_key';

export class PairingCodes {
  /** The latest `companion_hello` for each phone number. */
  private readonly hellos = new Map<string, Hello>();
  private readonly waiting = new Map<string, (hello: Hello) => void>();

  constructor(private readonly server: WaServer) {
    server.handleIq('md', (connection, iq) => this.answerIq(connection, iq));
  }

  /**
   * The phone of `pn` enters `code` (as shown by the client that asked for it). Resolves with the
   * new device once the client confirmed the pairing; rejects when the code is not the client's
   * (the client stays unlinked and may be given the right code again).
   */
  async enter(pn: string, code: string, timeoutMs = 10_000): Promise<Companion> {
    const hello = await this.helloFor(pn, timeoutMs);
    const { connection } = hello;
    const account = this.server.account(pn);
    const attempt: Attempt = {
      ephemeral: Curve.generateKeyPair(),
      companionEphemeral: await unwrap(hello.wrappedEphemeral, code),
      identity: {
        public: account.phone.identity.pubKey.subarray(1),
        private: account.phone.identity.privKey,
      },
    };
    const agreed = new Promise<Buffer>((resolve, reject) => {
      connection.socket.once('close', () => reject(new Error('the client closed the connection')));
      hello.onFinish = (finish) => {
        hello.onFinish = undefined;
        const result = { from: 's.whatsapp.net', type: 'result', id: finish.attrs.id };
        try {
          resolve(finished(attempt, connection, finish));
          return node('iq', result);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return node('iq', { ...result, type: 'error' }, [
            node('error', { code: '401', text: 'not-authorized' }),
          ]);
        }
      };
    });
    connection.send(
      node(
        'notification',
        { from: 's.whatsapp.net', type: 'link_code_companion_reg', id: newId(), t: unixSeconds() },
        [
          node('link_code_companion_reg', { stage: 'primary_hello' }, [
            node(
              'link_code_pairing_wrapped_primary_ephemeral_pub',
              {},
              await wrap(attempt.ephemeral.public, code),
            ),
            node('primary_identity_pub', {}, attempt.identity.public),
            node('link_code_pairing_ref', {}, hello.ref),
          ]),
        ],
      ),
    );
    const advSecret = await agreed;
    this.hellos.delete(pn);
    // The refused or accepted answer goes out when the IQ handler returns; pair-success after it.
    await setImmediate();
    return this.server.pair(connection, pn, advSecret);
  }

  private answerIq(connection: Connection, iq: BinaryNode): BinaryNode | undefined {
    const reg = child(iq, 'link_code_companion_reg');
    if (!reg) {
      return undefined; // the server's own `md` answers
    }
    const pn = (reg.attrs.jid ?? '').replace(/@.*$/, '');
    if (reg.attrs.stage === 'companion_hello') {
      const wrappedEphemeral = bytes(child(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub'));
      if (!connection.registration || !wrappedEphemeral || wrappedEphemeral.length !== 80) {
        return node('iq', { from: 's.whatsapp.net', type: 'error', id: iq.attrs.id }, [
          node('error', { code: '400', text: 'bad-request' }),
        ]);
      }
      const hello: Hello = { connection, ref: randomBytes(16), wrappedEphemeral };
      this.hellos.set(pn, hello);
      this.waiting.get(pn)?.(hello);
      return node('iq', { from: 's.whatsapp.net', type: 'result', id: iq.attrs.id }, [
        node('link_code_companion_reg', {}, [node('link_code_pairing_ref', {}, hello.ref)]),
      ]);
    }
    const hello = this.hellos.get(pn);
    const ref = bytes(child(reg, 'link_code_pairing_ref'));
    if (
      reg.attrs.stage === 'companion_finish' &&
      hello?.onFinish &&
      hello.connection === connection &&
      ref?.equals(hello.ref)
    ) {
      return hello.onFinish(iq);
    }
    return node('iq', { from: 's.whatsapp.net', type: 'error', id: iq.attrs.id }, [
      node('error', { code: '404', text: 'item-not-found' }),
    ]);
  }

  private async helloFor(pn: string, timeoutMs: number): Promise<Hello> {
    const known = this.hellos.get(pn);
    if (known?.connection.isOpen) {
      return known;
    }
    return new Promise<Hello>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(pn);
        reject(new Error(`no client asked for a pairing code for ${pn}`));
      }, timeoutMs);
      this.waiting.set(pn, (hello) => {
        clearTimeout(timer);
        this.waiting.delete(pn);
        resolve(hello);
      });
    });
  }
}

/**
 * The phone's check of `companion_finish`: the key bundle decrypts under the ephemeral shared
 * secret and names the client's identity and the phone's. Returns the ADV secret both derive.
 */
function finished(attempt: Attempt, connection: Connection, finish: BinaryNode): Buffer {
  const reg = child(finish, 'link_code_companion_reg');
  const wrapped = bytes(child(reg, 'link_code_pairing_wrapped_key_bundle'));
  const companionIdentity = bytes(child(reg, 'companion_identity_public'));
  if (!wrapped || !companionIdentity) {
    throw new Error('companion_finish without a key bundle or identity');
  }
  const shared = Curve.sharedKey(attempt.ephemeral.private, attempt.companionEphemeral);
  const key = hkdf(shared, 32, { salt: wrapped.subarray(0, 32), info: BUNDLE_INFO });
  let bundle: Buffer;
  try {
    bundle = aesDecryptGCM(wrapped.subarray(44), key, wrapped.subarray(32, 44), Buffer.alloc(0));
  } catch {
    throw new Error('the key bundle does not decrypt: the code entered is not the one the client showed');
  }
  const [identity, primary, random] = [bundle.subarray(0, 32), bundle.subarray(32, 64), bundle.subarray(64)];
  if (
    !identity.equals(companionIdentity) ||
    !identity.equals(connection.registration?.identityKey ?? Buffer.alloc(0))
  ) {
    throw new Error('the key bundle names another identity than the device registering');
  }
  if (!primary.equals(attempt.identity.public)) {
    throw new Error("the key bundle names another phone's identity");
  }
  const identityShared = Curve.sharedKey(attempt.identity.private, identity);
  return Buffer.from(hkdf(Buffer.concat([shared, identityShared, random]), 32, { info: 'adv_secret' }));
}

/** salt ‖ iv ‖ AES-CTR of a public key under the code's key, as both sides send theirs. */
async function wrap(publicKey: Uint8Array, code: string): Promise<Buffer> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  return Buffer.concat([salt, iv, aesEncryptCTR(publicKey, await derivePairingCodeKey(code, salt), iv)]);
}

/** Any code unwraps to 32 bytes; only the client's own gives its key back. */
async function unwrap(wrapped: Buffer, code: string): Promise<Buffer> {
  const key = await derivePairingCodeKey(code, wrapped.subarray(0, 32));
  return aesDecryptCTR(wrapped.subarray(48, 80), key, wrapped.subarray(32, 48));
}

const newId = () => randomBytes(8).toString('hex').toUpperCase();
