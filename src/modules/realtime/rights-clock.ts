import { MAX_DISCONNECTION_MS } from './recovery-adapter.js';
import type { SocketData } from './socket-events.js';

/** How long a user's "rights changed" mark must outlive any socket state computed before it. */
const CHANGE_MEMORY_MS = MAX_DISCONNECTION_MS + 60_000;

export interface RightsClock {
  /** The current version: a socket records the one its rooms were computed at. */
  version: () => number;
  /** The user's rights (or the user) changed: rooms computed before now are stale. */
  markRightsChanged: (userId: string) => void;
  rightsChangedSince: (userId: string, version: number) => boolean;
  /** Socket data with no actor, or rooms computed before the user's latest change. */
  isStale: (data: Partial<SocketData> | undefined) => boolean;
}

/**
 * Membership bookkeeping: a version number that goes up whenever a user's rights (or the user)
 * change. A socket records the version its rooms were computed at; rooms computed before the
 * user's latest change are stale.
 */
export function createRightsClock(): RightsClock {
  let rightsVersion = 0;
  const rightsChangedAt = new Map<string, { version: number; at: number }>();
  const rightsChangedSince = (userId: string, version: number) =>
    (rightsChangedAt.get(userId)?.version ?? 0) > version;
  return {
    version: () => rightsVersion,
    markRightsChanged: (userId) => {
      rightsVersion += 1;
      const now = Date.now();
      rightsChangedAt.set(userId, { version: rightsVersion, at: now });
      if (rightsChangedAt.size > 1000) {
        for (const [id, mark] of rightsChangedAt) {
          if (now - mark.at > CHANGE_MEMORY_MS) {
            rightsChangedAt.delete(id);
          }
        }
      }
    },
    rightsChangedSince,
    isStale: (data) => !data?.actor || rightsChangedSince(data.actor.userId, data.roomsComputedAt ?? -1),
  };
}
