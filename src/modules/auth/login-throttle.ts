/**
 * Slows password guessing without letting a guesser lock the owner out of an account.
 *
 * - Per (email, client address) pair: after `limit` failed logins of the pair, each further attempt
 *   from that address for that email waits `delayMs`, doubling with every further failure (1 s,
 *   2 s, 4 s … with the defaults) up to `windowMs`, counted from the pair's last failure. The
 *   answer is 429 with Retry-After, whatever the password. Other addresses are not slowed by it.
 * - Per email, across all addresses (guessing spread over many addresses): after `accountLimit`
 *   failures, attempts wait the same kind of doubling delay, counted from the account's last
 *   failure, except from an address that has signed in to that email successfully within
 *   `knownForMs` (a month by default): the owner's usual devices keep working during such an attack
 *   (they still have their own pair delay).
 * - Failures are forgotten once a whole `windowMs` has passed without one (after the delay then due
 *   has ended), so a guesser who keeps to the pace allowed stays at one attempt per window. A
 *   refused (delayed) attempt is not a failure: no password is checked. A successful sign-in clears
 *   the pair's failures and remembers the pair as known.
 *
 * Keyed by the email as typed (normalized), whether or not an account exists, so the answers reveal
 * nothing about which emails are registered. Memory is bounded: each map keeps at most `maxTracked`
 * keys of constant size (expired ones go first, then the least recently touched). The state lives
 * in the process; a restart forgets it.
 */
export interface LoginThrottle {
  /** Seconds until this address may try this email again, or 0 when it may try now. */
  retryAfter(email: string, address: string): number;
  /** Records a failed login; says which thresholds this very failure reached. */
  fail(email: string, address: string): ThresholdsReached;
  /** Records a successful login: clears the pair's failures and exempts the address from the account delay. */
  succeed(email: string, address: string): void;
}

export interface ThresholdsReached {
  /** This failure is the pair's `limit`-th since its failures were last forgotten or cleared. */
  address: boolean;
  /** This failure is the email's `accountLimit`-th (from all addresses) since its failures were last forgotten. */
  account: boolean;
}

export interface LoginThrottleOptions {
  /** Failures of one (email, address) pair before its attempts are delayed. */
  limit: number;
  /** A quiet period after which failures are forgotten; also the longest delay. */
  windowMs: number;
  /** The first delay; it doubles with each further failure. */
  delayMs: number;
  /** Failures of one email from all addresses before addresses that never signed in to it are delayed. */
  accountLimit: number;
  /** How long an address that signed in successfully stays exempt from the account delay. */
  knownForMs?: number;
  maxTracked?: number;
  now?: () => number;
}

const MAX_TRACKED = 50_000;
/** Known (signed-in) addresses are remembered for a month, or the window if that is longer. */
const KNOWN_FOR_MS = 30 * 24 * 60 * 60 * 1000;

/** A run of failures under one key, none of them further apart than the window plus the delay then due. */
interface Streak {
  count: number;
  last: number;
}

/**
 * Failure streaks per key, each forgotten once it has been quiet for a whole window after its
 * delay ended, and at most `maxKeys` of them (a spray evicts the least recently failed first).
 */
function createStreaks(options: { threshold: number; windowMs: number; delayMs: number; maxKeys: number }) {
  const { threshold, windowMs, delayMs, maxKeys } = options;
  const streaks = new Map<string, Streak>();

  /** The delay due after `count` failures: none below the threshold, then doubling up to the window. */
  const delayAfter = (count: number) =>
    count < threshold ? 0 : Math.min(windowMs, delayMs * 2 ** Math.min(count - threshold, 40));

  const expired = (streak: Streak, at: number) => at >= streak.last + delayAfter(streak.count) + windowMs;

  const current = (key: string, at: number): Streak | undefined => {
    const streak = streaks.get(key);
    if (streak && expired(streak, at)) {
      streaks.delete(key);
      return undefined;
    }
    return streak;
  };

  const prune = (at: number) => {
    for (const [key, streak] of streaks) {
      if (expired(streak, at)) {
        streaks.delete(key);
      }
    }
    // Still too many (a spray): forget the least recently failed, down to 90% so the scan is not
    // repeated on every failure; a Map keeps insertion order and `fail` re-inserts.
    const target = Math.floor(maxKeys * 0.9);
    for (const key of streaks.keys()) {
      if (streaks.size <= target) {
        break;
      }
      streaks.delete(key);
    }
  };

  return {
    /** When the next attempt under `key` is allowed; at or before `at` when it is allowed now. */
    allowedAt(key: string, at: number): number {
      const streak = current(key, at);
      return streak ? streak.last + delayAfter(streak.count) : 0;
    },
    /** Records a failure; returns the streak's length with it. */
    fail(key: string, at: number): number {
      const count = (current(key, at)?.count ?? 0) + 1;
      streaks.delete(key);
      streaks.set(key, { count, last: at });
      if (streaks.size > maxKeys) {
        prune(at);
      }
      return count;
    },
    forget(key: string) {
      streaks.delete(key);
    },
  };
}

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const now = options.now ?? Date.now;
  const { limit, windowMs, delayMs, accountLimit } = options;
  const maxTracked = options.maxTracked ?? MAX_TRACKED;
  const knownForMs = options.knownForMs ?? Math.max(KNOWN_FOR_MS, windowMs);

  const pairs = createStreaks({ threshold: limit, windowMs, delayMs, maxKeys: maxTracked });
  const accounts = createStreaks({ threshold: accountLimit, windowMs, delayMs, maxKeys: maxTracked });
  /** (email, address) pairs that signed in, with when; insertion order is recency. */
  const known = new Map<string, number>();

  // An address never contains a space, so the first space separates the two unambiguously.
  const pairKey = (email: string, address: string) => `${address} ${email}`;

  const isKnown = (key: string, at: number): boolean => {
    const since = known.get(key);
    if (since === undefined) {
      return false;
    }
    if (since <= at - knownForMs) {
      known.delete(key);
      return false;
    }
    return true;
  };

  const pruneKnown = (at: number) => {
    for (const [key, since] of known) {
      if (since <= at - knownForMs) {
        known.delete(key);
      }
    }
    const target = Math.floor(maxTracked * 0.9);
    for (const key of known.keys()) {
      if (known.size <= target) {
        break;
      }
      known.delete(key);
    }
  };

  return {
    retryAfter(email, address) {
      const at = now();
      const key = pairKey(email, address);
      let until = pairs.allowedAt(key, at);
      if (!isKnown(key, at)) {
        until = Math.max(until, accounts.allowedAt(email, at));
      }
      return until > at ? Math.ceil((until - at) / 1000) : 0;
    },
    fail(email, address) {
      const at = now();
      return {
        address: pairs.fail(pairKey(email, address), at) === limit,
        account: accounts.fail(email, at) === accountLimit,
      };
    },
    succeed(email, address) {
      const at = now();
      const key = pairKey(email, address);
      pairs.forget(key);
      known.delete(key);
      known.set(key, at);
      if (known.size > maxTracked) {
        pruneKnown(at);
      }
    },
  };
}
