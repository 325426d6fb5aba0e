import { homePath } from '../routes';
import type { AuthState } from './auth';

export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/sign-in', '/register']);

/** A path to return to after signing in (`?next=`): same-origin, signed-in paths only. */
export function safeNext(next: string | null): string | null {
  return next && next.startsWith('/') && !next.startsWith('//') && !PUBLIC_PATHS.has(next.split('?')[0] ?? '')
    ? next
    : null;
}

/** Where a signed-in user on a signed-out page goes: back where they were sent from, else home. */
export function landingPath(auth: AuthState, search: string): string {
  return safeNext(new URLSearchParams(search).get('next')) ?? homePath(auth.user.role);
}
