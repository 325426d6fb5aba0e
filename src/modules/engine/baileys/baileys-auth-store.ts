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
  /**
   * No write after this: the device was logged out and its credentials are being deleted, and a
   * socket still winding down must not store them again. Resolves once writes under way are done.
   */
  close: () => Promise<void>;
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

  // Keys known to be absent. Baileys asks for some on every message (a contact's hidden id it has
  // never learned, …), and its cache keeps only what exists; this engine is the only writer of
  // its credentials (one place per session), so an absence stays true until it writes the key.
  const absent = new Set<string>();
  let closed = false;
  const writing = new Set<Promise<void>>();
  /** Writes unless closed, keeping track of the write until it is done. */
  const write = async (entries: Record<string, string | null>) => {
    if (closed) {
      return;
    }
    const done = store.set(entries);
    writing.add(done);
    try {
      await done;
    } finally {
      writing.delete(done);
    }
  };

  const keys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const wanted = new Set(ids.map((id) => keyOf(type, id)).filter((key) => !absent.has(key)));
      const found = wanted.size > 0 ? await store.get([...wanted]) : new Map<string, string>();
      const result: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const text = found.get(keyOf(type, id));
        if (text === undefined) {
          if (wanted.has(keyOf(type, id))) {
            absent.add(keyOf(type, id));
          }
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
      if (closed) {
        return;
      }
      const entries: Record<string, string | null> = {};
      for (const [type, values] of Object.entries(data)) {
        for (const [id, value] of Object.entries(values ?? {})) {
          entries[keyOf(type, id)] = value ? serialize(value) : null;
        }
      }
      await write(entries);
      for (const [key, text] of Object.entries(entries)) {
        if (text === null) {
          absent.add(key);
        } else {
          absent.delete(key);
        }
      }
    },
    async clear() {
      await store.clear();
      absent.clear();
    },
  };

  const paired = () => Boolean(creds.account ?? creds.me?.lid);
  return {
    state: { creds, keys: makeCacheableSignalKeyStore(keys, logger) },
    saveCreds: () => write({ [CREDS_KEY]: serialize(creds) }),
    paired,
    close: async () => {
      closed = true;
      await Promise.allSettled([...writing]);
    },
    forgetUnfinishedPairing: () => {
      if (creds.pairingCode && !paired()) {
        creds.me = undefined;
        creds.pairingCode = undefined;
        creds.registered = false;
      }
    },
  };
}
