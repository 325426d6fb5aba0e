import autocannon from 'autocannon';

import { type Percentiles, percentiles } from './types.js';

export interface LoadOptions {
  /** Concurrent keep-alive connections. */
  connections: number;
  /** Seconds to run; or give `amount`, a number of requests (a warm-up that must complete). */
  durationSeconds?: number;
  amount?: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  /** 2xx responses. */
  requests: number;
  /** 2xx responses per second of wall time. */
  perSecond: number;
  /** Latency of each 2xx response (ms, from autocannon's per-request hrtime, not its 1 ms histogram). */
  latency: Percentiles;
  non2xx: number;
  errors: number;
}

/**
 * Drives `url` with autocannon for a fixed time. Latency percentiles are computed from every
 * response's own timing: autocannon's histogram records whole milliseconds, too coarse for
 * responses that take one or two.
 */
export async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  const samples: number[] = [];
  let non2xx = 0;
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        ...(options.amount ? { amount: options.amount } : { duration: options.durationSeconds ?? 1 }),
        timeout: 60,
        headers: options.headers ?? {},
      },
      (err: unknown, res) =>
        err ? reject(err instanceof Error ? err : new Error('autocannon failed')) : resolve(res),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        samples.push(responseTime);
      } else {
        non2xx += 1;
      }
    });
  });
  const elapsedMs = performance.now() - started;
  if (samples.length === 0) {
    throw new Error(`no 2xx response from ${url} (${non2xx} non-2xx, ${result.errors} errors)`);
  }
  return {
    requests: samples.length,
    perSecond: samples.length / (elapsedMs / 1000),
    latency: percentiles(samples),
    non2xx,
    errors: result.errors,
  };
}
