import { useCallback, useEffect, useEffectEvent, useRef, useState } from 'react';

import type { ApiError } from '../api/client';
import { api, asApiError, type Chat, type Message, unwrap, unwrapPage } from '../api/client';
import { useCatchUp, useSocketEvent } from '../api/realtime';
import { isPhoneRef } from '../shared/phone';
import type { Right } from '../shared/rights';
import {
  isSameSend,
  lostInTransit,
  mergeStatus,
  type MessageStatus,
  newIdempotencyKey,
  type ThreadMessage,
  upsertMessages,
} from './model';

const PAGE_SIZE = 40;

export interface ThreadState {
  /** `sessionId/chatRef` this state belongs to. */
  key: string;
  /** Oldest first. */
  messages: ThreadMessage[];
  /** The cursor of the next older page. */
  nextCursor: string | null;
  hasMore: boolean;
  /** `new`: the reference is a phone number with no chat yet; the first message starts one. */
  status: 'loading' | 'ready' | 'new' | 'error';
  error: ApiError | null;
  loadingOlder: boolean;
  /** The chat's id once known (the reference may be a phone number). */
  chatId: string | null;
  /** The chat as last reported by an event or an action, for when it is not in the loaded list. */
  chat: Chat | null;
  /**
   * Status reports for messages not shown yet: a report can overtake the answer to the send that
   * created its message. Applied when that answer arrives.
   */
  early: Record<string, MessageStatus>;
}

function blank(key: string): ThreadState {
  return {
    key,
    messages: [],
    nextCursor: null,
    hasMore: false,
    status: 'loading',
    error: null,
    loadingOlder: false,
    chatId: null,
    chat: null,
    early: {},
  };
}

/**
 * One chat's messages: the newest page first, older pages on demand (cursor), live events merged in
 * (new, sent, status, edited/deleted), and messages this console sends shown at once as pending,
 * then replaced by the server's row. Each send carries its own Idempotency-Key, reused by a retry,
 * so a message is never stored twice.
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
  const { sessionId, chatRef, userId } = options;
  const key = sessionId && chatRef ? `${sessionId}/${chatRef}` : '';
  const [state, setState] = useState<ThreadState>(() => blank(key));
  const [nonce, setNonce] = useState(0);
  const onError = useEffectEvent(options.onError);
  const keyRef = useRef(key);
  useEffect(() => {
    keyRef.current = key;
  }, [key]);

  const fetchPage = useCallback(
    (cursor: string | null, signal?: AbortSignal) =>
      unwrapPage(
        api.GET('/api/whatsapp/sessions/{sessionId}/chats/{chatId}/messages', {
          params: {
            path: { sessionId: sessionId ?? '', chatId: chatRef ?? '' },
            query: { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
          },
          signal,
        }),
      ),
    [sessionId, chatRef],
  );

  /** Only while `at` is still the open thread. */
  const update = useCallback((at: string, change: (s: ThreadState) => ThreadState) => {
    setState((s) => (s.key === at ? change(s) : s));
  }, []);

  // The newest page: the first load, a retry, and the catch-up after a drop. Messages already shown
  // stay when the page overlaps them; a page with none of them (many arrived meanwhile) replaces them.
  useEffect(() => {
    if (!sessionId || !chatRef) {
      return;
    }
    const at = key;
    const controller = new AbortController();
    fetchPage(null, controller.signal).then(
      ({ items, pagination }) => {
        if (controller.signal.aborted) {
          return;
        }
        const fresh = [...items].reverse();
        setState((s) => {
          const base = s.key === at && s.status === 'ready' ? s : blank(at);
          const known = new Set(base.messages.map((m) => m.id));
          const overlaps = fresh.some((m) => known.has(m.id)) || !pagination.hasMore;
          const keep = overlaps ? base.messages : base.messages.filter((m) => m.localKey);
          return {
            ...base,
            status: 'ready',
            error: null,
            messages: upsertMessages(keep, fresh),
            nextCursor: overlaps && base.status === 'ready' ? base.nextCursor : pagination.nextCursor,
            hasMore: overlaps && base.status === 'ready' ? base.hasMore : pagination.hasMore,
            chatId: fresh[0]?.chatId ?? base.chatId,
          };
        });
      },
      (err: unknown) => {
        if (controller.signal.aborted) {
          return;
        }
        const error = asApiError(err);
        if (error.status === 404 && error.code === 'CHAT_NOT_FOUND' && isPhoneRef(chatRef)) {
          setState((s) => (s.key === at && s.messages.length > 0 ? s : { ...blank(at), status: 'new' }));
          return;
        }
        setState((s) =>
          s.key === at && s.status === 'ready' ? s : { ...blank(at), status: 'error', error },
        );
        onError(error);
      },
    );
    return () => controller.abort();
  }, [key, nonce, sessionId, chatRef, fetchPage]);

  useCatchUp(() => setNonce((n) => n + 1));

  const current = state.key === key ? state : blank(key);
  const chatId = current.chatId ?? options.knownChatId ?? null;

  const loadOlder = () => {
    if (current.status !== 'ready' || !current.hasMore || current.loadingOlder || !current.nextCursor) {
      return;
    }
    const at = key;
    update(at, (s) => ({ ...s, loadingOlder: true }));
    fetchPage(current.nextCursor).then(
      ({ items, pagination }) =>
        update(at, (s) => ({
          ...s,
          messages: upsertMessages(s.messages, items),
          nextCursor: pagination.nextCursor,
          hasMore: pagination.hasMore,
          loadingOlder: false,
        })),
      (err: unknown) => {
        update(at, (s) => ({ ...s, loadingOlder: false }));
        if (keyRef.current === at) {
          options.onError(asApiError(err));
        }
      },
    );
  };

  // --- Sending ------------------------------------------------------------------------------------------

  const submit = (at: string, local: ThreadMessage, quotedId: string | null) => {
    const localKey = local.localKey!;
    const [sid, ref] = [sessionId ?? '', chatRef ?? ''];
    unwrap(
      api.POST('/api/whatsapp/sessions/{sessionId}/chats/{chatId}/send', {
        params: { path: { sessionId: sid, chatId: ref }, header: { 'idempotency-key': localKey } },
        body: { message: local.body ?? '', ...(quotedId ? { quotedMessageId: quotedId } : {}) },
      }),
    ).then(
      ({ message }) =>
        // The server's row replaces ours; an event may have brought it already.
        update(at, (s) => {
          const { [message.id]: reported, ...early } = s.early;
          const row = reported ? { ...message, status: mergeStatus(message.status, reported) } : message;
          return {
            ...s,
            chatId: message.chatId,
            early,
            messages: upsertMessages(
              s.messages.filter((m) => m.localKey !== localKey),
              [row],
            ),
          };
        }),
      (err: unknown) => {
        const error = asApiError(err);
        update(at, (s) => {
          // No answer, but its message already came as an event: it was sent after all.
          const arrived =
            error.status === 0 && s.messages.some((m) => !m.localKey && isSameSend(local, m, userId));
          return {
            ...s,
            messages: arrived
              ? s.messages.filter((m) => m.localKey !== localKey)
              : s.messages.map((m) =>
                  m.localKey === localKey ? { ...m, status: 'failed', submitError: error } : m,
                ),
          };
        });
        options.onError(error, 'canWrite');
      },
    );
  };

  /** Shows the message at once as pending and hands it to the server. */
  const send = (text: string, quoted: ThreadMessage | null) => {
    if (!key) {
      return;
    }
    const localKey = newIdempotencyKey();
    const local: ThreadMessage = {
      id: `local-${localKey}`,
      localKey,
      sessionId: sessionId ?? '',
      chatId: chatId ?? '',
      waMessageId: '',
      fromMe: true,
      direction: 'outgoing',
      type: 'text',
      body: text,
      sender: { waId: null, phoneNumber: null, name: null },
      timestamp: new Date().toISOString(),
      status: 'pending',
      sentByUserId: null,
      quotedMessageId: quoted?.waMessageId ?? null,
      media: null,
      error: null,
      editedAt: null,
      deletedAt: null,
      submitError: null,
    };
    update(key, (s) => ({
      ...s,
      status: s.status === 'new' ? 'ready' : s.status,
      messages: [...s.messages, local],
    }));
    submit(key, local, quoted?.id ?? null);
  };

  /** Sends a message whose hand-over failed again, with the same key: never a second message. */
  const retry = (localKey: string) => {
    const local = current.messages.find((m) => m.localKey === localKey);
    if (!local) {
      return;
    }
    update(key, (s) => ({
      ...s,
      messages: s.messages.map((m) =>
        m.localKey === localKey ? { ...m, status: 'pending', submitError: null } : m,
      ),
    }));
    const quoted = current.messages.find((m) => m.waMessageId === local.quotedMessageId && !m.localKey);
    submit(key, local, quoted?.id ?? null);
  };

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
      // A message whose send got no answer arrives here if the server stored it: it replaces ours.
      const rest = s.messages.filter((m) => !(lostInTransit(m) && isSameSend(m, message, userId)));
      return {
        ...s,
        status: s.status === 'new' ? 'ready' : s.status,
        chatId: message.chatId,
        chat: chat ?? s.chat,
        messages: upsertMessages(rest, [message]),
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
        if (!s.messages.some((m) => m.id === p.messageId)) {
          // Perhaps the message this console is sending, whose answer has not arrived yet.
          const sending = s.messages.some((m) => m.localKey);
          return sending ? { ...s, early: { ...s.early, [p.messageId]: p.status } } : s;
        }
        return {
          ...s,
          messages: s.messages.map((m) =>
            m.id === p.messageId ? { ...m, status: mergeStatus(m.status, p.status) } : m,
          ),
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
    chatId,
    loadOlder,
    send,
    retry,
    setChat,
    reload: () => setNonce((n) => n + 1),
  };
}
