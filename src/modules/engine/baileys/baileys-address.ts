import { isJidBroadcast, isJidNewsletter, isJidStatusBroadcast, type WAMessageKey } from 'baileys';

import { parseWaAddress, type WaAddress } from '../wa-address.js';

/**
 * Who and where a Baileys key points at, in contract form: the chat, the person on the other side
 * of a direct chat or the author in a group, each with both its phone and hidden ids when the key
 * carries them and they may be trusted (see the decisions in baileys-mapper.ts).
 */

export interface Person {
  phone: { waChatId: string; phoneNumber: string } | null;
  lid: string | null;
}

export interface Own {
  phone: { waChatId: string; phoneNumber: string } | null;
  lid: string | null;
}

export const NO_OWN: Own = { phone: null, lid: null };

/** Where a message belongs: the chat, and the person on the other side (direct) or the author (group). */
export interface Where {
  chatWaId: string;
  chatAltWaId: string | null;
  isGroup: boolean;
  peer: Person | null;
  author: Person | null;
}

export function readJid(jid: string | null | undefined): WaAddress | null {
  return jid?.includes('@') ? parseWaAddress(jid) : null;
}

export function personOf(address: WaAddress | null): Person | null {
  if (address?.kind === 'person') {
    return { phone: { waChatId: address.waChatId, phoneNumber: address.phoneNumber }, lid: null };
  }
  return address?.kind === 'lid' ? { phone: null, lid: address.lid } : null;
}

export function ownOf(context: { ownPhone?: string | null; ownLid?: string | null }): Own {
  const phone = personOf(context.ownPhone ? parseWaAddress(context.ownPhone) : null)?.phone ?? null;
  const lid = personOf(readJid(context.ownLid))?.lid ?? null;
  return { phone, lid };
}

export function isOwn(person: Person, own: Own): boolean {
  return (
    (person.phone !== null && person.phone.phoneNumber === own.phone?.phoneNumber) ||
    (person.lid !== null && person.lid === own.lid)
  );
}

/** The primary id completed by its alternate, when that is the other form and may be trusted. */
function withAlt(primary: Person, alt: Person | null, trust: (alt: Person) => boolean): Person {
  if (!alt || !trust(alt)) {
    return primary;
  }
  if (!primary.phone && alt.phone) {
    return { phone: alt.phone, lid: primary.lid };
  }
  if (!primary.lid && alt.lid) {
    return { phone: primary.phone, lid: alt.lid };
  }
  return primary;
}

export function waIdOf(person: Person): string {
  return person.phone?.waChatId ?? person.lid ?? '';
}

function direct(peer: Person): Where {
  return {
    chatWaId: waIdOf(peer),
    chatAltWaId: peer.phone && peer.lid ? peer.lid : null,
    isGroup: false,
    peer,
    author: null,
  };
}

export function locate(key: WAMessageKey, participant: string | null | undefined, own: Own): Where | null {
  const remoteJid = key.remoteJid;
  if (!remoteJid || isJidStatusBroadcast(remoteJid) || isJidNewsletter(remoteJid)) {
    return null;
  }
  const fromMe = key.fromMe === true;
  if (isJidBroadcast(remoteJid)) {
    // A broadcast list reaches each recipient as a direct message from the sender (Baileys'
    // getChatId); what we sent to a list has no chat of its own.
    const sender = fromMe ? null : personOf(readJid(participant));
    if (!sender) {
      return null;
    }
    const alt = personOf(readJid(key.participantAlt ?? key.remoteJidAlt));
    return direct(withAlt(sender, alt, (a) => !isOwn(a, own)));
  }
  const address = readJid(remoteJid);
  if (address?.kind === 'group') {
    const sender = personOf(readJid(participant));
    const author = sender ? withAlt(sender, personOf(readJid(key.participantAlt)), () => true) : null;
    return { chatWaId: address.waChatId, chatAltWaId: null, isGroup: true, peer: null, author };
  }
  const primary = personOf(address);
  if (!primary) {
    return null;
  }
  const ownKnown = (a: Person) => (a.phone ? own.phone !== null : own.lid !== null);
  const alt = personOf(readJid(key.remoteJidAlt));
  return direct(withAlt(primary, alt, (a) => !isOwn(a, own) && (!fromMe || ownKnown(a))));
}
