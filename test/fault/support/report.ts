import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** One fault case's outcome, as the table and the JSON report show it. */
export interface CaseResult {
  name: string;
  /** Incoming messages and sends answered 2xx. */
  messages: { incoming: number; sends: number } | null;
  lost: number | null;
  doubled: number | null;
  /** From the end of the fault until an incoming message is stored and a send is sent again. */
  recoverMs: number | null;
  /** What the clients saw besides 2xx (answers by status, transport failures). */
  seen: string;
  /** Incoming messages heard on each socket, against those stored. */
  sockets: string;
  /** Everything that fails the case; empty when it passed. */
  problems: string[];
  /** Details for the JSON report only. */
  details: Record<string, unknown>;
}

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function formatTable(results: CaseResult[]): string {
  const header = ['case', 'messages', 'lost', 'doubled', 'recover', 'clients saw', 'sockets', 'result'];
  const rows = results.map((r) => [
    r.name,
    r.messages
      ? `${r.messages.incoming + r.messages.sends} (${r.messages.incoming}+${r.messages.sends})`
      : '-',
    r.lost === null ? '-' : String(r.lost),
    r.doubled === null ? '-' : String(r.doubled),
    seconds(r.recoverMs),
    r.seen || '-',
    r.sockets || '-',
    r.problems.length === 0 ? 'ok' : 'FAILED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [
    'Fault injection (messages = incoming + sends answered 2xx; recover = from the end of the fault',
    'until an incoming message is stored and a send is sent again)',
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  const failed = results.filter((r) => r.problems.length > 0);
  if (failed.length > 0) {
    out.push('');
    for (const r of failed) {
      out.push(`${r.name}:`);
      for (const p of r.problems) {
        out.push(`  - ${p}`);
      }
    }
  }
  return out.join('\n');
}

/** Writes the results as JSON when FAULT_REPORT names a file. */
export function writeReport(results: CaseResult[]): string | null {
  const target = process.env.FAULT_REPORT;
  if (!target) {
    return null;
  }
  const file = resolve(target);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), cases: results }, null, 2)}\n`);
  return file;
}
