import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { givenSessionRow } from '../../../test/support/rows.js';
import { openTestDatabase } from '../../../test/support/test-app.js';
import type { Database } from '../../db/client.js';
import type { SessionRow } from '../sessions/sessions.table.js';
import { createIngestRepository, type IncomingRow } from './ingest.repository.js';
import { createSendQueueRepository } from './send-queue.repository.js';

describe('send queue', () => {
  let database: Database;
  let drop: () => Promise<void>;
  let session: SessionRow;
  const chatKey = '79001234567@c.us';

  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase());
    session = await givenSessionRow(database);
  });
  afterAll(() => drop());

  const row = (waMessageId: string, extra: Partial<IncomingRow> = {}): IncomingRow => ({
    chatKey,
    waMessageId,
    fromMe: true,
    type: 'text',
    body: `text of ${waMessageId}`,
    timestamp: new Date('2026-03-01T10:00:00Z'),
    status: 'pending',
    ...extra,
  });

  it('reads pending messages oldest first, with their chat and the stored message each quotes (and its sender)', async () => {
    const scope = { companyId: session.companyId, sessionId: session.id };
    const ingest = createIngestRepository(database.db);
    const identity = { waChatId: chatKey, isGroup: false };
    const options = { countUnread: false, returnRows: false };
    await ingest.store(
      scope,
      [identity],
      [row('IN1', { fromMe: false, status: 'received', senderWaId: '79007654321@c.us' })],
      options,
    );
    await ingest.store(scope, [identity], [row('OUT1', { quotedWaMessageId: 'IN1' })], options);
    await ingest.store(scope, [identity], [row('OUT2', { quotedWaMessageId: 'NOT-STORED' })], options);
    await ingest.store(scope, [identity], [row('OUT3')], options);

    const queue = await createSendQueueRepository(database.db).next(session.id);
    expect(queue.map((q) => [q.message.waMessageId, q.to, q.quoted])).toEqual([
      [
        'OUT1',
        chatKey,
        { waMessageId: 'IN1', fromMe: false, body: 'text of IN1', senderWaId: '79007654321@c.us' },
      ],
      ['OUT2', chatKey, null],
      ['OUT3', chatKey, null],
    ]);
  });
});
