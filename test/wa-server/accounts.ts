import type { BinaryNode } from 'baileys';

import type { PreKeyBundle } from './peer.js';
import { SignalPeer } from './peer.js';

/** A WhatsApp account the stand-in knows: a number, its hidden id, a name and its phone (device 0). */
export interface Account {
  pn: string;
  lid: string;
  name: string;
  /** The account's phone, a device the stand-in plays. */
  phone: SignalPeer;
  /** Devices linked to this account (the service's sessions), by device number. */
  companions: Map<number, Companion>;
}

/** A linked device: the Baileys client of a session, as the server knows it. */
export interface Companion {
  account: Account;
  device: number;
  platform: string;
  registrationId: number;
  identityKey: Buffer;
  signedPreKey?: { keyId: number; publicKey: Buffer; signature: Buffer };
  preKeys: Map<number, Buffer>;
  /** Stanzas delivered and not yet acknowledged, redelivered on the next login. */
  unacknowledged: Map<string, BinaryNode>;
  /** Whether the phone has sent the first history sync to this device. */
  historySent: boolean;
  loggedOut: boolean;
}

export const pnJid = (account: Account, device?: number): string =>
  device ? `${account.pn}:${device}@s.whatsapp.net` : `${account.pn}@s.whatsapp.net`;

export const lidJid = (account: Account, device?: number): string =>
  device ? `${account.lid}:${device}@lid` : `${account.lid}@lid`;

/** The address the stand-in's devices use for their Signal sessions with a companion. */
export const companionAddress = (companion: Companion): string =>
  `${companion.account.pn}_${companion.device}`;

/** The companion's prekey bundle, taking one one-time prekey as WhatsApp's server does. */
export function takeBundle(companion: Companion): PreKeyBundle {
  if (!companion.signedPreKey) {
    throw new Error(`device ${companion.device} of ${companion.account.pn} uploaded no keys yet`);
  }
  const first = companion.preKeys.entries().next();
  let preKey: PreKeyBundle['preKey'];
  if (!first.done) {
    const [keyId, publicKey] = first.value;
    companion.preKeys.delete(keyId);
    preKey = { keyId, publicKey };
  }
  return {
    registrationId: companion.registrationId,
    identityKey: companion.identityKey,
    signedPreKey: companion.signedPreKey,
    preKey,
  };
}

let lidCounter = 100_000_000_000_000;

export function newAccount(input: { pn: string; lid?: string; name: string }): Account {
  return {
    pn: input.pn,
    lid: input.lid ?? String(lidCounter++),
    name: input.name,
    phone: new SignalPeer(),
    companions: new Map(),
  };
}
