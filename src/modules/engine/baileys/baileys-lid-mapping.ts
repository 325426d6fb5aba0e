import type { BaileysAuth } from './baileys-auth-store.js';

/**
 * Baileys' persisted mapping between hidden ids and phone numbers (its `lid-mapping` keys: the
 * number's user → the hidden id's user, and `<lid user>_reverse` → the number's user), read from
 * our store without asking the network. Baileys writes it as it learns pairs: from a message that
 * names its sender both ways (`sender_pn`, `participant_pn`), the history sync, device queries.
 */
export function createLidMapping(auth: () => BaileysAuth | null) {
  const read = async (ids: string[]): Promise<Record<string, string>> => {
    const state = auth()?.state;
    if (ids.length === 0 || !state) {
      return {};
    }
    return state.keys.get('lid-mapping', ids);
  };

  return {
    /** The hidden id's user of a number's user, when known. */
    async lidOf(phoneUser: string): Promise<string | null> {
      return (await read([phoneUser]))[phoneUser] ?? null;
    },

    /** The number's user of each hidden id's user that has one. */
    async phonesOf(lidUsers: string[]): Promise<Map<string, string>> {
      const found = await read(lidUsers.map((user) => `${user}_reverse`));
      const phones = new Map<string, string>();
      for (const user of lidUsers) {
        const phone = found[`${user}_reverse`];
        if (phone) {
          phones.set(user, phone);
        }
      }
      return phones;
    },
  };
}

export type LidMapping = ReturnType<typeof createLidMapping>;
