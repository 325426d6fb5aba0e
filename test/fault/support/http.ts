/** One HTTP call's outcome: an answer, or what kept it from coming. It never throws. */
export interface Outcome {
  status: number | null;
  /** refused, reset, timeout or another transport error; null when answered. */
  failure: 'refused' | 'reset' | 'timeout' | 'other' | null;
  retryAfter: string | null;
  body: any;
  at: number;
}

/**
 * What the clients of one case saw besides 2xx: answers by status and error code (and how many of
 * the 503s came without Retry-After), and transport failures. The report prints it; the
 * assertions read it.
 */
export class Observations {
  readonly counts = new Map<string, number>();
  readonly withoutRetryAfter = new Map<string, number>();
  /** Answers other than 2xx and 503, the first few with their bodies, for the report. */
  readonly unexpected: { at: number; path: string; status: number; body: unknown }[] = [];

  private bump(map: Map<string, number>, key: string) {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  record(path: string, o: Outcome) {
    if (o.failure) {
      this.bump(this.counts, o.failure);
      return;
    }
    const status = o.status!;
    if (status < 400) {
      return;
    }
    const code = (o.body as { error?: { code?: unknown } } | undefined)?.error?.code;
    const key = typeof code === 'string' ? `${status} ${code}` : String(status);
    this.bump(this.counts, key);
    if (status === 503 && !o.retryAfter) {
      this.bump(this.withoutRetryAfter, key);
    }
    if (status !== 503 && this.unexpected.length < 5) {
      this.unexpected.push({ at: o.at, path, status, body: o.body });
    }
  }

  /** How many answers had this status (any code), or how many failures of this kind. */
  get(kind: string): number {
    let n = 0;
    for (const [key, count] of this.counts) {
      if (key === kind || key.startsWith(`${kind} `)) {
        n += count;
      }
    }
    return n;
  }

  /** e.g. "503 DATABASE_UNAVAILABLE×12, refused×30" (2xx answers are not listed). */
  summary(): string {
    return [...this.counts.entries()]
      .map(([k, n]) => {
        const bare = this.withoutRetryAfter.get(k) ?? 0;
        const note = bare === 0 ? '' : bare === n ? ' (no Retry-After)' : ` (${bare} without Retry-After)`;
        return `${k}×${n}${note}`;
      })
      .join(', ');
  }

  toJSON() {
    return {
      counts: Object.fromEntries(this.counts),
      withoutRetryAfter: Object.fromEntries(this.withoutRetryAfter),
      unexpected: this.unexpected,
    };
  }
}

function failureOf(err: unknown): Outcome['failure'] {
  const e = err as { name?: string; cause?: { code?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') {
    return 'timeout';
  }
  const code = e.cause?.code ?? '';
  if (code === 'ECONNREFUSED') {
    return 'refused';
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return 'reset';
  }
  return 'other';
}

export interface Client {
  base: string;
  token: string | null;
  observations: Observations | null;
}

export async function call(
  client: Client,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Outcome> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (client.token) {
    headers.authorization = `Bearer ${client.token}`;
  }
  let outcome: Outcome;
  try {
    const res = await fetch(`${client.base}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text
    }
    outcome = {
      status: res.status,
      failure: null,
      retryAfter: res.headers.get('retry-after'),
      body,
      at: Date.now(),
    };
  } catch (err) {
    outcome = { status: null, failure: failureOf(err), retryAfter: null, body: undefined, at: Date.now() };
  }
  client.observations?.record(`${method} ${path}`, outcome);
  return outcome;
}

export const is2xx = (o: Outcome) => o.status !== null && o.status >= 200 && o.status < 300;

/** How long a client waits before it tries again: Retry-After (capped so recovery is measured finely). */
export function backoffMs(o: Outcome): number {
  if (o.retryAfter && /^\d+$/.test(o.retryAfter)) {
    return Math.max(100, Math.min(Number(o.retryAfter) * 1000, 500));
  }
  return o.failure === 'timeout' ? 0 : 200;
}
