import pg from 'pg';
import { openBenchDatabase } from '../bench/lib/database.js';
import { givenSessionRow } from '../test/support/rows.js';
import { createIngestRepository } from '../src/modules/chats/ingest.repository.js';

const bench = await openBenchDatabase('postgres');
const { database, drop } = bench;
const session = await givenSessionRow(database);
const repo = createIngestRepository(database.db);
const scope = { companyId: session.companyId, sessionId: session.id };
// Capture the statement text and values from the pg client.
let captured: { text: string; values: unknown[] } | null = null;
const orig = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (config: any, values: any, cb: any) {
  if (config?.name === 'messages_ingest') captured = { text: config.text, values };
  return orig.call(this, config, values, cb);
};
for (let n = 0; n < 200; n++) {
  const chat = `7999${String(n % 50).padStart(7, '0')}@c.us`;
  await repo.store(scope, [{ waChatId: chat, isGroup: false, name: 'X' }], [
    { chatKey: chat, waMessageId: `W${n}`, fromMe: false, type: 'text', body: `hello ${n}`, senderName: 'X', timestamp: new Date(), status: 'received' },
  ], { live: true, returnRows: true });
}
const client = new pg.Client({ connectionString: bench.url! });
await (async () => { const a = new pg.Client({ connectionString: bench.url! }); await a.connect(); await a.query('analyze chats'); await a.end(); })();
await client.connect();
const c = captured!;
const vals = (c.values as unknown[]).map((v) => v);
(vals as any[])[6] = (vals as any[])[6]; 
const res = await client.query(`explain (analyze, buffers, verbose false, settings) ${c.text}`, c.values as unknown[]);
console.log(res.rows.map((r) => r['QUERY PLAN']).join('\n'));
await client.end();
await drop();
