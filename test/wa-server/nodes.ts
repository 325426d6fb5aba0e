import type { BinaryNode } from 'baileys';

/** Small builders and readers for binary nodes, so the server reads like the stanzas it writes. */

export const node = (
  tag: string,
  attrs: Record<string, string | undefined> = {},
  content?: BinaryNode[] | Uint8Array | string,
): BinaryNode => {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) {
      clean[key] = value;
    }
  }
  return content === undefined ? { tag, attrs: clean } : { tag, attrs: clean, content };
};

export const children = (parent: BinaryNode | undefined, tag?: string): BinaryNode[] =>
  Array.isArray(parent?.content) ? parent.content.filter((child) => !tag || child.tag === tag) : [];

export const child = (parent: BinaryNode | undefined, tag: string): BinaryNode | undefined =>
  children(parent, tag)[0];

export const bytes = (parent: BinaryNode | undefined): Buffer | undefined => {
  const content = parent?.content;
  if (content instanceof Uint8Array) {
    return Buffer.from(content);
  }
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : undefined;
};

export const bigEndian = (value: number, length: number): Buffer => {
  const out = Buffer.alloc(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = value & 0xff;
    value >>>= 8;
  }
  return out;
};

export const readBigEndian = (buffer: Uint8Array | undefined): number =>
  buffer ? buffer.reduce((value, byte) => value * 256 + byte, 0) : 0;

export const unixSeconds = (at: Date = new Date()): string => String(Math.floor(at.getTime() / 1000));

/** `123:4@s.whatsapp.net` → { user: '123', device: 4, server: 's.whatsapp.net' }. */
export const splitJid = (jid: string): { user: string; device: number; server: string } => {
  const [address = '', server = ''] = jid.split('@');
  const [userPart = '', device = '0'] = address.split(':');
  const user = userPart.split('_')[0] ?? userPart;
  return { user, device: Number(device) || 0, server };
};
