import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy.js';
import { openTestDatabase } from '../../test/support/test-app.js';
import type { Database } from './client.js';
import { DatabaseUnreachableError, databaseWhere, migrateWhenReachable } from './startup.js';

const provided = inject('database');

function recordingLog() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    warn: (fields: Record<string, unknown>, message: string) =>
      lines.push({ level: 'warn', fields, message }),
    info: (fields: Record<string, unknown>, message: string) =>
      lines.push({ level: 'info', fields, message }),
  };
}

describe('databaseWhere', () => {
  it('names host, port and database, never the credentials', () => {
    expect(databaseWhere('postgres://user:s3cret@db.internal:6543/whatsapp')).toBe(
      'db.internal:6543/whatsapp',
    );
    expect(databaseWhere('postgresql://db/whatsapp')).toBe('db:5432/whatsapp');
  });
});

describe.runIf(provided.kind === 'postgres')('booting while the database is out of reach', () => {
  let proxy: TcpProxy;
  let opened: { database: Database; drop: () => Promise<void> };

  beforeAll(async () => {
    const target = new URL((provided as { url: string }).url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    opened = await openTestDatabase({ connectVia: (url) => proxy.url(url) });
  });
  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await opened.drop();
    await proxy.close();
  });

  it('waits, one warning per attempt, and goes on once the database answers', async () => {
    await proxy.cut();
    const log = recordingLog();
    setTimeout(() => void proxy.restore(), 1500);
    await migrateWhenReachable(opened.database, { timeoutMs: 30_000, log, where: 'test' });
    const warnings = log.lines.filter((l) => l.level === 'warn');
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.every((l) => l.message === 'database unreachable; retrying')).toBe(true);
    expect(warnings[0]!.fields).toMatchObject({ attempt: 1, reason: 'ECONNREFUSED' });
    expect(log.lines.at(-1)).toMatchObject({ level: 'info', message: 'database reachable' });
  });

  it('gives up after the startup timeout with a message an operator can act on', async () => {
    await proxy.cut();
    try {
      const log = recordingLog();
      const failure = await migrateWhenReachable(opened.database, {
        timeoutMs: 0,
        log,
        where: 'db:5432/x',
      }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(DatabaseUnreachableError);
      expect((failure as Error).message).toMatch(
        /db:5432\/x is unreachable \(.+\).*DATABASE_STARTUP_TIMEOUT/,
      );
      expect(log.lines).toEqual([]);
    } finally {
      await proxy.restore();
    }
  });
});
