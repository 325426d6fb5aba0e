import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard, in node:crypto). Parameters are stored in each hash,
 * so the cost can be raised later without invalidating existing passwords.
 * Default: N=2^15, r=8, p=3 (32 MiB, one of OWASP's recommended scrypt settings).
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string | null): Promise<boolean>;
}

const KEY_LENGTH = 32;
const R = 8;
const P = 3;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export function createPasswordHasher(costLog2 = 15): PasswordHasher {
  const n = 2 ** costLog2;
  const hash = async (password: string) => {
    const salt = randomBytes(16);
    const key = await derive(password, salt, n, R, P);
    return ['scrypt', n, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
  };
  // Unknown emails and password-less users are checked against this, so every failed login
  // costs one full derivation and answers in the same time as a wrong password.
  let decoy: Promise<string> | undefined;

  return {
    hash,
    async verify(password, stored) {
      const parts = (stored ?? (await (decoy ??= hash(randomBytes(16).toString('hex'))))).split('$');
      const [scheme, nText, rText, pText, saltText, keyText] = parts;
      if (scheme !== 'scrypt' || !saltText || !keyText) {
        return false;
      }
      const expected = Buffer.from(keyText, 'base64url');
      const actual = await derive(
        password,
        Buffer.from(saltText, 'base64url'),
        Number(nText),
        Number(rText),
        Number(pText),
      );
      return stored !== null && actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}
