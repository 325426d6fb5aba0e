import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for values at rest. Layout: 12-byte IV, 16-byte tag, ciphertext. The associated
 * data binds a ciphertext to where it belongs (e.g. session and key), so rows cannot be swapped.
 */
export interface Cipher {
  encrypt(plaintext: string, associatedData: string): Buffer;
  decrypt(sealed: Buffer, associatedData: string): string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createCipher(key: Buffer): Cipher {
  if (key.length !== 32) {
    throw new Error('AES-256-GCM needs a 32-byte key');
  }
  return {
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt(sealed, associatedData) {
      const iv = sealed.subarray(0, IV_BYTES);
      const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
