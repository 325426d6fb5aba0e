import { afterEach, describe, expect, it, vi } from 'vitest';

import { SignalPeer } from '../../../../test/wa-server/peer.js';

/**
 * libsignal, as patched (patches/libsignal+…): it printed every Signal session it opened, closed
 * or dropped to the console, private keys included, straight into the service's log stream.
 */
describe('libsignal in the service', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints no session (no key material) when sessions are opened and replaced', async () => {
    const printed: unknown[][] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args);
      });
    }
    const ann = new SignalPeer();
    const bob = new SignalPeer();
    const first = await ann.encrypt('bob', { conversation: 'one' }, bob.bundle());
    expect((await bob.decrypt('ann', first.type, first.ciphertext)).conversation).toBe('one');
    // Ann starts over (a new device state): Bob replaces the open session with a new one.
    ann.forget('bob');
    const second = await ann.encrypt('bob', { conversation: 'two' }, bob.bundle());
    expect((await bob.decrypt('ann', second.type, second.ciphertext)).conversation).toBe('two');

    const keyMaterial = printed.filter((args) =>
      args.some((arg) => typeof arg === 'object' && arg !== null && 'currentRatchet' in arg),
    );
    expect(keyMaterial).toEqual([]);
  });
});
