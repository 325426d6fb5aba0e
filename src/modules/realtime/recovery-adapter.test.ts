import { Encoder } from 'socket.io-parser';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { MAX_DISCONNECTION_MS, MAX_KEPT_PACKETS, RecoveryAdapter } from './recovery-adapter.js';

/** The namespace surface the in-memory adapter touches: its encoder, and no sockets to write to. */
function adapter() {
  return new RecoveryAdapter({ name: '/', server: { encoder: new Encoder() }, sockets: new Map() });
}

/** Broadcasts an event the way socket.io does, and returns the offset the clients were given. */
function emit(target: RecoveryAdapter, rooms: string[], payload: unknown): string {
  const data: unknown[] = ['whatsapp:message', payload];
  target.broadcast({ type: 2, data }, { rooms: new Set(rooms), except: new Set() });
  return data[data.length - 1] as string;
}

const session = (pid: string, rooms: string[]) => ({ sid: `s-${pid}`, pid, rooms, data: { who: pid } });

afterEach(() => {
  vi.useRealTimers();
});

describe('recovery adapter', () => {
  it('replays exactly what went to the rooms of the client that dropped, after its last offset', async () => {
    const target = adapter();
    const seen = emit(target, ['company:a:admins'], { n: 0 });
    target.persistSession(session('p1', ['user:u1', 'company:a:admins']));
    emit(target, ['company:a:admins'], { n: 1 });
    emit(target, ['company:b:admins'], { n: 2, secret: 'of another company' });
    emit(target, ['session:x:readers', 'company:a:admins'], { n: 3 });
    emit(target, [], { n: 4, to: 'everyone' });

    const restored = await target.restoreSession('p1', seen);
    expect(restored).toMatchObject({ sid: 's-p1', pid: 'p1', data: { who: 'p1' } });
    expect(restored.missedPackets.map((p) => p[1])).toEqual([{ n: 1 }, { n: 3 }, { n: 4, to: 'everyone' }]);
    // Each replayed event still ends with its own offset, so the client can resume again from it.
    expect(restored.missedPackets.every((p) => typeof p[2] === 'string')).toBe(true);
    // A session is restored once.
    expect(await target.restoreSession('p1', seen)).toBeNull();
  });

  it('keeps no more than its bound: an offset that fell out starts the client afresh', async () => {
    const target = adapter();
    const first = emit(target, ['room'], { n: 0 });
    const second = emit(target, ['room'], { n: 1 });
    target.persistSession(session('old', ['room']));
    target.persistSession(session('recent', ['room']));
    for (let i = 0; i < MAX_KEPT_PACKETS; i++) {
      emit(target, ['room'], { n: i + 2 });
    }
    // Both are gone, but everything after `second` is still there; after `first`, `second` is missing.
    expect(await target.restoreSession('old', first)).toBeNull();
    const recent = await target.restoreSession('recent', second);
    expect(recent.missedPackets).toHaveLength(MAX_KEPT_PACKETS);
    expect(recent.missedPackets.at(-1)![1]).toEqual({ n: MAX_KEPT_PACKETS + 1 });
  });

  it("shows a kept session's data without consuming it, until the window ends", async () => {
    vi.useFakeTimers();
    const target = adapter();
    const seen = emit(target, ['room'], { n: 0 });
    target.persistSession(session('p', ['room']));
    expect(target.keptData('p')).toEqual({ who: 'p' });
    expect(target.keptData('unknown')).toBeUndefined();
    // Looking did not take it: it is still there to restore, once.
    expect(target.keptData('p')).toEqual({ who: 'p' });
    expect(await target.restoreSession('p', seen)).toMatchObject({ pid: 'p' });
    expect(target.keptData('p')).toBeUndefined();

    target.persistSession(session('q', ['room']));
    vi.advanceTimersByTime(MAX_DISCONNECTION_MS + 1);
    expect(target.keptData('q')).toBeUndefined();
    target.close();
  });

  it('forgets a session and its events after the disconnection window', async () => {
    vi.useFakeTimers();
    const target = adapter();
    const seen = emit(target, ['room'], { n: 0 });
    target.persistSession(session('p', ['room']));
    emit(target, ['room'], { n: 1 });
    vi.advanceTimersByTime(MAX_DISCONNECTION_MS + 1);
    expect(await target.restoreSession('p', seen)).toBeNull();
    target.close();
  });

  it('knows no offset of another process or of its own making-up', async () => {
    const target = adapter();
    const own = emit(target, ['room'], { n: 0 }).split('.')[0]!;
    const other = emit(adapter(), ['room'], { n: 0 });
    for (const offset of [other, 'nonsense', '', `${own}.-1`, `${own}.1`, `${own}.0.5`, `${own}.x`]) {
      target.persistSession(session('p', ['room']));
      expect(await target.restoreSession('p', offset)).toBeNull();
    }
  });
});
