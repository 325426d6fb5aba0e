/**
 * `npm run bench [-- --quick] [-- --db=postgres|pglite]`: runs every scenario against a database of
 * its own, prints each result beside its same-run baseline, and writes JSON to bench/results/.
 * Not part of `npm test` or CI.
 */
import { type BenchDbKind, DEFAULT_POSTGRES_URL, openBenchDatabase } from './lib/database.js';
import { printTable, writeResults } from './lib/report.js';
import type { Scenario, ScenarioResult } from './lib/types.js';
import { historyImport } from './scenarios/history-import.js';

const SCENARIOS: Scenario[] = [historyImport];
const REPEATS = 2;

function parseArgs(argv: string[]): { quick: boolean; db: BenchDbKind; url: string } {
  let quick = false;
  let db: BenchDbKind = 'postgres';
  let url = DEFAULT_POSTGRES_URL;
  for (const arg of argv) {
    if (arg === '--quick') {
      quick = true;
    } else if (arg.startsWith('--db=')) {
      const value = arg.slice('--db='.length);
      if (value !== 'postgres' && value !== 'pglite') {
        throw new Error(`--db must be postgres or pglite, not '${value}'`);
      }
      db = value;
    } else if (arg.startsWith('--url=')) {
      url = arg.slice('--url='.length);
    } else {
      throw new Error(`unknown argument '${arg}' (use --quick, --db=postgres|pglite, --url=postgres://…)`);
    }
  }
  return { quick, db, url };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const bench = await openBenchDatabase(args.db, args.url);
  console.log(`bench: ${args.quick ? 'quick' : 'full'} size on ${bench.label}`);
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of SCENARIOS) {
      results.push(
        await scenario.run({
          database: bench.database,
          quick: args.quick,
          repeats: REPEATS,
          log: (line) => console.log(line),
        }),
      );
    }
  } finally {
    await bench.drop();
  }
  console.log('');
  printTable(results);
  const file = writeResults(startedAt, { db: args.db, quick: args.quick, repeats: REPEATS }, results);
  console.log(`\nresults written to ${file}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
