import type { ApiError, Message } from '../api/client';
import { api, asApiError, unwrap } from '../api/client';
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

/** The part of a thread's state that the outbox reads and changes. */
export interface OutboxThreadState {
  /** The thread's messages, oldest first; the ones being sent (`localKey`) last. */
  items: ThreadMessage[];
  /** `new`: a phone number with no chat yet, which the first message sent starts. */
  status: 'loading' | 'ready' | 'error' | 'new';
  chatId: string | null;
  /**
   * Status reports for messages not shown yet: a report can overtake the answer to the send that
   * created its message. Applied when that answer arrives.
   */
  earlyStatuses: Record<string, MessageStatus>;
}

/**
 * The messages this console sends to one chat: shown at once as pending, then replaced by the
 * server's row. Each send carries its own Idempotency-Key, reused by a retry, so a message is never
 * stored twice; a send whose answer was lost is settled by the server's events (`withArrived`).
 * It keeps its messages in the thread's state, through `update`.
 */
export function useOutbox<State extends OutboxThreadState>(options: {
  /** The thread's key (`sessionId/chatRef`); empty when no thread is open. */
  key: string;
  sessionId: string | undefined;
  chatRef: string | undefined;
  /** The chat's id when known (a new chat has none until its first message is stored). */
  chatId: string | null;
  /** The signed-in user, whose own sends are recognised when they come back as events. */
  userId: string;
  /** The thread's messages as shown now. */
  messages: ThreadMessage[];
  /** Changes the thread's state while `at` is still the open thread. */
  update: (at: string, change: (s: State) => State) => void;
  onError: (error: ApiError, right?: Right) => void;
}) {
  const { key, sessionId, chatRef, chatId, userId, messages, update } = options;

  const submit = (at: string, local: ThreadMessage, quotedId: string | null) => {
    const localKey = local.localKey!;
    unwrap(
      api.POST('/api/whatsapp/sessions/{sessionId}/chats/{chatId}/send', {
        params: {
          path: { sessionId: sessionId ?? '', chatId: chatRef ?? '' },
          header: { 'idempotency-key': localKey },
        },
        body: { message: local.body ?? '', ...(quotedId ? { quotedMessageId: quotedId } : {}) },
      }),
    ).then(
      ({ message }) =>
        // The server's row replaces ours; an event may have brought it already.
        update(at, (s) => {
          const { [message.id]: reported, ...earlyStatuses } = s.earlyStatuses;
          const row = reported ? { ...message, status: mergeStatus(message.status, reported) } : message;
          return {
            ...s,
            chatId: message.chatId,
            earlyStatuses,
            items: upsertMessages(
              s.items.filter((m) => m.localKey !== localKey),
              [row],
            ),
          };
        }),
      (err: unknown) => {
        const error = asApiError(err);
        update(at, (s) => {
          // No answer, but its message already came as an event: it was sent after all.
          const arrived =
            error.status === 0 && s.items.some((m) => !m.localKey && isSameSend(local, m, userId));
          return {
            ...s,
            items: arrived
              ? s.items.filter((m) => m.localKey !== localKey)
              : s.items.map((m) =>
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
      items: [...s.items, local],
    }));
    submit(key, local, quoted?.id ?? null);
  };

  /** Sends a message whose hand-over failed again, with the same key: never a second message. */
  const retry = (localKey: string) => {
    const local = messages.find((m) => m.localKey === localKey);
    if (!local) {
      return;
    }
    update(key, (s) => ({
      ...s,
      items: s.items.map((m) =>
        m.localKey === localKey ? { ...m, status: 'pending', submitError: null } : m,
      ),
    }));
    const quoted = messages.find((m) => m.waMessageId === local.quotedMessageId && !m.localKey);
    submit(key, local, quoted?.id ?? null);
  };

  /**
   * The thread's messages once `message` came from the server as an event: a message whose send
   * got no answer arrives this way if the server stored it, and it takes the place of ours.
   */
  const withArrived = (items: ThreadMessage[], message: Message): ThreadMessage[] =>
    items.filter((m) => !(lostInTransit(m) && isSameSend(m, message, userId)));

  /**
   * A status report for a message that is not shown: perhaps the message this console is sending,
   * whose answer has not arrived yet. Kept for that answer while anything is being sent.
   */
  const withEarlyStatus = (s: State, messageId: string, status: MessageStatus): State => {
    const sending = s.items.some((m) => m.localKey);
    return sending ? { ...s, earlyStatuses: { ...s.earlyStatuses, [messageId]: status } } : s;
  };

  return { send, retry, withArrived, withEarlyStatus };
}
