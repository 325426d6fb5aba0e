import type { CSSProperties } from 'react';

import type { Session } from '../api/client';
import { type MessageKey, useI18n } from '../i18n/i18n';
import { hueOf, initials } from './model';

/** A round badge with a chat's initials, coloured per chat. */
export function Avatar({ id, title }: { id: string; title: string }) {
  return (
    <span className="inbox-avatar" style={{ '--avatar-hue': hueOf(id) } as CSSProperties} aria-hidden="true">
      {initials(title)}
    </span>
  );
}

const STATUS_LABELS: Record<Session['status'], MessageKey> = {
  starting: 'inbox.session.starting',
  qr: 'inbox.session.qr',
  connecting: 'inbox.session.connecting',
  ready: 'inbox.session.ready',
  disconnected: 'inbox.session.disconnected',
  logged_out: 'inbox.session.logged_out',
  failed: 'inbox.session.failed',
};

/** A session's connection state: a coloured dot and its name. */
export function SessionState({ status }: { status: Session['status'] }) {
  const { t } = useI18n();
  return (
    <span className="inbox-session-state" data-status={status} data-testid="session-state">
      <span className="inbox-session-dot" aria-hidden="true" />
      {t(STATUS_LABELS[status])}
    </span>
  );
}
