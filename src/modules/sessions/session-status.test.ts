import { describe, expect, it } from 'vitest';

import { SESSION_STATUSES, type SessionEvent, type SessionStatus, transition } from './session-status.js';

describe('session status transitions', () => {
  const cases: [SessionStatus, SessionEvent, SessionStatus | null][] = [
    // linking a phone
    ['starting', 'qr', 'qr'],
    ['qr', 'qr', null],
    ['qr', 'connecting', 'connecting'],
    ['connecting', 'ready', 'ready'],
    ['starting', 'connecting', 'connecting'],
    ['starting', 'ready', 'ready'],
    // a drop and the reconnect after it
    ['ready', 'connection_lost', 'disconnected'],
    ['disconnected', 'start', 'starting'],
    ['disconnected', 'connecting', 'connecting'],
    ['disconnected', 'ready', 'ready'],
    // late or duplicate engine events change nothing
    ['ready', 'qr', null],
    ['ready', 'connecting', null],
    ['ready', 'ready', null],
    ['logged_out', 'ready', null],
    ['logged_out', 'qr', null],
    ['logged_out', 'connection_lost', null],
    ['failed', 'ready', null],
    ['failed', 'connection_lost', null],
    // admin actions and terminal outcomes
    ['ready', 'stopped', 'disconnected'],
    ['qr', 'stopped', 'disconnected'],
    ['ready', 'logged_out', 'logged_out'],
    ['connecting', 'failed', 'failed'],
    ['logged_out', 'start', 'starting'],
    ['failed', 'start', 'starting'],
    // An admin's disconnect ends in `disconnected`, whatever the phone did before.
    ['logged_out', 'stopped', 'disconnected'],
  ];

  it.each(cases)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });

  it('lets every status be restarted, failed and logged out', () => {
    for (const from of SESSION_STATUSES) {
      expect(transition(from, 'start') ?? from).toBe('starting');
      expect(transition(from, 'failed') ?? from).toBe('failed');
      expect(transition(from, 'logged_out') ?? from).toBe('logged_out');
    }
  });
});
