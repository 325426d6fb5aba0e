import { createServer } from 'node:http';

import { pino } from 'pino';
import { Namespace } from 'socket.io';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import {
  givenCompany,
  givenGrant,
  givenIncoming,
  givenManager,
  givenSession,
} from '../../../test/support/factories.js';
import {
  closeAllSockets,
  connected,
  originOf,
  reconnect,
  settle,
  type TestSocket,
} from '../../../test/support/socket-client.js';
import type { TestApp } from '../../../test/support/test-app.js';
import { useTestApp } from '../../../test/support/use-test-app.js';
import type { EventBus } from '../../events/event-bus.js';
import { attachRealtime } from './realtime.js';

/**
 * Connection-state recovery hands a dropped socket's session back only to the user it belonged to,
 * and only once the new handshake's token is verified: before that, not one missed event is sent.
 * The attempts are made at the protocol level (engine.io v4 over a plain WebSocket) so that every
 * frame the server writes is seen, whatever a client library would make of it.
 */

const app = useTestApp(
  { AUTH_RATE_LIMIT_PER_MINUTE: '100000' },
  { listen: true, beforeClose: closeAllSockets },
);

const READ_ONLY = { canRead: true, canWrite: false, canManageChats: false };

const about = (sessionId: string) => (payload: any) => payload?.sessionId === sessionId;

/**
 * Opens a raw connection, sends the CONNECT packet with `auth`, and returns every frame the server
 * wrote until the handshake's outcome (and the welcome, when admitted) plus a moment for stragglers.
 */
function rawHandshake(app: TestApp, auth: Record<string, unknown>): Promise<string[]> {
  const url = `${originOf(app).replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  return new Promise((resolve, reject) => {
    const frames: string[] = [];
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`no handshake outcome within 5000 ms; frames: ${JSON.stringify(frames)}`));
    }, 5000);
    let finishing = false;
    const finish = () => {
      if (finishing) {
        return;
      }
      finishing = true;
      clearTimeout(timer);
      void settle().then(() => {
        ws.close();
        resolve(frames);
      });
    };
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? '<binary>' : data.toString('utf8');
      frames.push(frame);
      if (frame.startsWith('0{')) {
        ws.send(`40${JSON.stringify(auth)}`);
      } else if (frame === '2') {
        ws.send('3');
      } else if (frame.startsWith('44')) {
        finish();
      } else if (frame.startsWith('42["realtime:connected"')) {
        finish();
      }
    });
  });
}

/** The socket.io packets (engine.io MESSAGE frames), without the engine.io open packet and pings. */
const packetsOf = (frames: string[]) => frames.filter((f) => f.startsWith('4')).map((f) => f.slice(1));
const eventsOf = (frames: string[]) =>
  packetsOf(frames)
    .filter((p) => p.startsWith('2'))
    .map((p) => JSON.parse(p.slice(1)) as unknown[]);

/**
 * A company with a linked session and a reader on it. The reader's socket drops (as a network
 * would), and while it is away a contact writes: the server keeps the session and that message
 * for the reader's return.
 */
async function givenDroppedReader() {
  const company = await givenCompany(app);
  const session = await givenSession(app, company);
  const reader = await givenManager(app, company, 'Reader');
  await givenGrant(app, company, session.id, reader, READ_ONLY);
  const admin = await connected(app, company.token);
  const readerSocket = await connected(app, reader.token);
  const socket = readerSocket.socket as unknown as { _pid?: string; _lastOffset?: string };
  const pid = socket._pid;
  const offset = socket._lastOffset;
  expect(pid).toEqual(expect.any(String));
  expect(offset).toEqual(expect.any(String));

  await drop(readerSocket);
  await givenIncoming(app, company, session.id, { from: '79991234567', text: 'for the reader only' });
  // The positive control: the message was sent while the reader was away.
  await admin.next('whatsapp:message', about(session.id));
  return { company, session, reader, readerSocket, recovery: { pid: pid!, offset: offset! } };
}

async function drop(client: TestSocket) {
  const gone = client.disconnected();
  client.socket.io.engine.close();
  await gone;
  // Let the server read the close frame, so that what follows happens while the socket is away.
  await settle(100);
}

/** The owner still comes back to everything it missed: the attempts before it spoiled nothing. */
async function expectOwnerRecovers(readerSocket: TestSocket, sessionId: string) {
  expect(await reconnect(readerSocket)).toEqual({ ok: true });
  expect(readerSocket.socket.recovered).toBe(true);
  const missed = await readerSocket.next('whatsapp:message', about(sessionId));
  expect(missed.message).toMatchObject({ body: 'for the reader only' });
  await readerSocket.next('realtime:connected', (p) => p.recovered === true);
}

describe('recovering a session with a token that is not its owner’s', () => {
  it('without a token: refused at the handshake, nothing of the session on the wire', async () => {
    const { readerSocket, session, recovery } = await givenDroppedReader();
    const frames = await rawHandshake(app, { ...recovery });
    expect(eventsOf(frames)).toEqual([]);
    expect(frames.join('\n')).not.toContain('for the reader only');
    const packets = packetsOf(frames);
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatch(/^4\{/);
    expect(JSON.parse(packets[0]!.slice(1)).data).toEqual({ code: 'UNAUTHORIZED' });
    await expectOwnerRecovers(readerSocket, session.id);
  });

  it('with a garbage token: refused at the handshake, nothing of the session on the wire', async () => {
    const { readerSocket, session, recovery } = await givenDroppedReader();
    const cases: [string, string][] = [
      ['garbage', 'INVALID_TOKEN'],
      ['a.b.c', 'INVALID_TOKEN'],
      ['', 'UNAUTHORIZED'],
    ];
    for (const [token, code] of cases) {
      const frames = await rawHandshake(app, { token, ...recovery });
      expect(eventsOf(frames), token).toEqual([]);
      expect(frames.join('\n')).not.toContain('for the reader only');
      const packets = packetsOf(frames);
      expect(packets, token).toHaveLength(1);
      expect(packets[0]).toMatch(/^4\{/);
      expect(JSON.parse(packets[0]!.slice(1)).data).toEqual({ code });
    }
    await expectOwnerRecovers(readerSocket, session.id);
  });

  /** Admitted as itself, afresh: no replay, no inherited rooms or data. */
  function expectAdmittedAfresh(frames: string[]) {
    expect(frames.join('\n')).not.toContain('for the reader only');
    expect(packetsOf(frames)[0]).toMatch(/^0\{/);
    expect(eventsOf(frames).map(([event, payload]) => [event, payload])).toEqual([
      ['realtime:connected', { recovered: false }],
    ]);
  }

  it("with another company's admin or manager token: admitted afresh, nothing replayed", async () => {
    const { readerSocket, session, recovery } = await givenDroppedReader();
    const stranger = await givenCompany(app);
    const strangerManager = await givenManager(app, stranger);
    for (const token of [stranger.token, strangerManager.token]) {
      expectAdmittedAfresh(await rawHandshake(app, { token, ...recovery }));
    }
    await expectOwnerRecovers(readerSocket, session.id);
  });

  it('with the token of another user of the same company: admitted afresh, nothing replayed', async () => {
    const { company, readerSocket, session, recovery } = await givenDroppedReader();
    const colleague = await givenManager(app, company, 'No rights on the session');
    // A colleague without rights, and even the company's admin (who may read the session): neither
    // takes over the reader's socket.
    for (const token of [colleague.token, company.token]) {
      expectAdmittedAfresh(await rawHandshake(app, { token, ...recovery }));
    }
    await expectOwnerRecovers(readerSocket, session.id);
  });

  it('with its owner’s token: recovered, the missed message replayed', async () => {
    const { reader, session, recovery } = await givenDroppedReader();
    const frames = await rawHandshake(app, { token: reader.token, ...recovery });
    const events = eventsOf(frames);
    expect(events.map(([event]) => event)).toEqual(['whatsapp:message', 'realtime:connected']);
    expect(events[0]![1]).toMatchObject({ sessionId: session.id, message: { body: 'for the reader only' } });
    expect(events[1]![1]).toEqual({ recovered: true });
  });
});

describe('the socket.io hook recovery relies on', () => {
  it('is there, and attaching fails loudly without it', () => {
    const prototype = Namespace.prototype as unknown as { _createSocket?: unknown };
    const hook = prototype._createSocket;
    expect(hook).toBeTypeOf('function');
    const attach = () =>
      attachRealtime(createServer(), {
        authenticate: () => Promise.reject(new Error('not used')),
        policy: { visibleSessions: () => Promise.resolve([]) },
        events: {} as EventBus,
        log: pino({ level: 'silent' }),
        corsOrigins: [],
        trustProxy: false,
      });
    try {
      prototype._createSocket = undefined;
      expect(attach).toThrow(/_createSocket/);
    } finally {
      prototype._createSocket = hook;
    }
  });
});
