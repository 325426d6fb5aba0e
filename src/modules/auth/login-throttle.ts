/**
 * Slows guessing against one account: after `limit` failed logins for an email within `windowMs`,
 * further attempts for that email are refused until the oldest failure leaves the window.
 * Keyed by the email as typed (normalized), whether or not an account exists, so the answer
 * reveals nothing about which emails are registered. Per-address limits are @fastify/rate-limit's.
 */
export interface LoginThrottle {
  /** Seconds until an attempt is allowed, or 0 when it is allowed now. */
  retryAfter(email: string): number;
  /** Records a failure; returns true when this failure is the one that reaches the limit. */
  fail(email: string): boolean;
  reset(email: string): void;
}

const MAX_TRACKED = 50_000;

export function createLoginThrottle(options: {
  limit: number;
  windowMs: number;
  now?: () => number;
}): LoginThrottle {
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();

  const recent = (email: string): number[] => {
    const cutoff = now() - options.windowMs;
    const kept = (failures.get(email) ?? []).filter((t) => t > cutoff);
    if (kept.length === 0) {
      failures.delete(email);
    } else {
      failures.set(email, kept);
    }
    return kept;
  };

  const prune = () => {
    for (const email of failures.keys()) {
      recent(email);
    }
    // Still too many distinct emails (a spray): forget the oldest-touched; Map keeps insertion order.
    for (const email of failures.keys()) {
      if (failures.size <= MAX_TRACKED) {
        break;
      }
      failures.delete(email);
    }
  };

  return {
    retryAfter(email) {
      const times = recent(email);
      if (times.length < options.limit) {
        return 0;
      }
      const oldestThatCounts = times[times.length - options.limit]!;
      return Math.max(1, Math.ceil((oldestThatCounts + options.windowMs - now()) / 1000));
    },
    fail(email) {
      const times = recent(email);
      times.push(now());
      failures.delete(email);
      failures.set(email, times);
      if (failures.size > MAX_TRACKED) {
        prune();
      }
      return times.length === options.limit;
    },
    reset(email) {
      failures.delete(email);
    },
  };
}
