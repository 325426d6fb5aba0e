import { createHash } from 'node:crypto';

import { Curve, type KeyPair, proto } from 'baileys';
import * as curve from 'libsignal/src/curve.js';

// Untyped in the package's declarations.
const { getPublicFromPrivateKey } = curve as unknown as {
  getPublicFromPrivateKey: (privateKey: Uint8Array) => Uint8Array;
};

/**
 * The stand-in's own certificate root. Its private key is derived from a fixed phrase, so every
 * test process signs with the same root; it signs nothing outside tests. The preload for a server
 * in its own process (trust.mjs, plain JavaScript) carries the public key as a constant, which
 * trust.test.ts checks against this derivation.
 */
const ROOT_PRIVATE = createHash('sha256').update('wa-server stand-in root, tests only').digest();
ROOT_PRIVATE[0]! &= 248;
ROOT_PRIVATE[31]! &= 127;
ROOT_PRIVATE[31]! |= 64;

export const STANDIN_ROOT: KeyPair = {
  private: ROOT_PRIVATE,
  public: Buffer.from(getPublicFromPrivateKey(ROOT_PRIVATE)).subarray(1),
};

/** The serial WhatsApp's long-term root issues under; Baileys checks the intermediate names it. */
const ROOT_SERIAL = 0;

/**
 * A chain as WhatsApp presents it: an intermediate signed by `root`, and a leaf for the server's
 * static key signed by the intermediate. `root` defaults to the stand-in's; a test passes another
 * key to present a chain the client must refuse.
 */
export function makeCertChain(serverStatic: KeyPair, root: KeyPair = STANDIN_ROOT): Uint8Array {
  const intermediateKeys = Curve.generateKeyPair();
  const notAfter = Math.floor(Date.now() / 1000) + 365 * 24 * 3600;
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: ROOT_SERIAL,
    key: intermediateKeys.public,
    notBefore: 0,
    notAfter,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore: 0,
    notAfter,
  }).finish();
  return proto.CertChain.encode({
    intermediate: {
      details: intermediateDetails,
      signature: Curve.sign(root.private, intermediateDetails),
    },
    leaf: { details: leafDetails, signature: Curve.sign(intermediateKeys.private, leafDetails) },
  }).finish();
}
