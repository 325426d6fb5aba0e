import { useEffect, useState } from 'react';

import { api, type Session, unwrap } from '../api/client';
import type { EventPayload } from '../api/events';
import { useCatchUp, useSocketEvent } from '../api/realtime';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { formatPhone } from '../shared/phone';
import { ErrorBanner } from '../ui/ErrorBanner';
import { Field } from '../ui/Field';
import { useFormSubmit } from '../ui/form';
import { useFieldErrors } from './field-errors';
import { ConfirmDialog } from './Modal';

type Status = Session['status'];
type History = Omit<EventPayload<'whatsapp:history_progress'>, 'sessionId'>;
interface Qr {
  qrCode: string;
  expiresAt: string;
}

/** Statuses in which the engine is running or trying to; the others wait for an admin. */
const ACTIVE: ReadonlySet<Status> = new Set(['starting', 'qr', 'connecting', 'ready']);

/** The newer of two QR codes (a fetched one may arrive after a fresher one from the socket). */
function newer(current: Qr | null, next: Qr): Qr {
  return current && Date.parse(current.expiresAt) > Date.parse(next.expiresAt) ? current : next;
}

/**
 * One WhatsApp session: its live status, the QR (or a pairing code) while it waits for a phone,
 * the import of the phone's history, and the admin's actions.
 */
export function SessionCard({
  session,
  onChange,
  onDelete,
}: {
  session: Session;
  onChange: (session: Session) => void;
  onDelete: (sessionId: string) => void;
}) {
  const { t, formatDateTime } = useI18n();
  const id = session.id;
  const [qr, setQr] = useState<Qr | null>(null);
  const [qrReloads, setQrReloads] = useState(0);
  const [history, setHistory] = useState<History | null>(null);
  const [confirm, setConfirm] = useState<'disconnect' | 'delete' | null>(null);

  // The pending QR, fetched whenever the session starts waiting for one (and after a drop); the
  // socket brings every new one while it rotates.
  useEffect(() => {
    if (session.status !== 'qr') {
      return;
    }
    const controller = new AbortController();
    unwrap(
      api.GET('/api/whatsapp/sessions/{sessionId}/qr', {
        params: { path: { sessionId: id } },
        signal: controller.signal,
      }),
    ).then(
      (answer) => {
        const { qrCode, expiresAt } = answer;
        if (qrCode && expiresAt && !controller.signal.aborted) {
          setQr((current) => newer(current, { qrCode, expiresAt }));
        }
      },
      () => {
        // The socket's next QR (every ~20 s) replaces it; nothing to tell the admin yet.
      },
    );
    return () => controller.abort();
  }, [id, session.status, qrReloads]);
  useCatchUp(() => setQrReloads((n) => n + 1));

  useSocketEvent('whatsapp:qr', (payload) => {
    if (payload.sessionId === id) {
      setQr((current) => newer(current, { qrCode: payload.qrCode, expiresAt: payload.expiresAt }));
    }
  });
  useSocketEvent('whatsapp:history_progress', ({ sessionId, ...progress }) => {
    if (sessionId === id) {
      setHistory(progress);
    }
  });

  const action = useFormSubmit(async (kind: 'disconnect' | 'reconnect') => {
    const path = { params: { path: { sessionId: id } } };
    const updated =
      kind === 'disconnect'
        ? await unwrap(api.POST('/api/whatsapp/sessions/{sessionId}/disconnect', path))
        : await unwrap(api.POST('/api/whatsapp/sessions/{sessionId}/reconnect', path));
    setQr(null);
    onChange(updated);
  });
  const busy = action.pending;

  const remove = async () => {
    await unwrap(api.DELETE('/api/whatsapp/sessions/{sessionId}', { params: { path: { sessionId: id } } }));
    onDelete(id);
  };

  const status = session.status;
  const showQr = status === 'qr' && qr !== null;
  return (
    <article
      className="card sessions-card"
      data-testid="session-card"
      data-session-id={id}
      data-status={status}
    >
      <header className="sessions-card-header">
        <h2 className="sessions-card-name" data-testid="session-name">
          {session.name}
        </h2>
        <StatusBadge status={status} />
      </header>

      {session.phoneNumber ? (
        <p className="sessions-card-account">
          <span className="sessions-phone" data-testid="session-phone">
            {formatPhone(session.phoneNumber)}
          </span>
          {session.displayName ? (
            <span className="muted" data-testid="session-display-name">
              {' · '}
              {session.displayName}
            </span>
          ) : null}
        </p>
      ) : null}
      {status === 'ready' && session.connectedAt ? (
        <p className="sessions-card-meta muted">
          {t('sessions.connectedSince', { time: formatDateTime(session.connectedAt) })}
        </p>
      ) : null}
      {!ACTIVE.has(status) && session.lastError ? (
        <p className="sessions-card-meta muted" data-testid="session-last-error">
          {t('sessions.lastError', { reason: session.lastError })}
        </p>
      ) : null}

      {status === 'starting' || (status === 'qr' && !showQr) ? (
        <p className="sessions-hint" data-testid="session-qr-waiting">
          {t('sessions.qr.preparing')}
        </p>
      ) : null}
      {showQr ? <LinkPanel sessionId={id} qrCode={qr.qrCode} /> : null}
      {status === 'connecting' ? <p className="sessions-hint">{t('sessions.connecting')}</p> : null}

      {history ? <HistoryProgress history={history} /> : null}

      {action.error ? <ErrorBanner error={action.error} /> : null}

      <footer className="sessions-card-actions">
        <Link to={`/admin/sessions/${id}/access`} className="btn" data-testid="session-access">
          {t('sessions.action.access')}
        </Link>
        {status === 'ready' ? (
          <Link to={`/inbox/${id}`} className="btn btn-ghost" data-testid="session-inbox">
            {t('sessions.action.inbox')}
          </Link>
        ) : null}
        <span className="sessions-card-spacer" />
        {ACTIVE.has(status) ? (
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={() => setConfirm('disconnect')}
            data-testid="session-disconnect"
          >
            {t('sessions.action.disconnect')}
          </button>
        ) : (
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => void action.run('reconnect')}
            data-testid="session-reconnect"
          >
            {t('sessions.action.reconnect')}
          </button>
        )}
        <button
          type="button"
          className="btn btn-danger"
          disabled={busy}
          onClick={() => setConfirm('delete')}
          data-testid="session-delete"
        >
          {t('common.delete')}
        </button>
      </footer>

      {confirm === 'disconnect' ? (
        <ConfirmDialog
          title={t('sessions.confirmDisconnect.title', { name: session.name })}
          message={t('sessions.confirmDisconnect.body')}
          confirmLabel={t('sessions.action.disconnect')}
          onConfirm={() => action.run('disconnect')}
          onClose={() => setConfirm(null)}
        />
      ) : null}
      {confirm === 'delete' ? (
        <ConfirmDialog
          title={t('sessions.confirmDelete.title', { name: session.name })}
          message={t('sessions.confirmDelete.body')}
          confirmLabel={t('common.delete')}
          onConfirm={remove}
          onClose={() => setConfirm(null)}
        />
      ) : null}
    </article>
  );
}

export function StatusBadge({ status }: { status: Status }) {
  const { t } = useI18n();
  return (
    <span className="badge sessions-status" data-status={status} data-testid="session-status">
      {t(`sessions.status.${status}`)}
    </span>
  );
}

/** The QR to scan, with the steps on the phone, and linking by a code instead. */
function LinkPanel({ sessionId, qrCode }: { sessionId: string; qrCode: string }) {
  const { t } = useI18n();
  return (
    <div className="sessions-link">
      <img className="sessions-qr" src={qrCode} alt={t('sessions.qr.alt')} data-testid="session-qr" />
      <div className="sessions-link-text">
        <ol className="sessions-steps">
          <li>{t('sessions.qr.step1')}</li>
          <li>{t('sessions.qr.step2')}</li>
          <li>{t('sessions.qr.step3')}</li>
        </ol>
        <p className="muted sessions-small">{t('sessions.qr.rotates')}</p>
        <PairingCode sessionId={sessionId} />
      </div>
    </div>
  );
}

/** Link by an 8-character code typed on the phone: for a phone that cannot scan this screen. */
function PairingCode({ sessionId }: { sessionId: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState<string | null>(null);
  const form = useFormSubmit(
    async () => {
      const answer = await unwrap(
        api.POST('/api/whatsapp/sessions/{sessionId}/pairing-code', {
          params: { path: { sessionId } },
          body: { phoneNumber: phone.replace(/[\s()+-]/g, '') },
        }),
      );
      setCode(answer.code);
    },
    { fieldErrors: useFieldErrors() },
  );

  if (!open) {
    return (
      <button
        type="button"
        className="btn btn-ghost sessions-pairing-toggle"
        onClick={() => setOpen(true)}
        data-testid="pairing-toggle"
      >
        {t('sessions.pairing.toggle')}
      </button>
    );
  }

  const { error, fields } = form;
  return (
    <form className="sessions-pairing" onSubmit={form.onSubmit} noValidate data-testid="pairing-form">
      <Field
        label={t('sessions.pairing.phone')}
        name="phoneNumber"
        type="tel"
        inputMode="tel"
        autoComplete="tel"
        placeholder="79991234567"
        hint={t('sessions.pairing.phoneHint')}
        value={phone}
        error={fields.phoneNumber}
        onChange={(e) => setPhone(e.target.value)}
        data-testid="pairing-phone"
      />
      {error && !fields.phoneNumber ? <ErrorBanner error={error} /> : null}
      <button
        type="submit"
        className="btn"
        disabled={form.pending || phone.trim() === ''}
        data-testid="pairing-submit"
      >
        {t('sessions.pairing.submit')}
      </button>
      {code ? (
        <div className="sessions-pairing-result" role="status">
          <p className="sessions-small">{t('sessions.pairing.enter')}</p>
          <code className="sessions-pairing-code" data-testid="pairing-code" data-code={code}>
            {code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code}
          </code>
        </div>
      ) : null}
    </form>
  );
}

function HistoryProgress({ history }: { history: History }) {
  const { t, tn } = useI18n();
  const progress = Math.max(0, Math.min(100, Math.round(history.progress)));
  const done = progress >= 100;
  return (
    <div
      className="sessions-history"
      data-testid="history-progress"
      data-progress={progress}
      data-done={done}
    >
      <div className="sessions-history-label">
        <span>{t(done ? 'sessions.history.done' : 'sessions.history.importing')}</span>
        <span className="sessions-history-percent">{progress}%</span>
      </div>
      <div
        className="sessions-progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress}
        aria-label={t('sessions.history.importing')}
      >
        <span className="sessions-progress-bar" style={{ width: `${progress}%` }} />
      </div>
      <p className="muted sessions-small">
        {tn('sessions.history.chats', history.chats)} · {tn('sessions.history.messages', history.messages)}
      </p>
    </div>
  );
}
