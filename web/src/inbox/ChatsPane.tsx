import { type FormEvent, type UIEvent, useState } from 'react';

import type { Chat, Session } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { Link, navigate } from '../router';
import { normalizePhone } from '../shared/phone';
import type { Rights } from '../shared/rights';
import { ErrorBanner } from '../ui/ErrorBanner';
import { LoadMoreButton } from '../ui/LoadMoreButton';
import { useInboxFormat } from './format';
import { Icon } from './Icon';
import { Avatar, SessionState } from './InboxParts';
import { Preview } from './MessageContent';
import { chatTitle, isChat } from './model';
import type { useChatList } from './use-chat-list';

/** A session's chats: filter (active/archived), search, the list (more on scrolling), new chat. */
export function ChatsPane({
  session,
  rights,
  chats,
  selectedRef,
  archived,
  onArchived,
  searchInput,
  onSearchInput,
  search,
}: {
  session: Session;
  rights: Rights;
  chats: ReturnType<typeof useChatList>;
  selectedRef: string | undefined;
  archived: boolean;
  onArchived: (archived: boolean) => void;
  searchInput: string;
  onSearchInput: (value: string) => void;
  /** The search the list was loaded with (debounced). */
  search: string;
}) {
  const { t } = useI18n();
  const [newChatOpen, setNewChatOpen] = useState(false);

  const onScroll = (event: UIEvent<HTMLDivElement>) => {
    const el = event.currentTarget;
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 200) {
      chats.loadMore();
    }
  };

  let empty: string | null = null;
  if (chats.status === 'ready' && chats.items.length === 0) {
    empty = search
      ? t('inbox.chats.noResults', { search })
      : t(archived ? 'inbox.chats.emptyArchived' : 'inbox.chats.empty');
  }

  return (
    <>
      <header className="inbox-pane-header">
        <Link
          to="/inbox"
          className="btn btn-ghost inbox-back inbox-back-chats"
          data-testid="chats-back"
          title={t('inbox.chats.back')}
        >
          <Icon name="back" />
          <span className="visually-hidden">{t('inbox.chats.back')}</span>
        </Link>
        <div className="inbox-chats-title">
          <h2 data-testid="chats-session-name">{session.name}</h2>
          <SessionState status={session.status} />
        </div>
        {rights.canWrite ? (
          <button
            type="button"
            className="btn btn-ghost inbox-icon-btn inbox-new-chat-toggle"
            aria-expanded={newChatOpen}
            onClick={() => setNewChatOpen((open) => !open)}
            data-testid="new-chat"
            title={t('inbox.newChat.title')}
          >
            <Icon name="plus" />
            <span className="inbox-wide-label">{t('inbox.newChat.title')}</span>
          </button>
        ) : null}
      </header>
      {newChatOpen ? <NewChatForm sessionId={session.id} onDone={() => setNewChatOpen(false)} /> : null}
      <div className="inbox-filters">
        <div className="inbox-tabs" role="group" aria-label={t('inbox.chats.filter')}>
          <button
            type="button"
            className="inbox-tab"
            aria-pressed={!archived}
            onClick={() => onArchived(false)}
            data-testid="chat-filter-active"
          >
            {t('inbox.chats.active')}
          </button>
          <button
            type="button"
            className="inbox-tab"
            aria-pressed={archived}
            onClick={() => onArchived(true)}
            data-testid="chat-filter-archived"
          >
            {t('inbox.chats.archived')}
          </button>
        </div>
        <input
          type="search"
          className="input inbox-search"
          value={searchInput}
          onChange={(e) => onSearchInput(e.target.value)}
          placeholder={t('inbox.chats.search')}
          aria-label={t('inbox.chats.search')}
          maxLength={100}
          data-testid="chat-search"
        />
      </div>
      <div className="inbox-pane-body" onScroll={onScroll} data-testid="chat-list-scroll">
        {chats.status === 'loading' ? <p className="empty">{t('common.loading')}</p> : null}
        {chats.status === 'error' && chats.error ? (
          <ErrorBanner error={chats.error} onRetry={chats.reload} />
        ) : null}
        {empty ? (
          <p className="empty" data-testid="chats-empty">
            {empty}
          </p>
        ) : null}
        <ul className="inbox-list" data-testid="chat-list">
          {chats.items.map((chat) => (
            <li key={chat.id}>
              <ChatItem chat={chat} selected={selectedRef !== undefined && isChat(chat, selectedRef)} />
            </li>
          ))}
        </ul>
        {chats.hasMore ? (
          <LoadMoreButton
            rowClassName="inbox-more"
            loading={chats.loadingMore}
            label={t('inbox.chats.loadMore')}
            loadingLabel={t('common.loading')}
            onClick={chats.loadMore}
            testId="chats-load-more"
          />
        ) : null}
      </div>
    </>
  );
}

function ChatItem({ chat, selected }: { chat: Chat; selected: boolean }) {
  const { t, tn } = useI18n();
  const format = useInboxFormat();
  const title = chatTitle(chat);
  const last = chat.lastMessage;
  return (
    <Link
      to={`/inbox/${encodeURIComponent(chat.sessionId)}/${encodeURIComponent(chat.id)}`}
      className="inbox-chat"
      aria-current={selected ? 'true' : undefined}
      data-testid="chat-item"
      data-chat-id={chat.id}
      data-unread={chat.unreadCount}
    >
      <Avatar id={chat.id} title={title} />
      <span className="inbox-chat-main">
        <span className="inbox-chat-row">
          <span className="inbox-chat-title" data-testid="chat-title">
            {title}
          </span>
          {last ? (
            <time className="inbox-chat-time" dateTime={last.timestamp} data-unread={chat.unreadCount > 0}>
              {format.listStamp(last.timestamp)}
            </time>
          ) : null}
        </span>
        <span className="inbox-chat-row">
          <span className="inbox-chat-preview" data-testid="chat-preview">
            {last?.fromMe ? <span className="inbox-chat-you">{t('inbox.chats.you')}</span> : null}
            {last ? <Preview message={last} /> : null}
          </span>
          {chat.pinned ? (
            <span className="inbox-chat-pin" title={t('inbox.chats.pinned')} data-testid="chat-pinned">
              <Icon name="pin" size={15} />
              <span className="visually-hidden">{t('inbox.chats.pinned')}</span>
            </span>
          ) : null}
          {chat.unreadCount > 0 ? (
            <span
              className="inbox-unread"
              data-testid="unread-badge"
              aria-label={tn('inbox.chats.unread', chat.unreadCount)}
            >
              {chat.unreadCount > 999 ? '999+' : chat.unreadCount}
            </span>
          ) : null}
        </span>
      </span>
    </Link>
  );
}

/** Opens a chat with any number: the first message sent there starts the conversation. */
function NewChatForm({ sessionId, onDone }: { sessionId: string; onDone: () => void }) {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const phone = normalizePhone(value);
    if (!phone) {
      setInvalid(true);
      return;
    }
    onDone();
    navigate(`/inbox/${encodeURIComponent(sessionId)}/${phone}`);
  };
  return (
    <form className="inbox-new-chat" onSubmit={submit} data-testid="new-chat-form" noValidate>
      <label htmlFor="inbox-new-chat-phone">{t('inbox.newChat.phone')}</label>
      <div className="inbox-new-chat-row">
        <input
          id="inbox-new-chat-phone"
          className="input"
          type="tel"
          inputMode="tel"
          autoComplete="off"
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            setInvalid(false);
          }}
          placeholder="79991234567"
          aria-invalid={invalid || undefined}
          aria-describedby="inbox-new-chat-hint"
          autoFocus
          data-testid="new-chat-phone"
        />
        <button type="submit" className="btn btn-primary" data-testid="new-chat-submit">
          {t('inbox.newChat.open')}
        </button>
      </div>
      <p
        id="inbox-new-chat-hint"
        className={invalid ? 'field-error' : 'field-hint'}
        role={invalid ? 'alert' : undefined}
      >
        {t(invalid ? 'inbox.newChat.invalid' : 'inbox.newChat.hint')}
      </p>
    </form>
  );
}
