/**
 * A tiny History API router. The console has a handful of flat routes and one parameterised
 * family (`/inbox/:sessionId/:chatId`); about 60 lines cover them, where react-router would add
 * a dependency and tens of kilobytes for loaders and nested layouts we do not use. The service
 * answers every non-API path with index.html, so deep links and reloads work.
 */
import {
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
  useEffect,
  useSyncExternalStore,
} from 'react';

const listeners = new Set<() => void>();

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

/** Goes to `to` (a path with optional query) without reloading. */
export function navigate(to: string, options: { replace?: boolean } = {}) {
  if (to === window.location.pathname + window.location.search) {
    return;
  }
  if (options.replace) {
    window.history.replaceState(null, '', to);
  } else {
    window.history.pushState(null, '', to);
  }
  for (const listener of listeners) {
    listener();
  }
}

/** The current path; re-renders on navigation. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** The current query string as URLSearchParams (a new object each render). */
export function useSearchParams(): URLSearchParams {
  const search = useSyncExternalStore(subscribe, () => window.location.search);
  return new URLSearchParams(search);
}

/**
 * Matches `/inbox/:sessionId/:chatId?` against a path: the params, or null. A `?` suffix makes a
 * segment optional (only trailing segments may be).
 */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = pathname.split('/').filter(Boolean);
  if (have.length > want.length) {
    return null;
  }
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const value = have[i];
    const optional = segment.endsWith('?');
    if (value === undefined) {
      if (optional) {
        continue;
      }
      return null;
    }
    if (segment.startsWith(':')) {
      params[segment.slice(1).replace(/\?$/, '')] = decodeURIComponent(value);
    } else if (segment !== value) {
      return null;
    }
  }
  return params;
}

/** An anchor that navigates in-app on a plain left click and behaves natively otherwise. */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}

/** Replaces the URL on mount and renders `children` meanwhile (usually nothing). */
export function Redirect({ to, children = null }: { to: string; children?: ReactNode }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return children;
}
