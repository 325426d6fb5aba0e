/**
 * Who is signed in: `{token, user, company}`, kept in localStorage (so a reload or a new tab stays
 * signed in) and in a small store that `useAuth()` reads. The API client takes its bearer token
 * from here, and a 401 to a request that carried it signs out everywhere.
 */
import { useSyncExternalStore } from 'react';

import { api, type Company, configureApiAuth, unwrap, type User } from '../api/client';
import { navigate } from '../router';

export interface AuthState {
  token: string;
  user: User;
  company: Company;
}

const STORAGE_KEY = 'wa-console.auth';
const listeners = new Set<() => void>();
let state: AuthState | null = read();

function read(): AuthState | null {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<AuthState> | null;
    if (parsed && typeof parsed.token === 'string' && parsed.user && parsed.company) {
      return parsed as AuthState;
    }
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

function setAuthState(next: AuthState | null) {
  state = next;
  if (next) {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  } else {
    localStorage.removeItem(STORAGE_KEY);
  }
  for (const listener of listeners) {
    listener();
  }
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab signed in or out: follow it.
window.addEventListener('storage', (event) => {
  if (event.key === STORAGE_KEY) {
    state = read();
    for (const listener of listeners) {
      listener();
    }
  }
});

configureApiAuth({ token: () => state?.token ?? null, onUnauthorized: () => signOut() });

/** Signs in; resolves with the new state, rejects with `ApiError` (e.g. INVALID_CREDENTIALS). */
export async function signIn(email: string, password: string): Promise<AuthState> {
  const result = await unwrap(api.POST('/api/auth/login', { body: { email, password } }));
  // Login answers the company only for some issuers; `me` always has it.
  const company =
    result.company ??
    (await unwrap(api.GET('/api/auth/me', { headers: { authorization: `Bearer ${result.token}` } }))).company;
  const next = { token: result.token, user: result.user, company };
  setAuthState(next);
  return next;
}

/** Registers a company and its first admin, and signs in as that admin. */
export async function registerCompany(body: {
  companyName: string;
  name: string;
  email: string;
  password: string;
}): Promise<AuthState> {
  const result = await unwrap(api.POST('/api/auth/register', { body }));
  if (!result.company) {
    throw new Error('register answered without a company');
  }
  const next = { token: result.token, user: result.user, company: result.company };
  setAuthState(next);
  return next;
}

/** Forgets the token and goes to the sign-in page. */
export function signOut() {
  // Leave the page first, so the signed-out app does not remember it as the place to return to.
  navigate('/sign-in', { replace: true });
  if (state) {
    setAuthState(null);
  }
}

/** Re-reads the user and company (a rename, a role change); a dead token signs out via the 401. */
export async function refreshMe(): Promise<void> {
  const token = state?.token;
  if (!token) {
    return;
  }
  const me = await unwrap(api.GET('/api/auth/me'));
  if (state?.token === token) {
    setAuthState({ token, user: me.user, company: me.company });
  }
}

/** The signed-in state, or null; re-renders on sign-in and sign-out (in any tab). */
export function useAuth(): AuthState | null {
  return useSyncExternalStore(subscribe, () => state);
}

/** The signed-in state inside the shell, where someone is always signed in. */
export function useSignedIn(): AuthState {
  const auth = useAuth();
  if (!auth) {
    throw new Error('useSignedIn outside the signed-in shell');
  }
  return auth;
}
