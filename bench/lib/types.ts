import type { Database } from '../../src/db/client.js';

export interface Measurement {
  /** Wall time of each run, in milliseconds; the best one is reported. */
  runsMs: number[];
  bestMs: number;
  /** Units of work per second in the best run. */
  perSecond: number;
}

export interface ScenarioResult {
  scenario: string;
  /** What was measured and its unit, e.g. "messages persisted/s". */
  metric: string;
  size: Record<string, number>;
  subject: Measurement;
  baseline: Measurement & { description: string };
  /** subject.perSecond / baseline.perSecond */
  ratio: number;
  target: { minPerSecond: number; minRatio: number };
  pass: boolean;
  notes: string[];
}

export interface ScenarioContext {
  database: Database;
  quick: boolean;
  /** How many times each measurement runs; the best run counts. */
  repeats: number;
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
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
