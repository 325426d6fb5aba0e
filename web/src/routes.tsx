/**
 * The signed-in screens: one line each. The shell's navigation is built from the entries with a
 * `nav` label, in this order, for the roles listed. A screen's component lives in its own file
 * (admin/*, inbox/*); replace the component, keep the path.
 */
import type { ReactNode } from 'react';

import { AccessPage } from './admin/AccessPage';
import { AuditPage } from './admin/AuditPage';
import { ManagersPage } from './admin/ManagersPage';
import { SessionsPage } from './admin/SessionsPage';
import { StatsPage } from './admin/StatsPage';
import type { Role } from './api/client';
import type { MessageKey } from './i18n/i18n';
import { InboxPage } from './inbox/InboxPage';

export interface RouteDef {
  /** A `matchPath` pattern. */
  path: string;
  roles: readonly Role[];
  /** The navigation entry: its label, link and test id (`nav-<id>`). */
  nav?: { id: string; label: MessageKey; href: string };
  render(params: Record<string, string>): ReactNode;
}

const ADMIN: readonly Role[] = ['admin'];
const EVERYONE: readonly Role[] = ['admin', 'manager'];

export const ROUTES: readonly RouteDef[] = [
  {
    path: '/admin/sessions',
    roles: ADMIN,
    nav: { id: 'sessions', label: 'nav.sessions', href: '/admin/sessions' },
    render: () => <SessionsPage />,
  },
  {
    path: '/admin/sessions/:sessionId/access',
    roles: ADMIN,
    render: (p) => <AccessPage key={p.sessionId} sessionId={p.sessionId ?? ''} />,
  },
  {
    path: '/admin/managers',
    roles: ADMIN,
    nav: { id: 'managers', label: 'nav.managers', href: '/admin/managers' },
    render: () => <ManagersPage />,
  },
  {
    path: '/admin/stats',
    roles: ADMIN,
    nav: { id: 'stats', label: 'nav.stats', href: '/admin/stats' },
    render: () => <StatsPage />,
  },
  {
    path: '/admin/audit',
    roles: ADMIN,
    nav: { id: 'audit', label: 'nav.audit', href: '/admin/audit' },
    render: () => <AuditPage />,
  },
  {
    path: '/inbox/:sessionId?/:chatId?',
    roles: EVERYONE,
    nav: { id: 'inbox', label: 'nav.inbox', href: '/inbox' },
    render: (p) => <InboxPage sessionId={p.sessionId} chatId={p.chatId} />,
  },
];

/** Where a user lands after signing in, and on `/`. */
export function homePath(role: Role): string {
  return role === 'admin' ? '/admin/sessions' : '/inbox';
}
