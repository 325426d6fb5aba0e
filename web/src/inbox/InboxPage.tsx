import { useEffect, useRef, useState } from 'react';

import type { ApiError } from '../api/client';
import { useSignedIn } from '../auth/auth';
import { useI18n } from '../i18n/i18n';
import { navigate } from '../router';
import { NO_RIGHTS, type Right, type Rights, rightsOn } from '../shared/rights';
import { ChatsPane } from './ChatsPane';
import { useInboxErrorText } from './format';
import { isChat } from './model';
import { SessionsPane } from './SessionsPane';
import { Thread } from './Thread';
import { useChatList } from './use-chat-list';
import { useInboxSessions } from './use-inbox-sessions';

type View = 'sessions' | 'chats' | 'thread';

interface Filters {
  sessionId: string | undefined;
  archived: boolean;
  /** What is typed in the search box. */
  searchInput: string;
  /** What the list is searched for: the input once typing pauses. */
  search: string;
}

function defaultFilters(sessionId: string | undefined): Filters {
  return { sessionId, archived: false, searchInput: '', search: '' };
}

/**
 * The inbox: numbers (sessions), their chats, one conversation. The address says what is open
 * (`/inbox/:sessionId?/:chatId?`): on a phone one pane shows at a time and back goes up a level; on
 * wider screens the panes stand side by side. What a user may do follows their rights on the
 * session, as the API reports them with the session list.
 */
export function InboxPage({
  sessionId,
  chatId,
}: {
  sessionId?: string | undefined;
  chatId?: string | undefined;
}) {
  const { t } = useI18n();
  const { user } = useSignedIn();
  const errorText = useInboxErrorText();
  const sessions = useInboxSessions();
  const reloadSessions = sessions.reload;
  const list = sessions.data;

  const session = sessionId && list ? list.find((s) => s.id === sessionId) : undefined;
  const unavailable = Boolean(sessionId && list && !session);
  const [denied, setDenied] = useState<Record<string, Partial<Rights>>>({});
  const rights = session ? rightsOn(session, user.role, denied[session.id]) : NO_RIGHTS;
  const openChat = session && rights.canRead ? chatId : undefined;
  const view: View = openChat ? 'thread' : session ? 'chats' : 'sessions';

  // One number only: open it straight away (once, so "back" can still show the list).
  const autoOpened = useRef(false);
  useEffect(() => {
    if (autoOpened.current || !list) {
      return;
    }
    autoOpened.current = true;
    const only = list.length === 1 ? list[0] : undefined;
    if (!sessionId && only) {
      navigate(`/inbox/${encodeURIComponent(only.id)}`, { replace: true });
    }
  }, [list, sessionId]);

  // Chat filters belong to the session they were set in.
  const [filters, setFilters] = useState(() => defaultFilters(sessionId));
  const current = filters.sessionId === sessionId ? filters : defaultFilters(sessionId);
  const setFilter = (change: Partial<Filters>) =>
    setFilters((f) => ({ ...(f.sessionId === sessionId ? f : defaultFilters(sessionId)), ...change }));
  useEffect(() => {
    const text = current.searchInput.trim();
    if (text === current.search) {
      return;
    }
    const timer = setTimeout(
      () =>
        setFilters((f) => ({ ...(f.sessionId === sessionId ? f : defaultFilters(sessionId)), search: text })),
      300,
    );
    return () => clearTimeout(timer);
  }, [current.searchInput, current.search, sessionId]);

  // A refused or unknown request in a session may mean access changed: ask for the sessions again.
  // A refusal of an action also tells what right is missing (a fallback; the list says it too).
  const [toast, setToast] = useState<{ error: ApiError; at: number } | null>(null);
  const onError = (inSession: string, error: ApiError, right?: Right) => {
    if (error.status === 403 || error.status === 404) {
      reloadSessions();
    }
    if (error.status === 403 && right) {
      setDenied((d) => ({ ...d, [inSession]: { ...d[inSession], [right]: false } }));
    }
  };
  const onThreadError = (error: ApiError, right?: Right) => {
    // Loading and sending show their errors in place; chat actions have no place but a toast.
    if (right === 'canManageChats') {
      setToast({ error, at: Date.now() });
    }
    if (session) {
      onError(session.id, error, right);
    }
  };
  useEffect(() => {
    if (!toast) {
      return;
    }
    const timer = setTimeout(() => setToast(null), 6000);
    return () => clearTimeout(timer);
  }, [toast]);

  const chats = useChatList({
    sessionId: session && rights.canRead ? session.id : undefined,
    archived: current.archived,
    search: current.search,
    onError: (error) => {
      if (session) {
        onError(session.id, error);
      }
    },
  });
  const listChat = openChat ? chats.items.find((c) => isChat(c, openChat)) : undefined;

  return (
    <section className="inbox" data-testid="page-inbox" data-view={view}>
      <h1 className="visually-hidden">{t('nav.inbox')}</h1>
      <div className="inbox-pane" data-pane="sessions">
        <SessionsPane
          sessions={list}
          error={sessions.error}
          selectedId={session?.id}
          unavailable={unavailable}
          isAdmin={user.role === 'admin'}
          onRetry={reloadSessions}
        />
      </div>
      <div className="inbox-pane" data-pane="chats">
        {session ? (
          <ChatsPane
            session={session}
            rights={rights}
            chats={chats}
            selectedRef={openChat}
            archived={current.archived}
            onArchived={(archived) => setFilter({ archived })}
            searchInput={current.searchInput}
            onSearchInput={(searchInput) => setFilter({ searchInput })}
            search={current.search}
          />
        ) : (
          <p className="inbox-hint">{t('inbox.sessions.choose')}</p>
        )}
      </div>
      <div className="inbox-pane" data-pane="thread">
        {session && openChat ? (
          <Thread
            key={`${session.id}/${openChat}`}
            session={session}
            chatRef={openChat}
            listChat={listChat}
            rights={rights}
            onChatChanged={chats.upsert}
            onError={onThreadError}
          />
        ) : (
          <p className="inbox-hint">{t(session ? 'inbox.thread.choose' : 'inbox.sessions.choose')}</p>
        )}
      </div>
      {toast ? (
        <div className="inbox-toast" role="alert" data-testid="inbox-toast">
          <span>{errorText(toast.error)}</span>
          <button type="button" className="btn btn-ghost" onClick={() => setToast(null)}>
            {t('common.close')}
          </button>
        </div>
      ) : null}
    </section>
  );
}
