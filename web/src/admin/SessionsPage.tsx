import { useState } from 'react';

import { api, type Session, unwrap } from '../api/client';
import { useSocketEvent } from '../api/realtime';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n';
import { patchById, upsertById } from '../shared/lists';
import { ErrorBanner } from '../ui/ErrorBanner';
import { useFormSubmit } from '../ui/form';
import { useFieldErrors } from './field-errors';
import { PageHeader } from './PageHeader';
import { SessionCard } from './SessionCard';

/** Newest first: a session just added shows its QR at the top. */
function byNewest(a: Session, b: Session): number {
  return b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
}

/**
 * The company's WhatsApp numbers with their live status: add one and scan its QR, watch it link and
 * import its history, disconnect, reconnect or delete it, and open who may work with it.
 */
export function SessionsPage() {
  const { t } = useI18n();
  const sessions = useApi((signal) => unwrap(api.GET('/api/whatsapp/sessions', { signal })), []);
  const { data, setData, reload } = sessions;

  /** Applies a change from a socket event; an unknown session (created elsewhere) means reload. */
  const patch = (sessionId: string, change: Partial<Session>) => {
    if (!data?.some((s) => s.id === sessionId)) {
      reload();
      return;
    }
    setData((list) => patchById(list, sessionId, change));
  };

  useSocketEvent('whatsapp:session_status', ({ sessionId, status }) => patch(sessionId, { status }));
  useSocketEvent('whatsapp:ready', ({ sessionId, phoneNumber, displayName }) =>
    patch(sessionId, {
      status: 'ready',
      phoneNumber,
      displayName,
      connectedAt: new Date().toISOString(),
      lastError: null,
    }),
  );
  useSocketEvent('whatsapp:disconnected', ({ sessionId, reason }) => patch(sessionId, { lastError: reason }));

  const upsert = (session: Session) => setData((list) => upsertById(list, session));
  const remove = (sessionId: string) => setData((list) => (list ?? []).filter((s) => s.id !== sessionId));

  const sorted = data ? [...data].sort(byNewest) : [];
  return (
    <section className="page sessions-page" data-testid="page-sessions">
      <PageHeader title={t('nav.sessions')} lead={t('sessions.lead')} />

      <CreateSession onCreated={upsert} />

      {sessions.error ? <ErrorBanner error={sessions.error} onRetry={reload} /> : null}
      {!data && sessions.loading ? <p className="empty">{t('common.loading')}</p> : null}
      {data && data.length === 0 ? (
        <p className="empty" data-testid="sessions-empty">
          {t('sessions.empty')}
        </p>
      ) : null}

      <div className="sessions-list" data-testid="sessions-list">
        {sorted.map((session) => (
          <SessionCard key={session.id} session={session} onChange={upsert} onDelete={remove} />
        ))}
      </div>
    </section>
  );
}

function CreateSession({ onCreated }: { onCreated: (session: Session) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const form = useFormSubmit(
    async () => {
      const trimmed = name.trim();
      const session = await unwrap(
        api.POST('/api/whatsapp/sessions', { body: trimmed ? { name: trimmed } : {} }),
      );
      setName('');
      onCreated(session);
    },
    { fieldErrors: useFieldErrors() },
  );
  const { error, fields } = form;

  return (
    <form
      className="card sessions-create"
      onSubmit={form.onSubmit}
      noValidate
      data-testid="create-session-form"
    >
      <div className="field sessions-create-field">
        <label htmlFor="create-session-name">{t('sessions.create.name')}</label>
        <input
          id="create-session-name"
          className="input"
          name="name"
          maxLength={120}
          placeholder={t('sessions.create.placeholder')}
          value={name}
          aria-invalid={fields.name ? true : undefined}
          onChange={(e) => setName(e.target.value)}
          data-testid="create-session-name"
        />
        {fields.name ? <p className="field-error">{fields.name}</p> : null}
      </div>
      <button type="submit" className="btn btn-primary" disabled={form.pending} data-testid="create-session">
        {t('sessions.create.submit')}
      </button>
      {error && !fields.name ? (
        <div className="sessions-create-error">
          <ErrorBanner error={error} />
        </div>
      ) : null}
    </form>
  );
}
