import { useEffect } from 'react';

import { api, type Session, unwrap } from '../api/client';
import { useSocketEvent } from '../api/realtime';
import { useApi } from '../api/use-api';

/**
 * How often the session list is re-read while the page is visible. The server moves a manager's
 * sockets out of a session's rooms when access is granted or revoked but tells the client nothing
 * (there is no access event), so a change of rights is found by asking again: on this timer, when
 * the window regains focus, and at once after any 403/404 in a session (`reload`).
 */
export const SESSIONS_POLL_MS = 10_000;

/** The sessions the user may see, with their rights, kept current. */
export function useInboxSessions() {
  const sessions = useApi((signal) => unwrap(api.GET('/api/whatsapp/sessions', { signal })), []);
  const { reload, setData } = sessions;

  useEffect(() => {
    const visible = () => document.visibilityState === 'visible';
    const timer = setInterval(() => {
      if (visible()) {
        reload();
      }
    }, SESSIONS_POLL_MS);
    const onVisible = () => {
      if (visible()) {
        reload();
      }
    };
    window.addEventListener('focus', reload);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', reload);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [reload]);

  const patch = (sessionId: string, change: Partial<Session>) => {
    // Before the first answer there is nothing to patch; that answer is current anyway.
    if (!sessions.data) {
      return;
    }
    if (!sessions.data.some((s) => s.id === sessionId)) {
      // A session this list does not have yet (just created, or just shared): read the list again.
      reload();
      return;
    }
    setData((list) => (list ?? []).map((s) => (s.id === sessionId ? { ...s, ...change } : s)));
  };

  useSocketEvent('whatsapp:session_status', (p) => patch(p.sessionId, { status: p.status }));
  useSocketEvent('whatsapp:ready', (p) =>
    patch(p.sessionId, { status: 'ready', phoneNumber: p.phoneNumber, displayName: p.displayName }),
  );

  return sessions;
}
