import { useState } from 'react';

import { api, type ApiError, asApiError, type Schemas, unwrap, unwrapPage } from '../api/client';
import { useApi } from '../api/use-api';
import { useSignedIn } from '../auth/auth';
import { type I18n, useI18n } from '../i18n/i18n';
import { appendById } from '../shared/lists';
import { formatPhone } from '../shared/phone';
import { RIGHT_LABEL, RIGHTS } from '../shared/rights';
import { ErrorBanner } from '../ui/ErrorBanner';
import { LoadMoreButton } from '../ui/LoadMoreButton';
import { loadAllManagers } from './managers-api';
import { PageHeader } from './PageHeader';
import { TableCard } from './TableCard';

type Entry = Schemas['AuditEntry'];

const PAGE_SIZE = 25;

/** Names to show for the ids an entry refers to. */
interface Names {
  managers: Map<string, string>;
  sessions: Map<string, string>;
  company: string;
}

/** The text of an action, in the console's language; an action we have no text for shows as is. */
export function actionText(i18n: Pick<I18n, 't' | 'has'>, action: string): string {
  const key = `audit.action.${action}`;
  return i18n.has(key) ? i18n.t(key) : action;
}

/** A colour for the badge: what was taken away, what was added, what merely changed. */
function toneOf(action: string): 'ok' | 'warn' | 'danger' | 'neutral' {
  const verb = action.split('.').pop() ?? '';
  if (['deactivated', 'revoked', 'deleted', 'throttled'].includes(verb)) {
    return 'danger';
  }
  if (['disconnected', 'changed', 'updated'].includes(verb)) {
    return 'warn';
  }
  if (['created', 'granted', 'registered', 'reactivated', 'reconnected', 'provisioned'].includes(verb)) {
    return 'ok';
  }
  return 'neutral';
}

function shortId(id: string | null): string {
  return id ? `#${id.slice(-6)}` : '';
}

function nonEmptyText(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** What an entry was about, in words: the session, the manager, the rights given. */
function subject(i18n: I18n, entry: Entry, names: Names): string {
  const { t, has } = i18n;
  const details = entry.details;
  const sessionName = (id: string | null) =>
    (id && names.sessions.get(id)) ?? nonEmptyText(details.name) ?? shortId(id);
  const managerName = (id: string | null) =>
    (id && names.managers.get(id)) ??
    nonEmptyText(details.name) ??
    nonEmptyText(details.email) ??
    shortId(id);

  switch (entry.targetType) {
    case 'session': {
      if (entry.action.startsWith('access.')) {
        const vars = {
          manager: managerName(nonEmptyText(details.managerId)),
          session: sessionName(entry.targetId),
        };
        const rights = RIGHTS.filter((r) => details[r] === true).map((r) => t(RIGHT_LABEL[r]));
        return rights.length > 0 && entry.action !== 'access.revoked'
          ? t('audit.subject.accessRights', { ...vars, rights: rights.join(', ') })
          : t('audit.subject.access', vars);
      }
      const session = t('audit.subject.session', { name: sessionName(entry.targetId) });
      const phone = nonEmptyText(details.phoneNumber);
      return phone ? `${session} (${formatPhone(phone)})` : session;
    }
    case 'user': {
      const manager = t('audit.subject.user', { name: managerName(entry.targetId) });
      const fields = Array.isArray(details.fields)
        ? details.fields.filter((f): f is string => typeof f === 'string')
        : [];
      const changed = fields
        .filter((f) => f !== 'active')
        .map((f) => {
          const key = `audit.field.${f}`;
          return has(key) ? t(key) : f;
        });
      return changed.length > 0
        ? t('audit.subject.changed', { subject: manager, fields: changed.join(', ') })
        : manager;
    }
    case 'company':
      return t('audit.subject.company', { name: names.company });
    case 'message': {
      const sessionId = nonEmptyText(details.sessionId);
      return sessionId ? t('audit.subject.session', { name: sessionName(sessionId) }) : '';
    }
    default:
      return entry.targetType ? `${entry.targetType} ${shortId(entry.targetId)}` : '';
  }
}

/** The company's audit log, newest first, a page at a time ("load more" follows the cursor). */
export function AuditPage() {
  const i18n = useI18n();
  const { t, formatDateTime } = i18n;
  const { company } = useSignedIn();
  const log = useApi(async (signal) => {
    const [first, managers, sessions] = await Promise.all([
      unwrapPage(api.GET('/api/audit', { params: { query: { limit: PAGE_SIZE } }, signal })),
      loadAllManagers(signal),
      unwrap(api.GET('/api/whatsapp/sessions', { signal })),
    ]);
    return {
      items: first.items,
      pagination: first.pagination,
      managers: new Map(managers.map((m) => [m.id, m.name])),
      sessions: new Map(sessions.map((s) => [s.id, s.name])),
    };
  }, []);
  const { data, setData } = log;
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiError | null>(null);

  const loadMore = async () => {
    const cursor = data?.pagination.nextCursor;
    if (!cursor) {
      return;
    }
    setLoadingMore(true);
    setMoreError(null);
    try {
      const next = await unwrapPage(
        api.GET('/api/audit', { params: { query: { limit: PAGE_SIZE, cursor } } }),
      );
      setData((current) =>
        current
          ? {
              ...current,
              // A refetch meanwhile may already hold some of these.
              items: appendById(current.items, next.items),
              pagination: next.pagination,
            }
          : current!,
      );
    } catch (err) {
      setMoreError(asApiError(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const names: Names | null = data
    ? { managers: data.managers, sessions: data.sessions, company: company.name }
    : null;
  return (
    <section className="page audit-page" data-testid="page-audit">
      <PageHeader title={t('nav.audit')} lead={t('audit.lead')}>
        <button
          type="button"
          className="btn"
          onClick={log.reload}
          disabled={log.loading}
          data-testid="audit-refresh"
        >
          {t('audit.refresh')}
        </button>
      </PageHeader>
      {log.error ? <ErrorBanner error={log.error} onRetry={log.reload} /> : null}
      {!data && log.loading ? <p className="empty">{t('common.loading')}</p> : null}
      {data && data.items.length === 0 ? (
        <p className="empty" data-testid="audit-empty">
          {t('audit.empty')}
        </p>
      ) : null}
      {data && names && data.items.length > 0 ? (
        <TableCard
          cardClassName="admin-table-card"
          tableClassName="admin-table audit-table"
          testId="audit-table"
          head={
            <>
              <th scope="col">{t('audit.col.time')}</th>
              <th scope="col">{t('audit.col.actor')}</th>
              <th scope="col">{t('audit.col.action')}</th>
              <th scope="col">{t('audit.col.subject')}</th>
            </>
          }
        >
          {data.items.map((entry) => (
            <tr key={entry.id} data-testid="audit-row" data-action={entry.action}>
              <td data-label={t('audit.col.time')} className="admin-nowrap audit-time">
                <time dateTime={entry.createdAt}>{formatDateTime(entry.createdAt)}</time>
              </td>
              <td data-label={t('audit.col.actor')} className="audit-actor" data-testid="audit-actor">
                {entry.actor ? (entry.actor.name ?? shortId(entry.actor.id)) : t('audit.system')}
              </td>
              <td data-label={t('audit.col.action')} className="audit-action-cell">
                <span
                  className="badge audit-action"
                  data-tone={toneOf(entry.action)}
                  data-testid="audit-action"
                >
                  {actionText(i18n, entry.action)}
                </span>
              </td>
              <td
                data-label={t('audit.col.subject')}
                className="admin-break audit-subject"
                data-testid="audit-subject"
              >
                {subject(i18n, entry, names)}
                {entry.ip ? <span className="muted audit-ip"> · {entry.ip}</span> : null}
              </td>
            </tr>
          ))}
        </TableCard>
      ) : null}
      {moreError ? <ErrorBanner error={moreError} onRetry={() => void loadMore()} /> : null}
      {data?.pagination.hasMore ? (
        <LoadMoreButton
          rowClassName="audit-more"
          buttonClassName="btn"
          loading={loadingMore}
          label={t('audit.loadMore')}
          loadingLabel={t('common.loading')}
          onClick={() => void loadMore()}
          testId="audit-load-more"
        />
      ) : null}
    </section>
  );
}
