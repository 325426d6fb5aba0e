import { WA_CERT_DETAILS } from 'baileys';

import { STANDIN_ROOT } from './certs.js';

const whatsAppRoot = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);

/**
 * Makes the Baileys client of this process trust the stand-in's certificate root instead of
 * WhatsApp's. Test code only: Baileys reads the root at verify time, so this must run in the
 * process that runs the client (in-process tests call it; a server in its own process gets the
 * same from the preload trust.mjs).
 */
export function trustStandin(): void {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(STANDIN_ROOT.public);
}

/** Back to WhatsApp's own root. */
export function trustWhatsAppOnly(): void {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(whatsAppRoot);
}
