import { randomBytes } from 'node:crypto';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { givenSessionRow } from '../../../test/support/rows.js';
import { openTestDatabase } from '../../../test/support/test-app.js';
import type { Database } from '../../db/client.js';
import type { DomainEvents } from '../../events/domain-events.js';
import { createEventBus } from '../../events/event-bus.js';
import { createCipher } from '../../shared/cipher.js';
import { createCredentialStore } from '../engine/credential-store.js';
import type {
  EngineContext,
  EngineEvent,
  EngineFactory,
  EngineMessage,
  WhatsAppEngine,
} from '../engine/engine.js';
import { backoffDelay, MAX_COALESCED_MESSAGES, takeNext } from './session-events.js';
import { createSessionLeases, type SessionLeases } from './session-leases.js';
import { createSessionSupervisor, type EngineHandlers } from './session-supervisor.js';
import { createSessionsRepository } from './sessions.repository.js';

let database: Database;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterAll(async () => {
  await drop();
});

/** A scripted engine: the test decides what it reports and when. */
function scriptedEngines() {
  const contexts: EngineContext[] = [];
  const factory: EngineFactory = (context) => {
    contexts.push(context);
    const engine: WhatsAppEngine = {
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      logout: () => Promise.resolve(),
      sendText: () => Promise.resolve({ timestamp: new Date() }),
      markRead: () => Promise.resolve(),
      requestPairingCode: () => Promise.resolve('ABCD1234'),
      isOnWhatsApp: () => Promise.resolve(true),
      downloadMedia: () => Promise.reject(new Error('no media here')),
    };
    return engine;
  };
  return { factory, contexts };
}

async function setup(
  existingRow?: Awaited<ReturnType<typeof givenSessionRow>>,
  leaseTtlMs = 60_000,
  leasesFor: (leases: SessionLeases) => SessionLeases = (leases) => leases,
  leaseRenewMs = 20_000,
) {
  const row = existingRow ?? (await givenSessionRow(database, 'test'));
  const events = createEventBus((err) => {
    throw err;
  });
  const heard: { name: keyof DomainEvents; payload: unknown }[] = [];
  for (const name of [
    'session.status_changed',
    'session.ready',
    'session.disconnected',
    'session.qr',
  ] as const) {
    events.on(name, (payload) => heard.push({ name, payload }));
  }
  const engines = scriptedEngines();
  const sessions = createSessionsRepository(database.db);
  const cipher = createCipher(randomBytes(32));
  const supervisor = createSessionSupervisor({
    sessions,
    engineFactory: engines.factory,
    credentialsFor: (id) => createCredentialStore(database.db, cipher, id),
    sentText: () => Promise.resolve(null),
    events,
    log: pino({ level: 'silent' }),
    reconnect: { minDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 },
    leases: leasesFor(createSessionLeases(database.db, `test-${randomBytes(4).toString('hex')}`, leaseTtlMs)),
    leaseRenewMs,
  });
  const status = async () => (await sessions.find(row.companyId, row.id))!.status;
  return { row: row, supervisor, engines, heard, status };
}

/** Starts the session with `messages` as its only handler that does anything; the engine reports ready. */
async function startReady(
  supervisor: ReturnType<typeof createSessionSupervisor>,
  row: Awaited<ReturnType<typeof givenSessionRow>>,
  engines: ReturnType<typeof scriptedEngines>,
  messages: EngineHandlers['messages'],
) {
  supervisor.setHandlers({
    messages,
    statuses: () => Promise.resolve(),
    changes: () => Promise.resolve(),
    failures: () => Promise.resolve(),
    identity: () => Promise.resolve(),
    chats: () => Promise.resolve(),
    contacts: () => Promise.resolve(),
    ready: () => undefined,
  });
  await supervisor.start(row);
  const engine = engines.contexts.at(-1)!;
  engine.emit({ type: 'ready', phoneNumber: '79990001122', displayName: null });
  return engine;
}

describe('session supervisor', () => {
  it('ignores what a replaced engine still had queued', async () => {
    const { row, supervisor, engines, heard, status } = await setup();
    await supervisor.start(row);
    const first = engines.contexts[0]!;
    first.emit({ type: 'ready', phoneNumber: '79990001122', displayName: null });
    await supervisor.settled();
    expect(await status()).toBe('ready');

    // The old engine reports a drop, and an admin restarts before that report is handled.
    first.emit({ type: 'disconnected', reason: 'late', loggedOut: false });
    await supervisor.start(row);
    engines.contexts[1]!.emit({ type: 'ready', phoneNumber: '79990001122', displayName: null });
    await supervisor.settled();

    expect(await status()).toBe('ready');
    expect(heard.filter((e) => e.name === 'session.disconnected')).toEqual([]);
    await supervisor.shutdown();
  });

  it('ignores a late QR after the phone linked', async () => {
    const { row, supervisor, engines, heard, status } = await setup();
    await supervisor.start(row);
    const engine = engines.contexts[0]!;
    engine.emit({ type: 'ready', phoneNumber: '79990001122', displayName: 'Acme' });
    engine.emit({ type: 'qr', qr: 'late-qr', expiresAt: new Date(Date.now() + 20_000) });
    await supervisor.settled();
    expect(await status()).toBe('ready');
    expect(supervisor.qrOf(row.id)).toBeNull();
    expect(heard.filter((e) => e.name === 'session.qr')).toEqual([]);
    await supervisor.shutdown();
  });

  it('writes nothing after a logout, whatever the engine still says', async () => {
    const { row, supervisor, engines, status } = await setup();
    await supervisor.start(row);
    const engine = engines.contexts[0]!;
    engine.emit({ type: 'ready', phoneNumber: '79990001122', displayName: null });
    await supervisor.settled();
    engine.emit({ type: 'ready', phoneNumber: '79990009999', displayName: null });
    await supervisor.logout({ ...row, status: 'ready' });
    await supervisor.settled();
    expect(await status()).toBe('disconnected');
  });

  it('runs a session in one instance only, and lets another take over once it is released or expired', async () => {
    const first = await setup();
    const second = await setup(first.row);
    await first.supervisor.start(first.row);
    await expect(second.supervisor.start(first.row)).rejects.toMatchObject({
      status: 409,
      code: 'SESSION_RUNNING_ELSEWHERE',
    });
    expect(second.supervisor.runningEngine(first.row.id)).toBeNull();

    await first.supervisor.shutdown();
    await second.supervisor.start(first.row);
    expect(second.supervisor.runningEngine(first.row.id)).not.toBeNull();
    await second.supervisor.shutdown();

    // A holder that died without releasing: its lease expires.
    const crashed = await setup(first.row, 50);
    await crashed.supervisor.start(first.row);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const successor = await setup(first.row);
    await successor.supervisor.start(first.row);
    expect(successor.supervisor.runningEngine(first.row.id)).not.toBeNull();
    await successor.supervisor.shutdown();
  });

  it('keeps the engine of a session started while a lease renewal was running', async () => {
    // The first renewal answers late: the session below takes its lease after that renewal looked.
    let renewals = 0;
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const slow = (leases: SessionLeases): SessionLeases => ({
      ...leases,
      async renew() {
        renewals += 1;
        const first = renewals === 1;
        const held = await leases.renew();
        if (first) {
          await answered;
        }
        return held;
      },
    });
    const first = await setup(undefined, 60_000, slow, 20);
    await first.supervisor.start(first.row);
    while (renewals === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const late = await givenSessionRow(database, 'test');
    await first.supervisor.start(late);
    answer();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first.supervisor.runningEngine(late.id)).not.toBeNull();
    expect(first.supervisor.runningEngine(first.row.id)).not.toBeNull();
    await first.supervisor.shutdown();
  });

  it('stores message events that queued up behind a slow one as one batch, in order', async () => {
    const { row, supervisor, engines } = await setup();
    const batches: { source: string; ids: string[] }[] = [];
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const engine = await startReady(supervisor, row, engines, async (_ref, source, messages) => {
      batches.push({ source, ids: messages.map((m) => m.waMessageId) });
      if (batches.length === 1) {
        await blocked;
      }
    });
    engine.emit(live('A'));
    while (batches.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5)); // until A is being stored
    }
    engine.emit(live('B'));
    engine.emit(live('C', 'D'));
    engine.emit({ type: 'message_status', updates: [] });
    engine.emit(live('E'));
    release();
    await supervisor.settled();
    expect(batches).toEqual([
      { source: 'live', ids: ['A'] },
      { source: 'live', ids: ['B', 'C', 'D'] },
      { source: 'live', ids: ['E'] },
    ]);
    await supervisor.shutdown();
  });

  it('stores a message again once the database is back, keeping the order; other failures are not retried', async () => {
    const { row, supervisor, engines } = await setup();
    const attempts: string[] = [];
    const stored: string[] = [];
    const engine = await startReady(supervisor, row, engines, (_ref, _source, messages) => {
      const ids = messages.map((m) => m.waMessageId).join();
      attempts.push(ids);
      if (ids === 'A' && attempts.length <= 2) {
        // What node-postgres says when the server goes away mid-query.
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      if (ids === 'BAD') {
        return Promise.reject(Object.assign(new Error('value too long'), { code: '22001' }));
      }
      stored.push(ids);
      return Promise.resolve();
    });
    engine.emit(live('A'));
    engine.emit({ type: 'message_status', updates: [] }); // keeps B from joining A's batch
    engine.emit(live('B'));
    await supervisor.settled();
    expect(stored).toEqual(['A', 'B']);
    expect(attempts).toEqual(['A', 'A', 'A', 'B']);

    engine.emit(live('BAD'));
    engine.emit({ type: 'message_status', updates: [] });
    engine.emit(live('C'));
    await supervisor.settled();
    expect(attempts.slice(4)).toEqual(['BAD', 'C']);
    expect(stored).toEqual(['A', 'B', 'C']);
    await supervisor.shutdown();
  });

  it('coalesces only adjacent message events of one source, up to the cap', () => {
    const queue: EngineEvent[] = [
      live('A'),
      live('B'),
      { ...live('H'), source: 'history' },
      live('C'),
      { type: 'connecting' },
      live('D'),
    ];
    expect(ids(takeNext(queue))).toEqual(['A', 'B']);
    expect(ids(takeNext(queue))).toEqual(['H']);
    expect(ids(takeNext(queue))).toEqual(['C']);
    expect(takeNext(queue)).toEqual({ type: 'connecting' });
    const single = queue[0];
    expect(takeNext(queue)).toBe(single); // nothing to join: the event itself
    expect(takeNext(queue)).toBeUndefined();

    const many = Array.from({ length: MAX_COALESCED_MESSAGES }, (_, i) => `M${i}`);
    const full: EngineEvent[] = [live(...many.slice(0, -1)), live(many.at(-1)!), live('over')];
    expect(ids(takeNext(full))).toEqual(many);
    expect(ids(takeNext(full))).toEqual(['over']);
  });

  it('backs off exponentially with jitter, capped', () => {
    const policy = { minDelayMs: 1000, maxDelayMs: 60_000 };
    expect(backoffDelay(1, policy, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, () => 1)).toBe(1000);
    expect(backoffDelay(4, policy, () => 1)).toBe(8000);
    expect(backoffDelay(20, policy, () => 1)).toBe(60_000);
    expect(backoffDelay(20, policy, () => 0)).toBe(30_000);
  });
});

function live(...waMessageIds: string[]): Extract<EngineEvent, { type: 'messages' }> {
  return { type: 'messages', source: 'live', messages: waMessageIds.map(message) };
}

function message(waMessageId: string): EngineMessage {
  return {
    waMessageId,
    chatWaId: '79991234567@c.us',
    fromMe: false,
    type: 'text',
    body: waMessageId,
    timestamp: new Date(),
    sender: { waId: '79991234567@c.us', phoneNumber: '79991234567', name: null },
    chatName: null,
    isGroup: false,
    status: null,
  };
}

function ids(event: EngineEvent | undefined): string[] {
  return event?.type === 'messages' ? event.messages.map((m) => m.waMessageId) : [];
}
