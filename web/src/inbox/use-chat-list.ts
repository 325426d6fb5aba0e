import type { ApiError } from '../api/client';
import { api, type Chat, unwrapPage } from '../api/client';
import { useSocketEvent } from '../api/realtime';
import { activityOf, matchesFilter, sortChats } from './model';
import { blankPages, type KeyedPagesState, useKeyedPages } from './use-keyed-pages';

const PAGE_SIZE = 30;

export type ChatListState = KeyedPagesState<Chat>;

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
  const pages = useKeyedPages<Chat, ChatListState>({
    key,
    blank: blankPages,
    fetchPage: (cursor, signal) =>
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
    onError: options.onError,
  });

  /** Puts a chat where it belongs now (or takes it out of a list it no longer matches). */
  const upsert = (chat: Chat) => {
    if (chat.sessionId !== sessionId) {
      return;
    }
    pages.update(key, (s) => {
      if (s.status !== 'ready') {
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

  return { ...pages.current, loadMore: pages.loadMore, upsert, reload: pages.reload };
}
