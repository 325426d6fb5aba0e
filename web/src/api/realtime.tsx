/**
 * The signed-in user's live connection, for every screen:
 *
 *   useSocketEvent('whatsapp:session_status', (p) => …)   // typed payload, unsubscribed on unmount
 *   useCatchUp(() => void reload())                        // after a drop the server could not replay
 *   const { status, connectionEpoch } = useRealtime()
 *
 * `connectionEpoch` grows on every `realtime:connected {recovered: false}` (the first connection
 * included): events may have been missed, so whatever a screen shows must be fetched again. After
 * a recovered reconnection the missed events are replayed and nothing needs refetching.
 */
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useEffectEvent,
  useMemo,
  useRef,
  useState,
} from 'react';

import { refreshMe } from '../auth/auth';
import type { EventName, EventPayload } from './events';
import { type AppSocket, connectSocket } from './socket';

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

export interface Realtime {
  status: ConnectionStatus;
  connectionEpoch: number;
  /** Listens to one event; returns the unsubscribe function. Prefer `useSocketEvent` in components. */
  subscribe: <E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void) => () => void;
}

const RealtimeContext = createContext<Realtime | null>(null);

export function RealtimeProvider({ token, children }: { token: string; children: ReactNode }) {
  // The provider is keyed by the token (App.tsx), so one socket per provider instance.
  const [socket] = useState<AppSocket>(() => connectSocket(token));
  const [status, setStatus] = useState<ConnectionStatus>('connecting');
  const [connectionEpoch, setEpoch] = useState(0);

  useEffect(() => {
    const s = socket;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const onConnected = ({ recovered }: { recovered: boolean }) => {
      setStatus('connected');
      if (!recovered) {
        setEpoch((n) => n + 1);
      }
    };
    // The server refused the token at the handshake (expired, user deactivated) or closed the
    // socket itself, and socket.io will not retry on its own. Ask the API: a 401 there signs out
    // (api/client.ts), which unmounts this provider; anything else (a restart, a network fault)
    // means try again shortly.
    const checkThenRetry = () => {
      const again = () => {
        retry = setTimeout(() => s.connect(), 3000);
      };
      refreshMe().then(again, again);
    };
    const onDisconnect = (reason: string) => {
      setStatus('disconnected');
      if (reason === 'io server disconnect') {
        checkThenRetry();
      }
    };
    const onReconnectAttempt = () => setStatus('connecting');
    const onConnectError = () => {
      setStatus('disconnected');
      if (!s.active) {
        checkThenRetry();
      }
    };
    s.on('realtime:connected', onConnected);
    s.on('disconnect', onDisconnect);
    s.on('connect_error', onConnectError);
    s.io.on('reconnect_attempt', onReconnectAttempt);
    s.connect();
    return () => {
      clearTimeout(retry);
      s.off('realtime:connected', onConnected);
      s.off('disconnect', onDisconnect);
      s.off('connect_error', onConnectError);
      s.io.off('reconnect_attempt', onReconnectAttempt);
      s.disconnect();
    };
  }, [socket]);

  // Stable per socket, so subscribers do not resubscribe when the status changes.
  const subscribe = useCallback<Realtime['subscribe']>(
    (event, handler) => {
      // socket.io's listener typing does not follow a generic event name; the map is the same.
      const listener = handler as never;
      socket.on(event, listener);
      return () => {
        socket.off(event, listener);
      };
    },
    [socket],
  );

  const value = useMemo<Realtime>(
    () => ({ status, connectionEpoch, subscribe }),
    [status, connectionEpoch, subscribe],
  );

  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}

export function useRealtime(): Realtime {
  const value = useContext(RealtimeContext);
  if (!value) {
    throw new Error('useRealtime outside <RealtimeProvider>');
  }
  return value;
}

/** Calls `handler` (the latest one) for every `event` while the component is mounted. */
export function useSocketEvent<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void) {
  const { subscribe } = useRealtime();
  const onEvent = useEffectEvent(handler);
  useEffect(() => subscribe(event, (payload) => onEvent(payload)), [subscribe, event]);
}

/**
 * Calls `refetch` whenever the connection (re)starts without replaying missed events, after the
 * component mounted: screens fetch on mount, and again here, so nothing is lost in a drop.
 */
export function useCatchUp(refetch: () => void) {
  // Outside the signed-in shell (no provider) there is no connection to catch up with.
  const connectionEpoch = useContext(RealtimeContext)?.connectionEpoch ?? 0;
  const onCatchUp = useEffectEvent(refetch);
  const seen = useRef(connectionEpoch);
  useEffect(() => {
    if (connectionEpoch !== seen.current) {
      seen.current = connectionEpoch;
      onCatchUp();
    }
  }, [connectionEpoch]);
}
