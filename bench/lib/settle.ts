import { rssOf } from './server.js';

/** How often a process's RSS is read while it settles. */
export const SAMPLE_EVERY_MS = 500;
/** The settled value is the median of the readings over the last this-long of a window. */
export const TAIL_MS = 2_000;
/** MB as in the targets: 10^6 bytes (rssOf reads MiB, 2^20 bytes). */
export const MB_PER_MIB = 2 ** 20 / 1e6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
}

export interface Settled {
  /** Median of the first readings, right after the work stopped (MB). */
  first: number;
  /** Median of the last readings of the window (MB). */
  settled: number;
  /** Every reading, for the notes. */
  trace: number[];
}

/**
 * Leaves the processes alone and reads their RSS every 500 ms. Nothing is forced (no GC from
 * outside: they run as users run them). V8 gives back what it does not need by itself once
 * allocation has stopped for a while (its memory reducer): some seconds, sometimes tens of seconds.
 * The window ends `TAIL_MS` after the first process's RSS fell by a tenth from its peak, or at
 * `maxMs`; the other processes are read over the same window.
 */
export async function settle(pids: number[], maxMs: number): Promise<Settled[]> {
  const traces = pids.map(() => [] as number[]);
  const tail = Math.max(1, Math.round(TAIL_MS / SAMPLE_EVERY_MS));
  let fellAt: number | null = null;
  for (let i = 0; ; i++) {
    pids.forEach((pid, k) => traces[k]!.push(rssOf(pid) * MB_PER_MIB));
    const lead = traces[0]!;
    if (fellAt === null && lead.at(-1)! < 0.9 * Math.max(...lead)) {
      fellAt = i;
    }
    if ((fellAt !== null && i - fellAt >= tail) || i * SAMPLE_EVERY_MS >= maxMs) {
      break;
    }
    await sleep(SAMPLE_EVERY_MS);
  }
  return traces.map((trace) => ({
    first: median(trace.slice(0, tail)),
    settled: median(trace.slice(-tail)),
    trace,
  }));
}
