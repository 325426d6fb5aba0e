import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ScenarioResult } from './types.js';

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(1)} %`;

/** One table: each scenario next to its same-run baseline and the ratio. */
export function printTable(results: ScenarioResult[]): void {
  const header = ['scenario', 'size', 'subject/s', 'baseline/s', 'ratio', 'target', 'pass'];
  const rows = results.map((r) => [
    r.scenario,
    Object.entries(r.size)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    fmt(r.subject.perSecond),
    fmt(r.baseline.perSecond),
    pct(r.ratio),
    `>= ${fmt(r.target.minPerSecond)}/s, >= ${pct(r.target.minRatio)}`,
    r.pass ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) {
    console.log(line(row));
  }
  for (const r of results) {
    console.log(
      `\n${r.scenario} (${r.metric}): subject runs ${r.subject.runsMs.map((ms) => `${fmt(ms)} ms`).join(', ')}; ` +
        `baseline runs ${r.baseline.runsMs.map((ms) => `${fmt(ms)} ms`).join(', ')} (best of each kept)`,
    );
    console.log(`  baseline: ${r.baseline.description}`);
    for (const note of r.notes) {
      console.log(`  note: ${note}`);
    }
  }
}

/** Writes the run as JSON to bench/results/<ISO timestamp>.json and returns the path. */
export function writeResults(
  startedAt: string,
  meta: Record<string, unknown>,
  results: ScenarioResult[],
): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${startedAt.replaceAll(':', '-')}.json`);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, node: process.version };
  writeFileSync(file, `${JSON.stringify({ startedAt, ...meta, machine, results }, null, 2)}\n`);
  return file;
}
