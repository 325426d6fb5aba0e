import { RealtimeProvider } from './api/realtime';
import { landingPath, PUBLIC_PATHS } from './auth/after-sign-in';
import { useAuth } from './auth/auth';
import { RegisterPage } from './auth/RegisterPage';
import { SignInPage } from './auth/SignInPage';
import { Redirect, usePathname } from './router';
import { AppShell } from './shell/AppShell';

/** Signed out: sign-in and register. Signed in: the shell with one live connection. */
export function App() {
  const auth = useAuth();
  const pathname = usePathname();

  if (!auth) {
    if (pathname === '/register') {
      return <RegisterPage />;
    }
    if (pathname !== '/sign-in') {
      const next = pathname === '/' ? '' : `?next=${encodeURIComponent(pathname + window.location.search)}`;
      return <Redirect to={`/sign-in${next}`} />;
    }
    return <SignInPage />;
  }
  if (pathname === '/' || PUBLIC_PATHS.has(pathname)) {
    return <Redirect to={landingPath(auth, window.location.search)} />;
  }
  return (
    <RealtimeProvider key={auth.token} token={auth.token}>
      <AppShell />
    </RealtimeProvider>
  );
}
