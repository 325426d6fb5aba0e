import { useRef, useState } from 'react';

import { api, type ApiError, asApiError, type Schemas, unwrap, type User } from '../api/client';
import { useSocketEvent } from '../api/realtime';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import {
  hasAnyRight,
  NO_RIGHTS,
  type Right,
  RIGHT_HINT,
  RIGHT_LABEL,
  RIGHTS,
  type Rights,
  withRight,
} from '../shared/rights';
import { ErrorBanner, useErrorText } from '../ui/ErrorBanner';
import { loadAllManagers } from './managers-api';
import { StatusBadge } from './SessionCard';
import { TableCard } from './TableCard';

type Grant = Schemas['Grant'];
type RowState = 'idle' | 'saving' | 'saved' | 'error';

/** Active managers first, then by name. */
function byActiveThenName(a: User, b: User): number {
  return Number(b.active) - Number(a.active) || a.name.localeCompare(b.name);
}

/**
 * Who may work with one session: managers × rights, each box saved the moment it is clicked. The
 * box changes at once; if the service refuses, it goes back to what the service has and says why.
 */
export function AccessPage({ sessionId }: { sessionId: string }) {
  const { t } = useI18n();
  const state = useApi(
    async (signal) => {
      const path = { params: { path: { sessionId } }, signal };
      const [session, managers, grants] = await Promise.all([
        unwrap(api.GET('/api/whatsapp/sessions/{sessionId}', path)),
        loadAllManagers(signal),
        unwrap(api.GET('/api/whatsapp/sessions/{sessionId}/access', path)),
      ]);
      return { session, managers, grants };
    },
    [sessionId],
  );
  const { data, setData } = state;
  const [rows, setRows] = useState<Record<string, { state: RowState; error: ApiError | null }>>({});

  // Requests of one manager run one after another, so the last click is what the service keeps.
  const chains = useRef(new Map<string, Promise<void>>());
  const inFlight = useRef(new Map<string, number>());
  /** Per manager: the rights the service confirmed last (the rollback target). */
  const confirmed = useRef(new Map<string, Rights>());
  const failures = useRef(new Map<string, ApiError>());

  useSocketEvent('whatsapp:session_status', ({ sessionId: id, status }) => {
    if (id === sessionId) {
      setData((current) => (current ? { ...current, session: { ...current.session, status } } : current!));
    }
  });

  const rightsOf = (managerId: string): Rights => {
    const grant = data?.grants.find((g) => g.managerId === managerId);
    return grant
      ? { canRead: grant.canRead, canWrite: grant.canWrite, canManageChats: grant.canManageChats }
      : NO_RIGHTS;
  };

  const show = (manager: User, rights: Rights) =>
    setData((current) => {
      if (!current) {
        return current!;
      }
      const others = current.grants.filter((g) => g.managerId !== manager.id);
      if (!hasAnyRight(rights)) {
        return { ...current, grants: others };
      }
      const grant: Grant = {
        sessionId,
        managerId: manager.id,
        name: manager.name,
        email: manager.email,
        active: manager.active,
        updatedAt: null,
        ...rights,
      };
      return { ...current, grants: [...others, grant] };
    });

  const save = async (managerId: string, rights: Rights) => {
    if (hasAnyRight(rights)) {
      await unwrap(
        api.POST('/api/whatsapp/sessions/{sessionId}/access', {
          params: { path: { sessionId } },
          body: { managerId, ...rights },
        }),
      );
    } else {
      await unwrap(
        api.DELETE('/api/whatsapp/sessions/{sessionId}/access/{managerId}', {
          params: { path: { sessionId, managerId } },
        }),
      );
    }
  };

  const toggle = (manager: User, right: Right, checked: boolean) => {
    const id = manager.id;
    const before = rightsOf(id);
    const next = withRight(before, right, checked);
    const pending = inFlight.current.get(id) ?? 0;
    if (pending === 0) {
      // Nothing in flight: what is shown is what the service has.
      confirmed.current.set(id, before);
      failures.current.delete(id);
    }
    inFlight.current.set(id, pending + 1);
    show(manager, next);
    setRows((r) => ({ ...r, [id]: { state: 'saving', error: null } }));

    const previous = chains.current.get(id) ?? Promise.resolve();
    const request = previous.then(() =>
      save(id, next).then(
        () => {
          confirmed.current.set(id, next);
          failures.current.delete(id);
        },
        (err: unknown) => {
          failures.current.set(id, asApiError(err));
        },
      ),
    );
    chains.current.set(id, request);
    void request.then(() => {
      const left = (inFlight.current.get(id) ?? 1) - 1;
      inFlight.current.set(id, left);
      if (left > 0) {
        return;
      }
      // The burst is over: show what the service kept (a rollback if the last save failed).
      const error = failures.current.get(id) ?? null;
      show(manager, confirmed.current.get(id) ?? NO_RIGHTS);
      setRows((r) => ({ ...r, [id]: { state: error ? 'error' : 'saved', error } }));
    });
  };

  if (!data) {
    return (
      <section className="page access-page" data-testid="page-access">
        <BackLink />
        {state.error ? (
          <ErrorBanner error={state.error} onRetry={state.reload} />
        ) : (
          <p className="empty">{t('common.loading')}</p>
        )}
      </section>
    );
  }

  const managers = [...data.managers].sort(byActiveThenName);
  const { session } = data;
  return (
    <section className="page access-page" data-testid="page-access" data-session-id={sessionId}>
      <BackLink />
      <header className="page-header">
        <div className="access-title">
          <h1>{t('access.title', { name: session.name })}</h1>
          <StatusBadge status={session.status} />
        </div>
      </header>
      <p className="muted admin-lead">{t('access.lead')}</p>
      {state.error ? <ErrorBanner error={state.error} onRetry={state.reload} /> : null}

      {managers.length === 0 ? (
        <div className="card empty" data-testid="access-empty">
          <p>{t('access.noManagers')}</p>
          <Link to="/admin/managers" className="btn btn-primary">
            {t('access.toManagers')}
          </Link>
        </div>
      ) : (
        <TableCard
          cardClassName="access-card"
          tableClassName="access-matrix"
          testId="access-matrix"
          head={
            <>
              <th scope="col">{t('access.manager')}</th>
              {RIGHTS.map((right) => (
                <th scope="col" key={right} className="access-right-col" title={t(RIGHT_HINT[right])}>
                  {t(RIGHT_LABEL[right])}
                </th>
              ))}
            </>
          }
        >
          {managers.map((manager) => {
            const rights = rightsOf(manager.id);
            const row = rows[manager.id];
            return (
              <tr
                key={manager.id}
                data-testid={`access-row-${manager.id}`}
                data-state={row?.state ?? 'idle'}
                className={manager.active ? undefined : 'access-inactive'}
              >
                <th scope="row" className="access-manager">
                  <span className="access-manager-line">
                    <span className="access-manager-name">{manager.name}</span>
                    {manager.active ? null : <span className="badge">{t('managers.status.inactive')}</span>}
                    <RowStatus state={row?.state ?? 'idle'} />
                  </span>
                  <span className="access-manager-email muted">{manager.email}</span>
                  {row?.state === 'error' && row.error ? <RowError error={row.error} /> : null}
                </th>
                {RIGHTS.map((right) => (
                  <td key={right} className="access-cell">
                    <label className="access-check">
                      <input
                        type="checkbox"
                        checked={rights[right]}
                        onChange={(e) => toggle(manager, right, e.target.checked)}
                        data-testid={`access-${manager.id}-${right}`}
                      />
                      <span className="visually-hidden">
                        {manager.name}: {t(RIGHT_LABEL[right])}
                      </span>
                      {/* The column headers are hidden on a phone; each box says what it is. */}
                      <span className="access-check-label" aria-hidden="true">
                        {t(RIGHT_LABEL[right])}
                      </span>
                    </label>
                  </td>
                ))}
              </tr>
            );
          })}
        </TableCard>
      )}

      <dl className="access-legend">
        {RIGHTS.map((right) => (
          <div key={right}>
            <dt>{t(RIGHT_LABEL[right])}</dt>
            <dd className="muted">{t(RIGHT_HINT[right])}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function BackLink() {
  const { t } = useI18n();
  return (
    <Link to="/admin/sessions" className="admin-back" data-testid="access-back">
      ← {t('access.back')}
    </Link>
  );
}

function RowStatus({ state }: { state: RowState }) {
  const { t } = useI18n();
  if (state === 'saving') {
    return <span className="access-row-status muted">{t('access.saving')}</span>;
  }
  if (state === 'saved') {
    return <span className="access-row-status access-saved">{t('access.saved')}</span>;
  }
  return null;
}

function RowError({ error }: { error: ApiError }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  return (
    <span className="access-row-error field-error" role="alert" data-testid="access-row-error">
      {t('access.notSaved', { reason: errorText(error) })}
    </span>
  );
}
