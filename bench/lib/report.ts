import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { round, type ScenarioResult } from './types.js';

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

/** One scenario as Markdown: its metrics beside the same-run baseline, then its targets. */
export function renderScenario(r: ScenarioResult): string {
  const size = Object.entries(r.size)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
    .join(', ');
  const metrics = table(
    ['metric', 'subject', 'baseline', 'subject / baseline'],
    r.metrics.map((m) => [
      m.name,
      `${round(m.value)} ${m.unit}`,
      m.baseline === null ? '—' : `${round(m.baseline)} ${m.unit}`,
      m.baseline === null || m.baseline === 0 ? '—' : `${(m.value / m.baseline).toFixed(2)}×`,
    ]),
  );
  const checks = table(
    ['target', 'measured', 'met'],
    r.checks.map((c) => [c.target, c.actual, c.pass ? 'yes' : '**no**']),
  );
  return [
    `### ${r.scenario}`,
    '',
    `Size: ${size}.  `,
    `Baseline: ${r.baseline}`,
    '',
    ...metrics,
    '',
    ...checks,
    ...(r.notes.length > 0 ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
}

export function printResults(results: ScenarioResult[]): void {
  for (const r of results) {
    console.log(`\n${renderScenario(r)}`);
  }
  const failed = results.flatMap((r) =>
    r.checks.filter((c) => !c.pass).map((c) => `${r.scenario}: ${c.target}`),
  );
  console.log(
    failed.length === 0
      ? '\nall targets met'
      : `\ntargets missed:\n${failed.map((f) => `  ${f}`).join('\n')}`,
  );
}

export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Writes the run as JSON to bench/results/<ISO timestamp>.json and returns the path. */
export function writeResults(
  startedAt: string,
  meta: Record<string, unknown>,
  results: ScenarioResult[],
): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  // Quick runs (CI's) only prove the scenarios still work; they are not kept.
  const suffix = meta.quick === true ? '-quick' : '';
  const file = join(RESULTS_DIR, `${startedAt.replaceAll(':', '-')}${suffix}.json`);
  writeFileSync(file, `${JSON.stringify({ startedAt, ...meta, machine: machine(), results }, null, 2)}\n`);
  return file;
}
