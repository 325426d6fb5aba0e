import { DEFAULT_CONNECTION_CONFIG, fetchLatestWaWebVersion } from 'baileys';
import type { Logger } from 'pino';

/** A WhatsApp Web version as Baileys sends it in the login: `[2, 3000, 1023456789]`. */
export type WaVersion = [number, number, number];

/**
 * Asks WhatsApp for the current WhatsApp Web version. Baileys' `fetchLatestWaWebVersion` (reads
 * `client_revision` from web.whatsapp.com/sw.js) never throws: a failure is `isLatest: false`
 * with the bundled version and the error.
 */
export type FetchWaVersion = (options: {
  signal: AbortSignal;
}) => Promise<{ version: WaVersion; isLatest: boolean; error?: unknown }>;

export interface VersionSourceOptions {
  log: Logger;
  /** WA_WEB_VERSION: used as is, nothing is fetched. */
  pinned?: WaVersion | null | undefined;
  fetch?: FetchWaVersion;
  /** What a socket uses while nothing could be fetched: the version bundled with Baileys. */
  bundled?: WaVersion;
  /** How long a fetch may take before the version known so far is used. */
  timeoutMs?: number;
  /** How long a fetched (or failed) answer is trusted before the next socket asks again. */
  maxAgeMs?: number;
  now?: () => number;
}

/** The WhatsApp Web version every session's sockets use; one per process, shared by all sessions. */
export interface VersionSource {
  /** Whether the version was pinned (nothing is ever fetched). */
  readonly pinned: boolean;
  /** The version for a new socket: fetched at most once per `maxAgeMs`, else the one known so far. */
  current(): Promise<WaVersion>;
  /**
   * After WhatsApp refused `refused` as too old (405): a newer version, fetched now whatever the
   * cache's age (unless another session already found one), or null when there is none.
   */
  newerThan(refused: WaVersion): Promise<WaVersion | null>;
}

const TIMEOUT_MS = 3000;
const MAX_AGE_MS = 60 * 60 * 1000;

export function createVersionSource(options: VersionSourceOptions): VersionSource {
  const { log, pinned } = options;
  if (pinned) {
    return {
      pinned: true,
      current: () => Promise.resolve(pinned),
      newerThan: () => Promise.resolve(null),
    };
  }
  const fetchVersion: FetchWaVersion = options.fetch ?? fetchLatestWaWebVersion;
  const bundled = options.bundled ?? DEFAULT_CONNECTION_CONFIG.version;
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const maxAgeMs = options.maxAgeMs ?? MAX_AGE_MS;
  const now = options.now ?? Date.now;

  let known: { version: WaVersion; at: number } | null = null;
  let inFlight: Promise<WaVersion> | null = null;

  const fetchNow = async (): Promise<WaVersion> => {
    const answer = await withTimeout(fetchVersion, timeoutMs).catch((error: unknown) => ({
      version: null,
      isLatest: false,
      error,
    }));
    let version: WaVersion;
    if (answer.isLatest && answer.version) {
      version = answer.version;
      log.info({ version: formatWaVersion(version) }, 'WhatsApp Web version fetched');
    } else {
      // Expected without internet (tests, CI, closed networks): one line, no stack.
      version = known?.version ?? bundled;
      log.warn(
        { version: formatWaVersion(version), reason: describe(answer.error ?? 'no version in the answer') },
        'could not fetch the current WhatsApp Web version; using the one known so far',
      );
    }
    known = { version, at: now() };
    return version;
  };

  /** One fetch at a time: sessions asking meanwhile share its answer. */
  const refetch = (): Promise<WaVersion> => {
    inFlight ??= fetchNow().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  return {
    pinned: false,
    current() {
      if (known && now() - known.at < maxAgeMs) {
        return Promise.resolve(known.version);
      }
      return refetch();
    },
    async newerThan(refused) {
      if (known && isNewer(known.version, refused)) {
        return known.version; // another session's refetch found it
      }
      const version = await refetch();
      return isNewer(version, refused) ? version : null;
    },
  };
}

/** `2.3000.1023456789`, as WA_WEB_VERSION is written. */
export function formatWaVersion(version: WaVersion): string {
  return version.join('.');
}

function isNewer(a: WaVersion, b: WaVersion): boolean {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) {
      return a[i]! > b[i]!;
    }
  }
  return false;
}

/** The fetch, given up after `ms` even if it ignores its abort signal. */
async function withTimeout(fetchVersion: FetchWaVersion, ms: number): ReturnType<FetchWaVersion> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer within ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([fetchVersion({ signal: controller.signal }), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error as one short line: its message and, for a network error, the cause's code. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? `${err.message} (${code})` : err.message;
  }
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
