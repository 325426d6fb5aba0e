import {
  type AuthenticationCreds,
  type AuthenticationState,
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from 'baileys';
import type { Logger } from 'pino';

import type { CredentialStore } from '../engine.js';

const CREDS_KEY = 'creds';
const keyOf = (type: string, id: string) => `${type}:${id}`;

/** Buffers survive the round trip only through Baileys' own replacer and reviver. */
export const serialize = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer);
export const deserialize = <T>(text: string): T => JSON.parse(text, BufferJSON.reviver) as T;

export interface BaileysAuth {
  state: AuthenticationState;
  /** Writes the whole creds object (Baileys mutates it in place; `creds.update` carries only a part). */
  saveCreds: () => Promise<void>;
  /** Whether these credentials belong to a linked device (a restart needs no QR). */
  paired: () => boolean;
  /**
   * Drops a pairing code asked for on an earlier socket that no phone completed. Baileys writes the
   * number into the credentials (`me`) as soon as a code is asked, and a socket with `me` logs in
   * instead of registering: WhatsApp refuses that login as logged out, no device having been linked.
   */
  forgetUnfinishedPairing: () => void;
}

/**
 * Baileys' auth state over our encrypted credential store: `creds` as one entry, every signal key
 * (`pre-key`, `session`, `lid-mapping`, …) as `type:id` entries. A multi-key write is one
 * transaction in the store (null deletes), as Baileys' transaction layer requires; reads go
 * through Baileys' cache, created once per session so it outlives reconnects.
 */
export async function loadBaileysAuth(store: CredentialStore, logger: Logger): Promise<BaileysAuth> {
  const stored = (await store.get([CREDS_KEY])).get(CREDS_KEY);
  const creds: AuthenticationCreds = stored ? deserialize<AuthenticationCreds>(stored) : initAuthCreds();

  const keys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const found = await store.get(ids.map((id) => keyOf(type, id)));
      const result: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const text = found.get(keyOf(type, id));
        if (text === undefined) {
          continue;
        }
        const value = deserialize<SignalDataTypeMap[T]>(text);
        result[id] =
          type === 'app-state-sync-key'
            ? (proto.Message.AppStateSyncKeyData.fromObject(
                value as object,
              ) as unknown as SignalDataTypeMap[T])
            : value;
      }
      return result;
    },
    async set(data: SignalDataSet) {
      const entries: Record<string, string | null> = {};
      for (const [type, values] of Object.entries(data)) {
        for (const [id, value] of Object.entries(values ?? {})) {
          entries[keyOf(type, id)] = value ? serialize(value) : null;
        }
      }
      await store.set(entries);
    },
    async clear() {
      await store.clear();
    },
  };

  const paired = () => Boolean(creds.account ?? creds.me?.lid);
  return {
    state: { creds, keys: makeCacheableSignalKeyStore(keys, logger) },
    saveCreds: () => store.set({ [CREDS_KEY]: serialize(creds) }),
    paired,
    forgetUnfinishedPairing: () => {
      if (creds.pairingCode && !paired()) {
        creds.me = undefined;
        creds.pairingCode = undefined;
        creds.registered = false;
      }
    },
  };
}
