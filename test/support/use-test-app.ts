import type { DestinationStream } from 'pino';
import { afterAll, beforeAll } from 'vitest';

import type { EnvInput } from '../../src/config.js';
import { createTestApp, type TestApp, type TestDatabaseOptions } from './test-app.js';

export interface UseTestAppOptions extends TestDatabaseOptions {
  logStream?: DestinationStream;
  /** Listens on a free port of 127.0.0.1 (for sockets). */
  listen?: boolean;
  /** Runs before the app closes, e.g. to close the file's sockets. */
  beforeClose?: () => void | Promise<void>;
}

/**
 * One app for the enclosing file or `describe`: created before its tests, closed after them. The
 * returned app stands for the one created; `restart()` replaces it, so `app = await app.restart()`
 * reads as with a plain app.
 */
export function useTestApp(overrides: EnvInput = {}, options: UseTestAppOptions = {}): TestApp {
  let current: TestApp | undefined;
  beforeAll(async () => {
    current = await createTestApp(overrides, options);
    if (options.listen) {
      await current.http.listen({ port: 0, host: '127.0.0.1' });
    }
  });
  afterAll(async () => {
    await options.beforeClose?.();
    await current?.close();
  });

  const restart: TestApp['restart'] = async (restartOptions) => {
    current = await created().restart(restartOptions);
    return app;
  };
  const created = (): TestApp => {
    if (!current) {
      throw new Error('useTestApp: the app exists once the beforeAll hooks have run');
    }
    return current;
  };
  const app = new Proxy({} as TestApp, {
    get(_target, key) {
      if (key === 'restart') {
        return restart;
      }
      // Not a promise (so it can be returned from an async function), and inspectable before it exists.
      if (key === 'then' || typeof key === 'symbol') {
        return current ? (current as unknown as Record<PropertyKey, unknown>)[key] : undefined;
      }
      return (created() as unknown as Record<string, unknown>)[key];
    },
  });
  return app;
}
