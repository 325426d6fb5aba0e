import { sql } from 'drizzle-orm';
import { givenSessionRow } from '../test/support/rows.js';
import { openBenchDatabase } from '../bench/lib/database.js';
import { createIngestRepository } from '../src/modules/chats/ingest.repository.js';


const { database, drop } = await openBenchDatabase('postgres');
const session = await givenSessionRow(database);
const repo = createIngestRepository(database.db);
const scope = { companyId: session.companyId, sessionId: session.id };
const pid = async () => (await database.db.execute(sql`select pg_backend_pid() as p`)).rows[0];
const cpu = async () => {
  const r = await database.db.execute(sql`select sum((regexp_split_to_array(pg_read_file('/proc/' || pid || '/stat'), ' '))[14]::bigint + (regexp_split_to_array(pg_read_file('/proc/' || pid || '/stat'), ' '))[15]::bigint) as t from pg_stat_activity where datname = current_database()`);
  return Number(r.rows[0]!.t);
};
let n = 0;
const run = async (count: number, returnRows: boolean) => {
  const c0 = await cpu();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    n++;
    const chat = `7999${String(n % 50).padStart(7, '0')}@c.us`;
    await repo.store(scope, [{ waChatId: chat, isGroup: false, name: 'X', phoneNumber: null, lid: null }], [
      { chatKey: chat, waMessageId: `W${n}`, fromMe: false, type: 'text', body: `hello ${n}`, senderWaId: null, senderPhone: null, senderName: 'X', timestamp: new Date(), status: 'received', quotedWaMessageId: null, media: null, mediaRef: null },
    ], { live: true, returnRows });
  }
  const ms = performance.now() - t0;
  const c1 = await cpu();
  console.log(`returnRows=${returnRows}: ${(ms / count).toFixed(3)} ms per statement wall, PG cpu ${(((c1 - c0) * 10) / count).toFixed(3)} ms`);
};
await run(500, true);
await run(3000, true);
await run(3000, false);
await run(3000, true);
await drop();
