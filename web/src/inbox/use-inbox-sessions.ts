import { useEffect } from 'react';

import { api, type Session, unwrap } from '../api/client';
import { useSocketEvent } from '../api/realtime';
import { useApi } from '../api/use-api';
import { patchById } from '../shared/lists';

/**
 * The sessions the user may see, with their rights, kept current: status events patch them, a
 * change of rights (`whatsapp:access_changed`) patches or removes one at once, and the list is read
 * again when the window comes back into view.
 */
export function useInboxSessions() {
  const sessions = useApi((signal) => unwrap(api.GET('/api/whatsapp/sessions', { signal })), []);
  const { reload, setData } = sessions;

  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') {
        reload();
      }
    };
    window.addEventListener('focus', reload);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
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
    setData((list) => patchById(list, sessionId, change));
  };

  useSocketEvent('whatsapp:access_changed', ({ sessionId, rights }) => {
    if (rights === null) {
      // Revoked: the session leaves the view now, not at the next read.
      setData((list) => (list ?? []).filter((s) => s.id !== sessionId));
      return;
    }
    patch(sessionId, { rights });
  });
  useSocketEvent('whatsapp:session_status', (p) => patch(p.sessionId, { status: p.status }));
  useSocketEvent('whatsapp:ready', (p) =>
    patch(p.sessionId, { status: 'ready', phoneNumber: p.phoneNumber, displayName: p.displayName }),
  );

  return sessions;
}
