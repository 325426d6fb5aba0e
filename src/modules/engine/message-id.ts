import { randomBytes } from 'node:crypto';

/** A WhatsApp-style message id (as WhatsApp Web makes them), chosen by us for our own sends. */
export function newWaMessageId(): string {
  return `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
}
