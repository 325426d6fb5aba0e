import { normalizePhone } from '../../shared/phone.js';

/**
 * WhatsApp addresses, normalized to the contract's ("seed's") forms:
 *   people  `79991234567@c.us`  (WhatsApp Web also writes `@s.whatsapp.net`)
 *   groups  `120363…@g.us`
 *   hidden-number contacts `123456789@lid` (kept separately and resolved to a phone where known)
 */
export type WaAddress =
  | { kind: 'person'; waChatId: string; phoneNumber: string }
  | { kind: 'group'; waChatId: string }
  | { kind: 'lid'; lid: string };

const PERSON = /^(\d{5,20})(?::\d+)?@(c\.us|s\.whatsapp\.net)$/;
const GROUP = /^(\d{5,40}(?:-\d{5,20})?)@g\.us$/;
const LID = /^(\d{5,30})(?::\d+)?@lid$/;

/** Parses a WhatsApp id in any of its forms, or a bare phone number. Null if it is neither. */
export function parseWaAddress(input: string): WaAddress | null {
  const value = input.trim().toLowerCase();
  const person = PERSON.exec(value);
  if (person) {
    return { kind: 'person', waChatId: `${person[1]}@c.us`, phoneNumber: person[1]! };
  }
  const group = GROUP.exec(value);
  if (group) {
    return { kind: 'group', waChatId: `${group[1]}@g.us` };
  }
  const lid = LID.exec(value);
  if (lid) {
    return { kind: 'lid', lid: `${lid[1]}@lid` };
  }
  const phone = normalizePhone(input);
  return phone ? { kind: 'person', waChatId: `${phone}@c.us`, phoneNumber: phone } : null;
}
