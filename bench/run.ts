/**
 * `npm run bench [-- --quick] [-- --db=postgres|pglite] [-- --url=postgres://…] [-- --only=name,name]`:
 * runs each scenario against a fresh database of its own, prints every result beside its same-run
 * baseline, and writes JSON to bench/results/. Not part of `npm test`; CI runs `--quick`.
 */
import { type BenchDbKind, DEFAULT_POSTGRES_URL, openBenchDatabase } from './lib/database.js';
import { printResults, writeResults } from './lib/report.js';
import type { Scenario, ScenarioResult } from './lib/types.js';
import { fanOut } from './scenarios/fan-out.js';
import { footprint } from './scenarios/footprint.js';
import { historyImport } from './scenarios/history-import.js';
import { liveTraffic } from './scenarios/live-traffic.js';
import { reading } from './scenarios/reading.js';
import { realEngine } from './scenarios/real-engine.js';
import { sending } from './scenarios/sending.js';

const SCENARIOS: Scenario[] = [historyImport, liveTraffic, fanOut, footprint, reading, sending, realEngine];
const REPEATS = 2;

interface Args {
  quick: boolean;
  db: BenchDbKind;
  url: string;
  only: string[] | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, db: 'postgres', url: DEFAULT_POSTGRES_URL, only: null };
  for (const arg of argv) {
    if (arg === '--quick') {
      args.quick = true;
    } else if (arg.startsWith('--db=')) {
      const value = arg.slice('--db='.length);
      if (value !== 'postgres' && value !== 'pglite') {
        throw new Error(`--db must be postgres or pglite, not '${value}'`);
      }
      args.db = value;
    } else if (arg.startsWith('--url=')) {
      args.url = arg.slice('--url='.length);
    } else if (arg.startsWith('--only=')) {
      args.only = arg.slice('--only='.length).split(',');
      const unknown = args.only.filter((name) => !SCENARIOS.some((s) => s.name === name));
      if (unknown.length > 0) {
        throw new Error(
          `unknown scenario ${unknown.join(', ')} (have: ${SCENARIOS.map((s) => s.name).join(', ')})`,
        );
      }
    } else {
      throw new Error(
        `unknown argument '${arg}' (use --quick, --db=postgres|pglite, --url=postgres://…, --only=name,…)`,
      );
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const chosen = SCENARIOS.filter(
    (s) => (args.only === null || args.only.includes(s.name)) && s.databases.includes(args.db),
  );
  console.log(
    `bench: ${args.quick ? 'quick' : 'full'} size on ${args.db}: ${chosen.map((s) => s.name).join(', ')}`,
  );
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    const bench = await openBenchDatabase(args.db, args.url);
    console.log(`\n${scenario.name} on ${bench.label}`);
    try {
      results.push(
        await scenario.run({
          database: bench.database,
          databaseUrl: bench.url,
          quick: args.quick,
          repeats: REPEATS,
          log: (line) => console.log(`  ${line}`),
        }),
      );
    } finally {
      await bench.drop();
    }
  }
  printResults(results);
  const file = writeResults(startedAt, { db: args.db, quick: args.quick, repeats: REPEATS }, results);
  console.log(`\nresults written to ${file}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
