import { type AuthenticationState, BufferJSON, initAuthCreds, type SignalDataTypeMap } from 'baileys';

/** An in-memory auth state for bare Baileys, kept through JSON as a real store would keep it. */
export function memoryAuth(): AuthenticationState {
  const store = new Map<string, string>();
  return {
    creds: initAuthCreds(),
    keys: {
      get: <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const found: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const id of ids) {
          const raw = store.get(`${type}:${id}`);
          if (raw) {
            found[id] = JSON.parse(raw, BufferJSON.reviver) as SignalDataTypeMap[T];
          }
        }
        return Promise.resolve(found);
      },
      set: (data) => {
        for (const [type, entries] of Object.entries(data)) {
          for (const [id, value] of Object.entries(entries ?? {})) {
            if (value) {
              store.set(`${type}:${id}`, JSON.stringify(value, BufferJSON.replacer));
            } else {
              store.delete(`${type}:${id}`);
            }
          }
        }
        return Promise.resolve();
      },
    },
  };
}
