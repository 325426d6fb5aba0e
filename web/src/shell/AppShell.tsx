import { useEffect, useState } from 'react';

import { useRealtime } from '../api/realtime';
import { refreshMe, signOut, useSignedIn } from '../auth/auth';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from '../i18n/LanguageSwitch';
import { Link, matchPath, Redirect, usePathname } from '../router';
import { homePath, ROUTES } from '../routes';
import { NotFound } from './NotFound';

/** Header, navigation for the user's role, and the current screen. */
export function AppShell() {
  const { t } = useI18n();
  const { user, company } = useSignedIn();
  const pathname = usePathname();
  const [menuOpen, setMenuOpen] = useState(false);

  // The stored user and company may be stale (renamed, role changed): refresh once per shell.
  useEffect(() => {
    refreshMe().catch(() => {});
  }, []);

  const navItems = ROUTES.filter((r) => r.nav && r.roles.includes(user.role));
  let screen = <NotFound />;
  for (const route of ROUTES) {
    const params = matchPath(route.path, pathname);
    if (params) {
      screen = route.roles.includes(user.role) ? (
        <>{route.render(params)}</>
      ) : (
        <Redirect to={homePath(user.role)} />
      );
      break;
    }
  }

  const roleLabel = t(user.role === 'admin' ? 'shell.role.admin' : 'shell.role.manager');
  return (
    <div className="shell" data-testid="app-shell">
      <header className="topbar">
        <button
          type="button"
          className="btn btn-ghost menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          data-testid="menu-toggle"
          onClick={() => setMenuOpen((open) => !open)}
        >
          <span aria-hidden="true">☰</span>
          <span className="visually-hidden">{t('shell.menu')}</span>
        </button>
        <span className="company-name" data-testid="company-name" title={company.name}>
          {company.name}
        </span>
        <ConnectionStatus />
        <span className="topbar-user" data-testid="user-name">
          {user.name} <span className="muted">· {roleLabel}</span>
        </span>
        <LanguageSwitch />
        <button type="button" className="btn btn-ghost" data-testid="sign-out" onClick={() => signOut()}>
          {t('shell.signOut')}
        </button>
      </header>
      <div className="shell-body">
        <nav id="main-nav" className="nav" data-open={menuOpen} aria-label={t('shell.menu')}>
          <p className="nav-user">
            {user.name} <span className="muted">· {roleLabel}</span>
          </p>
          <ul>
            {navItems.map(({ nav }) =>
              nav ? (
                <li key={nav.id}>
                  <Link
                    to={nav.href}
                    className="nav-link"
                    onClick={() => setMenuOpen(false)}
                    data-testid={`nav-${nav.id}`}
                    aria-current={pathname.startsWith(nav.href) ? 'page' : undefined}
                  >
                    {t(nav.label)}
                  </Link>
                </li>
              ) : null,
            )}
          </ul>
        </nav>
        <main className="main">{screen}</main>
      </div>
    </div>
  );
}

function ConnectionStatus() {
  const { t } = useI18n();
  const { status } = useRealtime();
  return (
    <span className="connection" data-status={status} data-testid="connection-status" role="status">
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-label">{t(`shell.connection.${status}`)}</span>
    </span>
  );
}
