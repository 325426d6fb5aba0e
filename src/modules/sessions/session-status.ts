/** A session's status, as the contract names it. */
export const SESSION_STATUSES = [
  'starting',
  'qr',
  'connecting',
  'ready',
  'disconnected',
  'logged_out',
  'failed',
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** What can happen to a session, from the engine or from an admin. */
export type SessionEvent =
  /** The supervisor starts (or restarts) the engine. */
  | 'start'
  /** The engine shows a QR or a pairing code: waiting for the phone. */
  | 'qr'
  /** The engine is opening the connection with credentials it has. */
  | 'connecting'
  /** Linked and online. */
  | 'ready'
  /** The connection dropped; the supervisor will reconnect. */
  | 'connection_lost'
  /** An admin disconnected the session (its account was logged out), or it was stopped for good. */
  | 'stopped'
  /** The phone unlinked this device, or the credentials were refused: a new QR is needed. */
  | 'logged_out'
  /** Gave up: repeated failures, or another client took over these credentials. */
  | 'failed';

type Table = Record<SessionStatus, Partial<Record<SessionEvent, SessionStatus>>>;

const always = {
  start: 'starting',
  stopped: 'disconnected',
  logged_out: 'logged_out',
  failed: 'failed',
} as const;
const linking = {
  ...always,
  qr: 'qr',
  connecting: 'connecting',
  ready: 'ready',
  connection_lost: 'disconnected',
} as const;

/**
 * The whole state machine. A missing entry means the event does not apply in that state and is
 * ignored (a late QR after the phone linked, a duplicate "ready").
 */
export const TRANSITIONS: Table = {
  starting: linking,
  qr: linking,
  connecting: linking,
  disconnected: linking,
  ready: { ...always, connection_lost: 'disconnected' },
  logged_out: { start: 'starting', stopped: 'disconnected', failed: 'failed' },
  failed: { start: 'starting', stopped: 'disconnected', logged_out: 'logged_out' },
};

/** The status after `event`, or null when the event does not change anything in `from`. */
export function transition(from: SessionStatus, event: SessionEvent): SessionStatus | null {
  const to = TRANSITIONS[from][event];
  return to && to !== from ? to : null;
}
