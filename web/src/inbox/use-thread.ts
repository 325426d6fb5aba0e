import type { ApiError } from '../api/client';
import { api, type Chat, type Message, unwrapPage } from '../api/client';
import { useSocketEvent } from '../api/realtime';
import { isPhoneRef } from '../shared/phone';
import type { Right } from '../shared/rights';
import { mergeStatus, type ThreadMessage, upsertMessages } from './model';
import { blankPages, type KeyedPagesState, useKeyedPages } from './use-keyed-pages';
import { type OutboxThreadState, useOutbox } from './use-outbox';

const PAGE_SIZE = 40;

/** One chat's messages (`items`, oldest first), under the key `sessionId/chatRef`. */
export interface ThreadState extends KeyedPagesState<ThreadMessage, 'new'>, OutboxThreadState {
  /** The chat's id once known (the reference may be a phone number). */
  chatId: string | null;
  /** The chat as last reported by an event or an action, for when it is not in the loaded list. */
  chat: Chat | null;
}

function blankThread(key: string): ThreadState {
  return { ...blankPages<ThreadMessage>(key), chatId: null, chat: null, earlyStatuses: {} };
}

/**
 * One chat's messages: the newest page first, older pages on demand (cursor), live events merged in
 * (new, sent, status, edited/deleted), and the messages this console sends (`useOutbox`).
 */
export function useThread(options: {
  sessionId: string | undefined;
  chatRef: string | undefined;
  /** The chat's id when the caller knows it (from the chat list). */
  knownChatId: string | undefined;
  /** The signed-in user, whose own sends are recognised when they come back as events. */
  userId: string;
  onError: (error: ApiError, right?: Right) => void;
}) {
  const { sessionId, chatRef } = options;
  const key = sessionId && chatRef ? `${sessionId}/${chatRef}` : '';
  const pages = useKeyedPages<ThreadMessage, ThreadState>({
    key,
    blank: blankThread,
    fetchPage: (cursor, signal) =>
      unwrapPage(
        api.GET('/api/whatsapp/sessions/{sessionId}/chats/{chatId}/messages', {
          params: {
            path: { sessionId: sessionId ?? '', chatId: chatRef ?? '' },
            query: { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
          },
          signal,
        }),
      ),
    // The newest page: the first load, a retry, and the catch-up after a drop. Messages already
    // shown stay when the page overlaps them; a page with none of them (many arrived meanwhile)
    // replaces them.
    withFirstPage: (base, { items, pagination }) => {
      const fresh = [...items].reverse();
      const known = new Set(base.items.map((m) => m.id));
      const overlaps = fresh.some((m) => known.has(m.id)) || !pagination.hasMore;
      const keep = overlaps ? base.items : base.items.filter((m) => m.localKey);
      return {
        ...base,
        status: 'ready',
        error: null,
        items: upsertMessages(keep, fresh),
        nextCursor: overlaps && base.status === 'ready' ? base.nextCursor : pagination.nextCursor,
        hasMore: overlaps && base.status === 'ready' ? base.hasMore : pagination.hasMore,
        chatId: fresh[0]?.chatId ?? base.chatId,
      };
    },
    // A phone number with no chat yet: the first message sent starts one.
    firstPageFailure: (error) =>
      error.status === 404 && error.code === 'CHAT_NOT_FOUND' && chatRef && isPhoneRef(chatRef)
        ? (s) => (s.items.length > 0 ? s : { ...blankThread(s.key), status: 'new' })
        : null,
    withMoreItems: upsertMessages,
    onError: options.onError,
  });
  const { current, update } = pages;
  const chatId = current.chatId ?? options.knownChatId ?? null;

  const outbox = useOutbox<ThreadState>({
    key,
    sessionId,
    chatRef,
    chatId,
    userId: options.userId,
    messages: current.items,
    update,
    onError: options.onError,
  });

  // --- Live events ------------------------------------------------------------------------------------

  const isThisChat = (p: { sessionId: string; chatId: string }, chat?: Chat) =>
    p.sessionId === sessionId &&
    (p.chatId === chatId ||
      p.chatId === chatRef ||
      (chat?.phoneNumber != null && chat.phoneNumber === chatRef));

  const addOrUpdate = (message: Message, chat?: Chat) =>
    update(key, (s) => {
      if (s.status === 'loading') {
        return s;
      }
      return {
        ...s,
        status: s.status === 'new' ? 'ready' : s.status,
        chatId: message.chatId,
        chat: chat ?? s.chat,
        items: upsertMessages(outbox.withArrived(s.items, message), [message]),
      };
    });

  useSocketEvent('whatsapp:message', (p) => {
    if (isThisChat(p, p.chat)) {
      addOrUpdate(p.message, p.chat);
    }
  });
  useSocketEvent('whatsapp:message_sent', (p) => {
    if (isThisChat(p)) {
      addOrUpdate(p.message);
    }
  });
  useSocketEvent('whatsapp:message_updated', (p) => {
    if (isThisChat(p)) {
      addOrUpdate(p.message);
    }
  });
  useSocketEvent('whatsapp:message_status', (p) => {
    if (isThisChat(p)) {
      update(key, (s) => {
        if (!s.items.some((m) => m.id === p.messageId)) {
          return outbox.withEarlyStatus(s, p.messageId, p.status);
        }
        return {
          ...s,
          items: s.items.map((m) => {
            if (m.id !== p.messageId) {
              return m;
            }
            const status = mergeStatus(m.status, p.status);
            // A refusal says why; the bubble shows it.
            return { ...m, status, error: status === 'failed' ? (p.error ?? m.error) : m.error };
          }),
        };
      });
    }
  });
  useSocketEvent('whatsapp:chat_updated', (p) => {
    if (isThisChat({ sessionId: p.sessionId, chatId: p.chat.id }, p.chat)) {
      update(key, (s) => ({ ...s, chat: p.chat, chatId: p.chat.id }));
    }
  });

  /** An action answered with the chat (read, archive, pin). */
  const setChat = (chat: Chat) => update(key, (s) => ({ ...s, chat, chatId: chat.id }));

  return {
    ...current,
    messages: current.items,
    loadingOlder: current.loadingMore,
    chatId,
    loadOlder: pages.loadMore,
    send: outbox.send,
    retry: outbox.retry,
    setChat,
    reload: pages.reload,
  };
}
