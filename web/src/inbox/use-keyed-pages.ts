import { useEffect, useEffectEvent, useRef, useState } from 'react';

import type { ApiError, Pagination } from '../api/client';
import { asApiError } from '../api/client';
import { useCatchUp } from '../api/realtime';
import { appendById } from '../shared/lists';

/**
 * One list the API pages by cursor, as shown: the state of the list named `key`. A list may have
 * statuses of its own besides these (`Status`).
 */
export interface KeyedPagesState<Item, Status extends string = never> {
  /** Which list this is (e.g. session, filter, search); state of another key is never shown. */
  key: string;
  items: Item[];
  /** The cursor of the next page. */
  nextCursor: string | null;
  hasMore: boolean;
  status: 'loading' | 'ready' | 'error' | Status;
  error: ApiError | null;
  loadingMore: boolean;
}

export interface Page<Item> {
  items: Item[];
  pagination: Pagination;
}

/** The fields every list starts with under a new key: nothing loaded yet. */
export function blankPages<Item>(key: string): KeyedPagesState<Item> {
  return {
    key,
    items: [],
    nextCursor: null,
    hasMore: false,
    status: 'loading',
    error: null,
    loadingMore: false,
  };
}

/**
 * A list loaded a page at a time, for whatever `key` names now: the first page when the key
 * changes, on `reload` and after a connection drop the server could not replay; further pages on
 * `loadMore`. An answer for a key that is no longer current is dropped, and a request for a key
 * left behind is aborted. `key` empty: nothing to load.
 *
 * `State` may carry more than the list (the thread's chat, say): `blank` gives its start under a
 * key. `update(key, change)` changes the state only while it is still that key's.
 */
export function useKeyedPages<
  Item extends { id: string },
  State extends KeyedPagesState<Item, string>,
>(options: {
  key: string;
  blank: (key: string) => State;
  fetchPage: (cursor: string | null, signal?: AbortSignal) => Promise<Page<Item>>;
  /**
   * The state after the first page arrived. `base` is what is shown for this key when it is ready
   * (a reload, a catch-up), else a blank state. By default the page replaces the list.
   */
  withFirstPage?: (base: State, page: Page<Item>) => State;
  /**
   * A first page that failed in a way that is no error to show: the change to make instead, or
   * null. By default a failure keeps a list that is shown, or shows the error, and reports it.
   */
  firstPageFailure?: (error: ApiError) => ((current: State) => State) | null;
  /** The list with a further page added; by default the items not already there are appended. */
  withMoreItems?: (current: Item[], more: Item[]) => Item[];
  onError: (error: ApiError) => void;
}) {
  const { key, blank } = options;
  const [state, setState] = useState<State>(() => blank(key));
  const [reloads, setReloads] = useState(0);
  const fetchFirst = useEffectEvent((signal: AbortSignal) => options.fetchPage(null, signal));
  const settleFirst = useEffectEvent((at: string, page: Page<Item>) =>
    setState((s) => {
      const base = s.key === at && s.status === 'ready' ? s : blank(at);
      return options.withFirstPage
        ? options.withFirstPage(base, page)
        : {
            ...blank(at),
            items: page.items,
            nextCursor: page.pagination.nextCursor,
            hasMore: page.pagination.hasMore,
            status: 'ready',
          };
    }),
  );
  const failFirst = useEffectEvent((at: string, error: ApiError) => {
    const instead = options.firstPageFailure?.(error);
    if (instead) {
      setState((s) => instead(s.key === at ? s : blank(at)));
      return;
    }
    // A refetch that fails keeps what is shown; only a first load turns into an error.
    setState((s) => (s.key === at && s.status === 'ready' ? s : { ...blank(at), status: 'error', error }));
    options.onError(error);
  });
  const keyRef = useRef(key);
  useEffect(() => {
    keyRef.current = key;
  }, [key]);

  useEffect(() => {
    if (!key) {
      return;
    }
    const controller = new AbortController();
    fetchFirst(controller.signal).then(
      (page) => {
        if (!controller.signal.aborted) {
          settleFirst(key, page);
        }
      },
      (err: unknown) => {
        if (!controller.signal.aborted) {
          failFirst(key, asApiError(err));
        }
      },
    );
    return () => controller.abort();
  }, [key, reloads]);

  const reload = () => setReloads((n) => n + 1);
  useCatchUp(reload);

  /** Only while `at` is still the list shown. */
  const update = (at: string, change: (s: State) => State) => {
    setState((s) => (s.key === at ? change(s) : s));
  };

  const current = state.key === key ? state : blank(key);

  const loadMore = () => {
    if (current.status !== 'ready' || !current.hasMore || current.loadingMore || !current.nextCursor) {
      return;
    }
    const at = key;
    const withMore = options.withMoreItems ?? appendById;
    update(at, (s) => ({ ...s, loadingMore: true }));
    options.fetchPage(current.nextCursor).then(
      ({ items, pagination }) =>
        update(at, (s) => ({
          ...s,
          items: withMore(s.items, items),
          nextCursor: pagination.nextCursor,
          hasMore: pagination.hasMore,
          loadingMore: false,
        })),
      (err: unknown) => {
        update(at, (s) => ({ ...s, loadingMore: false }));
        if (keyRef.current === at) {
          options.onError(asApiError(err));
        }
      },
    );
  };

  return { current, update, loadMore, reload };
}
