import { existsSync, readFileSync } from 'node:fs';

import { sql } from 'drizzle-orm';

import type { Database } from '../../src/db/client.js';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in seconds; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * The CPU time the PostgreSQL backends serving one database use over a stretch of work: other
 * databases on the same server (other benchmarks, test runs) are not counted. Backends that
 * connect during the stretch count whole; one that exits during it is missed, so it is a floor.
 * Null when the database server is not on this machine.
 */
export async function postgresCpu(database: Database): Promise<() => Promise<number | null>> {
  const backends = async () => {
    // node-postgres answers with its QueryResult (PostgreSQL only: this reads /proc of the server's backends).
    const result: unknown = await database.db.execute(
      sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    return (result as { rows: { pid: number }[] }).rows.map((r) => Number(r.pid));
  };
  const before = new Map((await backends()).map((pid) => [pid, cpuSecondsOf(pid)]));
  return async () => {
    let seconds = 0;
    for (const pid of await backends()) {
      if (!existsSync(`/proc/${pid}`)) {
        return null; // not this machine's server: its backends cannot be read
      }
      seconds += cpuSecondsOf(pid) - (before.get(pid) ?? 0);
    }
    return seconds;
  };
}
