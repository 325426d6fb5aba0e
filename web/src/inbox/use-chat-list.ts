import { useCallback, useEffect, useEffectEvent, useRef, useState } from 'react';

import type { ApiError } from '../api/client';
import { api, asApiError, type Chat, unwrapPage } from '../api/client';
import { useCatchUp, useSocketEvent } from '../api/realtime';
import { activityOf, matchesFilter, sortChats } from './model';

const PAGE_SIZE = 30;

export interface ChatListState {
  /** Which list this is (session, filter, search); state of another key is never shown. */
  key: string;
  items: Chat[];
  nextCursor: string | null;
  hasMore: boolean;
  status: 'loading' | 'ready' | 'error';
  error: ApiError | null;
  loadingMore: boolean;
}

function blank(key: string): ChatListState {
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
 * A session's chats, newest activity first, a page at a time (cursor). Kept live from
 * `whatsapp:message` and `whatsapp:chat_updated`: a chat moves to its place, its unread count and
 * preview change, and it leaves a list it no longer matches (archived). Refetched after a
 * connection drop the server could not replay.
 */
export function useChatList(options: {
  sessionId: string | undefined;
  archived: boolean;
  search: string;
  onError: (error: ApiError) => void;
}) {
  const { sessionId, archived, search } = options;
  const key = sessionId ? `${sessionId}|${archived}|${search}` : '';
  const [state, setState] = useState<ChatListState>(() => blank(key));
  const [nonce, setNonce] = useState(0);
  const onError = useEffectEvent(options.onError);
  const keyRef = useRef(key);
  useEffect(() => {
    keyRef.current = key;
  }, [key]);

  const fetchPage = useCallback(
    (cursor: string | null, signal?: AbortSignal) =>
      unwrapPage(
        api.GET('/api/whatsapp/sessions/{sessionId}/chats', {
          params: {
            path: { sessionId: sessionId ?? '' },
            query: {
              limit: PAGE_SIZE,
              archived: archived ? 'true' : 'false',
              ...(search ? { search } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
          signal,
        }),
      ),
    [sessionId, archived, search],
  );

  useEffect(() => {
    if (!sessionId) {
      return;
    }
    const controller = new AbortController();
    fetchPage(null, controller.signal).then(
      ({ items, pagination }) => {
        if (!controller.signal.aborted) {
          setState({
            ...blank(key),
            items,
            nextCursor: pagination.nextCursor,
            hasMore: pagination.hasMore,
            status: 'ready',
          });
        }
      },
      (err: unknown) => {
        if (controller.signal.aborted) {
          return;
        }
        const error = asApiError(err);
        // A refetch that fails keeps what is shown; only a first load turns into an error.
        setState((s) =>
          s.key === key && s.status === 'ready' ? s : { ...blank(key), status: 'error', error },
        );
        onError(error);
      },
    );
    return () => controller.abort();
  }, [key, nonce, sessionId, fetchPage]);

  useCatchUp(() => setNonce((n) => n + 1));

  const current = state.key === key ? state : blank(key);

  const loadMore = () => {
    if (current.status !== 'ready' || !current.hasMore || current.loadingMore || !current.nextCursor) {
      return;
    }
    const at = key;
    setState((s) => (s.key === at ? { ...s, loadingMore: true } : s));
    fetchPage(current.nextCursor).then(
      ({ items, pagination }) => {
        setState((s) => {
          if (s.key !== at) {
            return s;
          }
          const known = new Set(s.items.map((c) => c.id));
          return {
            ...s,
            items: [...s.items, ...items.filter((c) => !known.has(c.id))],
            nextCursor: pagination.nextCursor,
            hasMore: pagination.hasMore,
            loadingMore: false,
          };
        });
      },
      (err: unknown) => {
        setState((s) => (s.key === at ? { ...s, loadingMore: false } : s));
        if (keyRef.current === at) {
          options.onError(asApiError(err));
        }
      },
    );
  };

  /** Puts a chat where it belongs now (or takes it out of a list it no longer matches). */
  const upsert = (chat: Chat) => {
    if (chat.sessionId !== sessionId) {
      return;
    }
    const at = key;
    setState((s) => {
      if (s.key !== at || s.status !== 'ready') {
        return s;
      }
      const present = s.items.some((c) => c.id === chat.id);
      const rest = s.items.filter((c) => c.id !== chat.id);
      if (!matchesFilter(chat, archived, search)) {
        return present ? { ...s, items: rest } : s;
      }
      // A chat older than the last one loaded belongs to a page not fetched yet.
      const last = rest.at(-1);
      if (!present && s.hasMore && last && activityOf(chat) < activityOf(last)) {
        return s;
      }
      return { ...s, items: sortChats([...rest, chat]) };
    });
  };

  useSocketEvent('whatsapp:message', (p) => upsert(p.chat));
  useSocketEvent('whatsapp:chat_updated', (p) => upsert(p.chat));

  return { ...current, loadMore, upsert, reload: () => setNonce((n) => n + 1) };
}
