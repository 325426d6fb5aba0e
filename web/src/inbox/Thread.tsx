import { Fragment, type RefObject, useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';

import type { ApiError, Chat, Session } from '../api/client';
import { useSignedIn } from '../auth/auth';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { formatPhone, isPhoneRef } from '../shared/phone';
import type { Right, Rights } from '../shared/rights';
import { ErrorBanner } from '../ui/ErrorBanner';
import { LoadMoreButton } from '../ui/LoadMoreButton';
import { ChatActions } from './ChatActions';
import { Composer } from './Composer';
import { useInboxFormat } from './format';
import { Icon } from './Icon';
import { Avatar } from './InboxParts';
import { MessageBubble } from './MessageBubble';
import { chatTitle, type ThreadMessage } from './model';
import { useThread } from './use-thread';

/** Sessions whose messages wait as pending: the engine is linking or reconnecting. */
const WAITING = new Set<Session['status']>(['starting', 'qr', 'connecting']);

/** One open chat: header with its actions, the messages (older ones on scrolling up), the composer. */
export function Thread({
  session,
  chatRef,
  listChat,
  rights,
  onChatChanged,
  onError,
}: {
  session: Session;
  chatRef: string;
  /** The chat from the loaded list, when it is there. */
  listChat: Chat | undefined;
  rights: Rights;
  onChatChanged: (chat: Chat) => void;
  onError: (error: ApiError, right?: Right) => void;
}) {
  const { t } = useI18n();
  const format = useInboxFormat();
  const { user } = useSignedIn();
  const thread = useThread({
    sessionId: session.id,
    chatRef,
    knownChatId: listChat?.id,
    userId: user.id,
    onError,
  });
  const [quoting, setQuoting] = useState<{ key: string; message: ThreadMessage } | null>(null);
  const quoted = quoting?.key === thread.key ? quoting.message : null;
  const chat = listChat ?? thread.chat ?? undefined;

  const byWaId = useMemo(() => {
    const map = new Map<string, ThreadMessage>();
    for (const m of thread.messages) {
      if (m.waMessageId) {
        map.set(m.waMessageId, m);
      }
    }
    return map;
  }, [thread.messages]);

  // What to call the chat when it is not in the loaded list: a contact's name from their messages,
  // else the number in the address.
  const firstIncoming = thread.messages.find((m) => !m.fromMe);
  const title = chat
    ? chatTitle(chat)
    : (firstIncoming?.sender.name ??
      formatPhone(firstIncoming?.sender.phoneNumber) ??
      (isPhoneRef(chatRef) ? formatPhone(chatRef) : null) ??
      t('inbox.thread.unknownChat'));
  const subtitle = chat?.name && chat.phoneNumber ? formatPhone(chat.phoneNumber) : null;

  const scrollRef = useRef<HTMLDivElement>(null);
  const scroller = useThreadScroll(scrollRef, thread);

  const showQuoted = useCallback((messageId: string) => {
    const element = document.getElementById(`message-${messageId}`);
    element?.scrollIntoView({ block: 'center', behavior: 'smooth' });
    element?.classList.add('inbox-msg-flash');
    setTimeout(() => element?.classList.remove('inbox-msg-flash'), 1200);
  }, []);
  const reply = useCallback(
    (message: ThreadMessage) => setQuoting({ key: thread.key, message }),
    [thread.key],
  );
  const [activeId, setActiveId] = useState<string | null>(null);
  const activate = useCallback((id: string) => setActiveId((current) => (current === id ? null : id)), []);

  const changed = (updated: Chat) => {
    thread.setChat(updated);
    onChatChanged(updated);
  };

  let composerNotice: string | null = null;
  if (WAITING.has(session.status)) {
    composerNotice = t('inbox.composer.waiting');
  } else if (session.status !== 'ready') {
    composerNotice = t('inbox.composer.offline');
  }

  return (
    <div className="inbox-thread" data-testid="thread" data-chat-id={thread.chatId ?? undefined}>
      <header className="inbox-pane-header inbox-thread-header">
        <Link
          to={`/inbox/${encodeURIComponent(session.id)}`}
          className="btn btn-ghost inbox-back"
          data-testid="thread-back"
          title={t('inbox.thread.back')}
        >
          <Icon name="back" />
          <span className="visually-hidden">{t('inbox.thread.back')}</span>
        </Link>
        <Avatar id={chat?.id ?? chatRef} title={title} />
        <div className="inbox-thread-title">
          <h2 data-testid="thread-title">{title}</h2>
          {subtitle ? <p className="muted">{subtitle}</p> : null}
        </div>
        {chat && rights.canManageChats ? (
          <ChatActions chat={chat} onChanged={changed} onError={onError} />
        ) : null}
      </header>

      <div
        className="inbox-messages"
        ref={scrollRef}
        onScroll={scroller.onScroll}
        data-testid="thread-messages"
        aria-busy={thread.status === 'loading' || thread.loadingOlder}
      >
        {thread.status === 'ready' && thread.hasMore ? (
          <LoadMoreButton
            rowClassName="inbox-older"
            loading={thread.loadingOlder}
            label={t('inbox.thread.loadOlder')}
            loadingLabel={t('inbox.thread.loadingOlder')}
            onClick={thread.loadOlder}
            testId="thread-load-older"
          />
        ) : null}
        {thread.status === 'ready' && !thread.hasMore && thread.messages.length > 0 ? (
          <p className="inbox-thread-start muted" data-testid="thread-start">
            {t('inbox.thread.start')}
          </p>
        ) : null}
        {thread.status === 'loading' ? <p className="empty">{t('common.loading')}</p> : null}
        {thread.status === 'error' && thread.error ? (
          <div className="inbox-thread-error">
            <ErrorBanner error={thread.error} onRetry={thread.reload} />
          </div>
        ) : null}
        {thread.status === 'new' ? (
          <p className="empty" data-testid="thread-new">
            {t('inbox.thread.new', { phone: formatPhone(chatRef) ?? chatRef })}
          </p>
        ) : null}
        {thread.status === 'ready' && thread.messages.length === 0 ? (
          <p className="empty">{t('inbox.thread.empty')}</p>
        ) : null}
        {thread.messages.map((message, i) => {
          const previous = thread.messages[i - 1];
          const newDay = !previous || format.dayKey(previous.timestamp) !== format.dayKey(message.timestamp);
          return (
            <Fragment key={message.localKey ?? message.id}>
              {newDay ? (
                <p className="inbox-day" data-testid="day-separator">
                  <span>{format.day(message.timestamp)}</span>
                </p>
              ) : null}
              <MessageBubble
                message={message}
                quoted={message.quotedMessageId ? (byWaId.get(message.quotedMessageId) ?? null) : undefined}
                showSender={Boolean(chat?.isGroup)}
                canReply={rights.canWrite}
                onReply={reply}
                onRetry={thread.retry}
                onShowQuoted={showQuoted}
                active={activeId === message.id}
                onActivate={activate}
              />
            </Fragment>
          );
        })}
      </div>

      {rights.canWrite ? (
        <Composer
          draftKey={thread.key}
          quoted={quoted}
          onCancelQuote={() => setQuoting(null)}
          onSend={(text) => {
            thread.send(text, quoted);
            setQuoting(null);
            scroller.stickToBottom();
          }}
          notice={composerNotice}
        />
      ) : (
        <p className="inbox-readonly" data-testid="thread-readonly">
          {t('inbox.thread.readOnly')}
        </p>
      )}
    </div>
  );
}

/**
 * Keeps the message list where the reader is: at the bottom for a new chat and while they are
 * there, in place when older messages are added above, and asks for older ones near the top.
 */
function useThreadScroll(
  ref: RefObject<HTMLDivElement | null>,
  thread: {
    key: string;
    messages: ThreadMessage[];
    hasMore: boolean;
    loadingOlder: boolean;
    status: string;
    loadOlder: () => void;
  },
) {
  const atBottom = useRef(true);
  const last = useRef<{ key: string; first?: string; last?: string; height: number }>({
    key: '',
    height: 0,
  });

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) {
      return;
    }
    const first = thread.messages[0]?.id;
    const newest = thread.messages.at(-1)?.id;
    const before = last.current;
    if (before.key !== thread.key) {
      atBottom.current = true;
    }
    if (before.key === thread.key && first !== before.first && newest === before.last) {
      // Older messages were added above: keep the same messages in view.
      el.scrollTop += el.scrollHeight - before.height;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    last.current = { key: thread.key, first, last: newest, height: el.scrollHeight };
    // A first page too short to scroll cannot be scrolled up: ask for more at once.
    if (
      thread.status === 'ready' &&
      thread.hasMore &&
      !thread.loadingOlder &&
      el.scrollHeight <= el.clientHeight
    ) {
      thread.loadOlder();
    }
  });

  const onScroll = () => {
    const el = ref.current;
    if (!el) {
      return;
    }
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    last.current.height = el.scrollHeight;
    if (el.scrollTop < 150 && thread.hasMore && !thread.loadingOlder && thread.status === 'ready') {
      thread.loadOlder();
    }
  };

  return {
    onScroll,
    stickToBottom: () => {
      atBottom.current = true;
    },
  };
}
