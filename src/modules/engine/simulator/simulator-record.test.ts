import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { CredentialStore, EngineEvent } from '../engine.js';
import { createSimulatorNetwork } from './simulator-network.js';

const SESSION = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function memoryCredentials(): CredentialStore {
  const entries = new Map<string, string>();
  return {
    get: (keys) =>
      Promise.resolve(new Map(keys.flatMap((k) => (entries.has(k) ? [[k, entries.get(k)!]] : [])))),
    set: (values) => {
      for (const [k, v] of Object.entries(values)) {
        if (v === null) {
          entries.delete(k);
        } else {
          entries.set(k, v);
        }
      }
      return Promise.resolve();
    },
    clear: () => {
      entries.clear();
      return Promise.resolve();
    },
    exists: () => Promise.resolve(entries.size > 0),
  };
}

/** One process's simulator: a network on `dir` and the session's engine, linked and ready. */
async function readyEngine(dir: string, credentials: CredentialStore) {
  const network = createSimulatorNetwork({ qrRotateMs: 60_000, redeliverOnReconnect: 0, recordDir: dir });
  const events: EngineEvent[] = [];
  const engine = network.engineFactory({
    sessionId: SESSION,
    companyId: 'company',
    credentials,
    emit: (event) => events.push(event),
    emitAndWait: (event) => Promise.resolve(events.push(event) > 0),
    sentText: () => Promise.resolve(null),
  });
  await engine.start();
  if (!(await credentials.exists())) {
    await network.scan(SESSION, { phoneNumber: '79990000001' });
  }
  await new Promise((resolve) => setImmediate(resolve));
  expect(events.map((e) => e.type)).toContain('ready');
  return { network, engine };
}

describe('the simulated network record', () => {
  it('outlives the process: a restarted simulator knows what was received, and a resent id is one message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-sim-record-'));
    dirs.push(dir);
    const credentials = memoryCredentials();

    const first = await readyEngine(dir, credentials);
    await first.engine.sendText({ to: '79991234567@c.us', text: 'one', waMessageId: 'ID1' });
    await first.engine.sendText({ to: '79991234567@c.us', text: 'two', waMessageId: 'ID2' });
    expect(first.network.outgoing(SESSION).map((o) => [o.waMessageId, o.deliveries])).toEqual([
      ['ID1', 1],
      ['ID2', 1],
    ]);
    // Written before the send returned: one line per receipt.
    const file = join(dir, `${SESSION}.jsonl`);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);

    // A new process on the same directory: the record is there before anything is sent.
    const second = await readyEngine(dir, credentials);
    expect(second.network.outgoing(SESSION)).toEqual([
      expect.objectContaining({ waMessageId: 'ID1', text: 'one', to: '79991234567@c.us', deliveries: 1 }),
      expect.objectContaining({ waMessageId: 'ID2', text: 'two', deliveries: 1 }),
    ]);

    // The same id sent again after the restart: one distinct message, delivered twice.
    await second.engine.sendText({ to: '79991234567@c.us', text: 'one', waMessageId: 'ID1' });
    expect(second.network.outgoing(SESSION).map((o) => [o.waMessageId, o.deliveries])).toEqual([
      ['ID1', 2],
      ['ID2', 1],
    ]);
    const third = await readyEngine(dir, credentials);
    expect(third.network.outgoing(SESSION).map((o) => [o.waMessageId, o.deliveries])).toEqual([
      ['ID1', 2],
      ['ID2', 1],
    ]);

    // A deleted session's record goes with it.
    third.network.forget(SESSION);
    expect(existsSync(file)).toBe(false);
    expect(third.network.outgoing(SESSION)).toEqual([]);
  });

  it('skips a line cut short by a crash mid-write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-sim-record-'));
    dirs.push(dir);
    const credentials = memoryCredentials();
    const first = await readyEngine(dir, credentials);
    await first.engine.sendText({ to: '79991234567@c.us', text: 'whole', waMessageId: 'ID1' });
    appendFileSync(join(dir, `${SESSION}.jsonl`), '{"waMessageId":"ID2","to":"7999');

    const second = await readyEngine(dir, credentials);
    expect(second.network.outgoing(SESSION).map((o) => o.waMessageId)).toEqual(['ID1']);
    // What is received next is on a line of its own.
    await second.engine.sendText({ to: '79991234567@c.us', text: 'next', waMessageId: 'ID3' });
    const third = await readyEngine(dir, credentials);
    expect(third.network.outgoing(SESSION).map((o) => o.waMessageId)).toEqual(['ID1', 'ID3']);
  });

  it('keeps nothing on disk without a directory', () => {
    const network = createSimulatorNetwork({ qrRotateMs: 60_000, redeliverOnReconnect: 0, recordDir: null });
    expect(network.outgoing(SESSION)).toEqual([]);
    network.forget(SESSION);
  });
});
