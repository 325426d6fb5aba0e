import { randomBytes } from 'node:crypto';

import { Adapter, type BroadcastOptions, type PrivateSessionId, type Session } from 'socket.io-adapter';

/** How long a dropped client's rooms and missed events are kept for it to resume. */
export const MAX_DISCONNECTION_MS = 2 * 60 * 1000;
/**
 * How many recent broadcasts are kept for replay at most. At everyday traffic that is the whole
 * two minutes; under a burst the window shortens, and a client whose last event has left it
 * reconnects afresh (`recovered: false`) and refetches, as after a long drop.
 */
export const MAX_KEPT_PACKETS = 10_000;

type PersistedSession = Omit<Session, 'missedPackets'> & { disconnectedAt: number };

interface KeptPacket {
  offset: string;
  rooms: Set<string>;
  except: Set<string> | undefined;
  /** The event as JSON: one flat string per packet, which costs the garbage collector next to nothing. */
  json: string;
  emittedAt: number;
}

/** socket.io-parser's EVENT packet type. */
const EVENT = 2;

/**
 * socket.io's in-memory adapter with connection-state recovery over a bounded buffer.
 *
 * The stock recovery adapter keeps every broadcast's payload objects for up to three minutes (its
 * sweep runs once a minute): at hundreds of messages a second that is hundreds of megabytes of
 * small objects that every garbage collection walks, and latency grows with it. This one keeps
 * each broadcast as its JSON text, at most `MAX_KEPT_PACKETS` of them and none older than
 * `MAX_DISCONNECTION_MS`, pruned as it goes. The protocol is the stock one: the offset is appended
 * to each event's arguments, and a client that comes back within the window with a known offset
 * gets its rooms and the events it missed.
 */
export class RecoveryAdapter extends Adapter {
  private readonly sessions = new Map<PrivateSessionId, PersistedSession>();
  private readonly kept: KeptPacket[] = [];
  /** Index in `kept` of the oldest packet still kept (the ones before it await compaction). */
  private head = 0;
  /** Offsets are `<prefix>.<sequence>`: the prefix is per process, so a restarted server knows none. */
  private readonly prefix = randomBytes(6).toString('base64url');
  /** Sequence number of kept[0]. */
  private base = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(nsp: unknown) {
    super(nsp);
    this.sweeper = setInterval(() => this.prune(Date.now()), 10_000);
    this.sweeper.unref();
  }

  override close(): void {
    clearInterval(this.sweeper);
  }

  override persistSession(session: Omit<Session, 'missedPackets'>): void {
    this.sessions.set(session.pid, { ...session, disconnectedAt: Date.now() });
  }

  /**
   * The `data` of the socket a kept session belonged to, without consuming the session; undefined
   * when no session under `pid` can still be resumed. Lets the caller check who is asking first.
   */
  keptData(pid: PrivateSessionId): unknown {
    const session = this.sessions.get(pid);
    if (!session || session.disconnectedAt + MAX_DISCONNECTION_MS < Date.now()) {
      return undefined;
    }
    return session.data;
  }

  override restoreSession(pid: PrivateSessionId, offset: string): Promise<Session> {
    const now = Date.now();
    this.prune(now);
    const session = this.sessions.get(pid);
    if (!session) {
      return null as unknown as Promise<Session>;
    }
    this.sessions.delete(pid);
    const from = this.indexAfter(offset);
    if (session.disconnectedAt + MAX_DISCONNECTION_MS < now || from === null) {
      return null as unknown as Promise<Session>;
    }
    const missedPackets: unknown[][] = [];
    for (let i = from; i < this.kept.length; i++) {
      const packet = this.kept[i]!;
      if (reaches(packet, session.rooms)) {
        missedPackets.push(JSON.parse(packet.json) as unknown[]);
      }
    }
    const { disconnectedAt: _, ...rest } = session;
    return Promise.resolve({ ...rest, missedPackets });
  }

  override broadcast(packet: { type: number; id?: number; data: unknown[] }, opts: BroadcastOptions): void {
    const replayable = packet.type === EVENT && packet.id === undefined && opts.flags?.volatile === undefined;
    if (replayable) {
      const now = Date.now();
      const offset = `${this.prefix}.${this.base + this.kept.length}`;
      // The client reads the offset of the last event it processed from the end of its arguments.
      packet.data.push(offset);
      this.kept.push({
        offset,
        rooms: opts.rooms,
        except: opts.except,
        json: JSON.stringify(packet.data),
        emittedAt: now,
      });
      if (this.kept.length - this.head > MAX_KEPT_PACKETS) {
        this.head = this.kept.length - MAX_KEPT_PACKETS;
      }
      if (this.head >= 1024) {
        this.prune(now);
      }
    }
    super.broadcast(packet, opts);
  }

  /**
   * The index of the first packet after `offset`, or null when a packet after it is gone (or the
   * offset is not one of ours).
   */
  private indexAfter(offset: string): number | null {
    const dot = offset.lastIndexOf('.');
    if (dot < 0 || offset.slice(0, dot) !== this.prefix) {
      return null;
    }
    const sequence = Number(offset.slice(dot + 1));
    const index = sequence - this.base;
    if (!Number.isInteger(sequence) || sequence < 0 || index < this.head - 1 || index >= this.kept.length) {
      return null;
    }
    return index + 1;
  }

  /** Forgets expired sessions and packets, and drops what lies before `head`. */
  private prune(now: number): void {
    const threshold = now - MAX_DISCONNECTION_MS;
    for (const [pid, session] of this.sessions) {
      if (session.disconnectedAt < threshold) {
        this.sessions.delete(pid);
      }
    }
    while (this.head < this.kept.length && this.kept[this.head]!.emittedAt < threshold) {
      this.head += 1;
    }
    if (this.head > 0) {
      this.kept.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}

/** The stock rule: the packet went to one of the session's rooms and excluded none of them. */
function reaches(packet: KeptPacket, rooms: string[]): boolean {
  const included = packet.rooms.size === 0 || rooms.some((room) => packet.rooms.has(room));
  return included && !rooms.some((room) => packet.except?.has(room));
}
