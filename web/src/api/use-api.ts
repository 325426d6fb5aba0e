import { type DependencyList, useCallback, useEffect, useEffectEvent, useState } from 'react';

import type { ApiError } from './client';
import { asApiError } from './client';
import { useCatchUp } from './realtime';

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  /** Loads again (keeps showing the current data meanwhile). */
  reload: () => void;
  /** Replaces the data locally, e.g. from a socket event. */
  setData: (update: T | ((current: T | undefined) => T)) => void;
}

/**
 * Loads `load()` on mount and whenever `deps` change, and again after a connection drop the server
 * could not replay (`useCatchUp`). A newer load wins over an older one still in flight.
 *
 *   const sessions = useApi((signal) => unwrap(api.GET('/api/whatsapp/sessions', { signal })), []);
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): ApiState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [reloads, setReloads] = useState(0);
  const run = useEffectEvent(load);

  useEffect(() => {
    const controller = new AbortController();
    // The flag follows the request this effect starts; the result arrives in the callbacks below.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setLoading(true);
    run(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) {
          setData(value);
          setError(null);
          setLoading(false);
        }
      },
      (err: unknown) => {
        if (!controller.signal.aborted) {
          setError(asApiError(err));
          setLoading(false);
        }
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's deps decide when to reload
  }, [...deps, reloads]);

  const reload = useCallback(() => setReloads((n) => n + 1), []);
  useCatchUp(reload);

  return { data, error, loading, reload, setData };
}
