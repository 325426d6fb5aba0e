import type { ApiError, Session } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { formatPhone } from '../shared/phone';
import { ErrorBanner } from '../ui/ErrorBanner';
import { SessionState } from './InboxParts';

/** The WhatsApp numbers the user may work with. */
export function SessionsPane({
  sessions,
  error,
  selectedId,
  unavailable,
  isAdmin,
  onRetry,
}: {
  sessions: Session[] | undefined;
  error: ApiError | null;
  selectedId: string | undefined;
  /** The address names a session the user cannot see (never could, or lost access). */
  unavailable: boolean;
  isAdmin: boolean;
  onRetry: () => void;
}) {
  const { t } = useI18n();
  return (
    <>
      <header className="inbox-pane-header">
        <h2>{t('inbox.sessions.title')}</h2>
      </header>
      <div className="inbox-pane-body">
        {unavailable ? (
          <p className="inbox-notice" role="alert" data-testid="inbox-session-unavailable">
            {t('inbox.sessions.unavailable')}
          </p>
        ) : null}
        {error && !sessions ? <ErrorBanner error={error} onRetry={onRetry} /> : null}
        {!sessions && !error ? <p className="empty">{t('common.loading')}</p> : null}
        {sessions && sessions.length === 0 ? (
          <div className="empty" data-testid="inbox-no-sessions">
            <p>{t(isAdmin ? 'inbox.sessions.emptyAdmin' : 'inbox.sessions.emptyManager')}</p>
            {isAdmin ? (
              <Link to="/admin/sessions" className="btn">
                {t('inbox.sessions.link')}
              </Link>
            ) : null}
          </div>
        ) : null}
        {sessions && sessions.length > 0 ? (
          <ul className="inbox-list" data-testid="inbox-sessions">
            {sessions.map((session) => (
              <li key={session.id}>
                <Link
                  to={`/inbox/${encodeURIComponent(session.id)}`}
                  className="inbox-session"
                  aria-current={session.id === selectedId ? 'true' : undefined}
                  data-testid={`inbox-session-${session.id}`}
                >
                  <span className="inbox-session-name">{session.name}</span>
                  <span className="inbox-session-meta">
                    {formatPhone(session.phoneNumber) ?? session.displayName ?? ''}
                  </span>
                  <span className="inbox-session-foot">
                    <SessionState status={session.status} />
                    {session.rights && !session.rights.canWrite && !isAdmin ? (
                      <span className="badge" data-testid="session-readonly">
                        {t('inbox.sessions.readOnly')}
                      </span>
                    ) : null}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </>
  );
}
