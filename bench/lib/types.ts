import type { Database } from '../../src/db/client.js';

/** One number a scenario reports, beside the same quantity from its same-run baseline. */
export interface Metric {
  /** What was measured, e.g. "messages persisted" or "p99 latency". */
  name: string;
  /** Its unit, e.g. "msg/s", "ms", "MB". */
  unit: string;
  value: number;
  /** The baseline's value for the same quantity, measured in the same run; null when there is none. */
  baseline: number | null;
}

/** A target from the issue, with the measured value it was judged on. */
export interface Check {
  /** Human-readable target, e.g. "p99 ≤ 15 ms". */
  target: string;
  /** What was measured, e.g. "3.4 ms". */
  actual: string;
  pass: boolean;
}

export interface ScenarioResult {
  scenario: string;
  size: Record<string, number>;
  /** How the baseline was measured, in one sentence. */
  baseline: string;
  metrics: Metric[];
  checks: Check[];
  notes: string[];
}

export interface ScenarioContext {
  database: Database;
  /** The server URL the database can be reached at (node-postgres), or null on PGlite. */
  databaseUrl: string | null;
  quick: boolean;
  /** How many times each throughput measurement runs; the best run counts. */
  repeats: number;
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  /** Scenarios that need a server process or a network database skip PGlite. */
  databases: ReadonlyArray<'postgres' | 'pglite'>;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export interface Measurement {
  /** Wall time of each run, in milliseconds; the best one is reported. */
  runsMs: number[];
  bestMs: number;
  /** Units of work per second in the best run. */
  perSecond: number;
}

/** Runs `fn` `repeats` times (each after its own untimed `prepare`) and keeps the fastest run. */
export async function measure<T>(
  repeats: number,
  units: number,
  prepare: () => Promise<T>,
  fn: (prepared: T) => Promise<void>,
  verify: (prepared: T) => Promise<void>,
): Promise<Measurement> {
  const runsMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const prepared = await prepare();
    const started = performance.now();
    await fn(prepared);
    runsMs.push(performance.now() - started);
    await verify(prepared);
  }
  const bestMs = Math.min(...runsMs);
  return { runsMs, bestMs, perSecond: units / (bestMs / 1000) };
}

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of latency samples (milliseconds). */
export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0) {
    throw new Error('percentiles of no samples');
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: sorted[sorted.length - 1]!,
  };
}

/** `value` within `limit` (inclusive), formatted for a check. */
export function atMost(target: string, value: number, limit: number, unit: string): Check {
  return { target, actual: `${round(value)} ${unit}`, pass: value <= limit };
}

export function atLeast(target: string, value: number, limit: number, unit: string): Check {
  return { target, actual: `${round(value)} ${unit}`, pass: value >= limit };
}

export function round(n: number): string {
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
