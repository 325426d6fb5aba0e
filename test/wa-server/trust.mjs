// Preload for a server that a test starts in its own process:
//   node --import ./test/wa-server/trust.mjs dist/main.js
// Makes that process's Baileys client trust the WhatsApp server stand-in's certificate root
// (test/wa-server/certs.ts) instead of WhatsApp's, as trustStandin() does in-process. Plain
// JavaScript, so that node runs it without a TypeScript loader. `baileys` resolves from this
// file to the project's own node_modules, the module instance the server imports too.
// Test code only: nothing in src/ can change which root the engine trusts.
import { WA_CERT_DETAILS } from 'baileys';

/** The stand-in root's public key; trust.test.ts checks it against the derivation in certs.ts. */
export const STANDIN_ROOT_PUBLIC_HEX = '9fa0aebd7b8533406163e50849bee718ac17af2c0474a177ab6bcdfab313e96d';

WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(STANDIN_ROOT_PUBLIC_HEX, 'hex');
