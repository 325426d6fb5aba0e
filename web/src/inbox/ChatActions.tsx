import { useState } from 'react';

import type { ApiError } from '../api/client';
import { api, asApiError, type Chat, unwrap } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { Icon } from './Icon';

/** Mark read, archive and pin: for users with canManageChats. */
export function ChatActions({
  chat,
  onChanged,
  onError,
}: {
  chat: Chat;
  onChanged: (chat: Chat) => void;
  onError: (error: ApiError, right: 'canManageChats') => void;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState<string | null>(null);
  const path = { sessionId: chat.sessionId, chatId: chat.id };

  const run = (name: string, request: () => Promise<Chat>) => {
    setBusy(name);
    request().then(
      (updated) => {
        setBusy(null);
        onChanged(updated);
      },
      (err: unknown) => {
        setBusy(null);
        onError(asApiError(err), 'canManageChats');
      },
    );
  };

  const patch = (body: { archived?: boolean; pinned?: boolean }) => () =>
    unwrap(api.PATCH('/api/whatsapp/sessions/{sessionId}/chats/{chatId}', { params: { path }, body }));

  return (
    <div className="inbox-actions" role="group" aria-label={t('inbox.actions.label')}>
      <button
        type="button"
        className="btn btn-ghost inbox-action"
        disabled={busy !== null || chat.unreadCount === 0}
        onClick={() =>
          run('read', () =>
            unwrap(api.POST('/api/whatsapp/sessions/{sessionId}/chats/{chatId}/read', { params: { path } })),
          )
        }
        data-testid="chat-mark-read"
        title={t('inbox.action.markRead')}
      >
        <Icon name="check" />
        <span className="inbox-action-label">{t('inbox.action.markRead')}</span>
      </button>
      <button
        type="button"
        className="btn btn-ghost inbox-action"
        disabled={busy !== null}
        aria-pressed={chat.pinned}
        onClick={() => run('pin', patch({ pinned: !chat.pinned }))}
        data-testid="chat-pin"
        title={t(chat.pinned ? 'inbox.action.unpin' : 'inbox.action.pin')}
      >
        <Icon name="pin" />
        <span className="inbox-action-label">
          {t(chat.pinned ? 'inbox.action.unpin' : 'inbox.action.pin')}
        </span>
      </button>
      <button
        type="button"
        className="btn btn-ghost inbox-action"
        disabled={busy !== null}
        aria-pressed={chat.archived}
        onClick={() => run('archive', patch({ archived: !chat.archived }))}
        data-testid="chat-archive"
        title={t(chat.archived ? 'inbox.action.unarchive' : 'inbox.action.archive')}
      >
        <Icon name="archive" />
        <span className="inbox-action-label">
          {t(chat.archived ? 'inbox.action.unarchive' : 'inbox.action.archive')}
        </span>
      </button>
    </div>
  );
}
