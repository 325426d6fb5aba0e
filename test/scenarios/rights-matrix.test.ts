import { beforeAll, describe, expect, it } from 'vitest';

import {
  call,
  type GivenCompany,
  givenCompany,
  givenGrant,
  givenIncoming,
  givenManager,
  givenSession,
} from '../support/factories.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * Every WhatsApp endpoint against every kind of caller: the company's admin, managers with each
 * combination of rights, a manager without access, another company's admin, and no token.
 */
type Caller = 'admin' | 'R' | 'RW' | 'RM' | 'RWM' | 'none' | 'other' | 'anon';
const CALLERS: Caller[] = ['admin', 'R', 'RW', 'RM', 'RWM', 'none', 'other', 'anon'];

const app = useTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '100000', SEND_RATE_PER_MINUTE: '0' });
let company: GivenCompany;
const tokens = new Map<Caller, string | undefined>();
let sessionId: string;
let linkingSessionId: string;

beforeAll(async () => {
  company = await givenCompany(app);
  const other = await givenCompany(app);
  sessionId = (await givenSession(app, company)).id;
  linkingSessionId = (await givenSession(app, company, { connected: false })).id;
  await givenIncoming(app, company, sessionId, { from: '79991234567', text: 'hello' });
  tokens.set('admin', company.token);
  tokens.set('other', other.token);
  tokens.set('anon', undefined);
  const rights: Record<
    'R' | 'RW' | 'RM' | 'RWM',
    { canRead: boolean; canWrite: boolean; canManageChats: boolean }
  > = {
    R: { canRead: true, canWrite: false, canManageChats: false },
    RW: { canRead: true, canWrite: true, canManageChats: false },
    RM: { canRead: true, canWrite: false, canManageChats: true },
    RWM: { canRead: true, canWrite: true, canManageChats: true },
  };
  for (const [caller, grant] of Object.entries(rights) as [keyof typeof rights, (typeof rights)['R']][]) {
    const manager = await givenManager(app, company);
    await givenGrant(app, company, sessionId, manager, grant);
    await givenGrant(app, company, linkingSessionId, manager, grant);
    tokens.set(caller, manager.token);
  }
  tokens.set('none', (await givenManager(app, company)).token);
});

type Expected = Record<Caller, number>;
const expect_ = (
  admin: number,
  R: number,
  RW: number,
  RM: number,
  RWM: number,
  none: number,
  other: number,
): Expected => ({
  admin,
  R,
  RW,
  RM,
  RWM,
  none,
  other,
  anon: 401,
});

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: () => string;
  body?: () => unknown;
  expected: Expected;
}

const s = () => `/api/whatsapp/sessions/${sessionId}`;
const chat = () => `${s()}/chats/79991234567`;
const sim = () => `/api/simulator/sessions/${sessionId}`;

const cases: Case[] = [
  {
    name: 'list sessions',
    method: 'GET',
    url: () => '/api/whatsapp/sessions',
    expected: expect_(200, 200, 200, 200, 200, 200, 200),
  },
  { name: 'get session', method: 'GET', url: s, expected: expect_(200, 200, 200, 200, 200, 403, 404) },
  {
    name: 'get QR',
    method: 'GET',
    url: () => `${s()}/qr`,
    expected: expect_(200, 403, 403, 403, 403, 403, 404),
  },
  {
    name: 'pairing code',
    method: 'POST',
    url: () => `/api/whatsapp/sessions/${linkingSessionId}/pairing-code`,
    body: () => ({ phoneNumber: '79990001122' }),
    expected: expect_(200, 403, 403, 403, 403, 403, 404),
  },
  {
    name: 'list grants',
    method: 'GET',
    url: () => `${s()}/access`,
    expected: expect_(200, 403, 403, 403, 403, 403, 404),
  },
  {
    name: 'list chats',
    method: 'GET',
    url: () => `${s()}/chats`,
    expected: expect_(200, 200, 200, 200, 200, 403, 404),
  },
  {
    name: 'list messages',
    method: 'GET',
    url: () => `${chat()}/messages`,
    expected: expect_(200, 200, 200, 200, 200, 403, 404),
  },
  {
    name: 'send',
    method: 'POST',
    url: () => `${chat()}/send`,
    body: () => ({ message: 'hi' }),
    expected: expect_(201, 403, 201, 403, 201, 403, 404),
  },
  {
    name: 'mark read',
    method: 'POST',
    url: () => `${chat()}/read`,
    expected: expect_(200, 403, 403, 200, 200, 403, 404),
  },
  {
    name: 'archive',
    method: 'PATCH',
    url: chat,
    body: () => ({ pinned: true }),
    expected: expect_(200, 403, 403, 200, 200, 403, 404),
  },
  {
    name: 'stats',
    method: 'GET',
    url: () => '/api/whatsapp/stats',
    expected: expect_(200, 403, 403, 403, 403, 403, 200),
  },
  {
    name: 'simulator outgoing',
    method: 'GET',
    url: () => `${sim()}/outgoing`,
    expected: expect_(200, 403, 403, 403, 403, 403, 404),
  },
  {
    name: 'simulator incoming',
    method: 'POST',
    url: () => `${sim()}/incoming`,
    body: () => ({ from: '79991234567', text: 'again' }),
    expected: expect_(201, 403, 403, 403, 403, 403, 404),
  },
  {
    name: 'simulator faults',
    method: 'POST',
    url: () => `${sim()}/faults`,
    body: () => ({ sendLatencyMs: 0 }),
    expected: expect_(200, 403, 403, 403, 403, 403, 404),
  },
  {
    name: 'create session',
    method: 'POST',
    url: () => '/api/whatsapp/sessions',
    expected: expect_(201, 403, 403, 403, 403, 403, 201),
  },
];

describe('rights matrix', () => {
  for (const c of cases) {
    it(`${c.method} ${c.name}`, async () => {
      const actual: Partial<Expected> = {};
      for (const caller of CALLERS) {
        const token = tokens.get(caller);
        const res = await call(app, c.method, c.url(), {
          ...(token ? { token } : {}),
          ...(c.body ? { body: c.body() } : {}),
        });
        actual[caller] = res.status;
        if (res.status >= 400) {
          expect(res.body.success, `${caller}: error envelope`).toBe(false);
        }
      }
      expect(actual).toEqual(c.expected);
    });
  }

  it('admin-only session actions: managers 403, another company 404, no token 401', async () => {
    for (const action of ['disconnect', 'reconnect'] as const) {
      for (const caller of CALLERS.filter((c) => c !== 'admin')) {
        const token = tokens.get(caller);
        const res = await call(app, 'POST', `${s()}/${action}`, token ? { token } : {});
        const expected = caller === 'anon' ? 401 : caller === 'other' ? 404 : 403;
        expect(res.status, `${action} as ${caller}`).toBe(expected);
      }
    }
    for (const caller of CALLERS.filter((c) => c !== 'admin')) {
      const token = tokens.get(caller);
      const expected = caller === 'anon' ? 401 : caller === 'other' ? 404 : 403;
      expect((await call(app, 'DELETE', s(), token ? { token } : {})).status, `delete as ${caller}`).toBe(
        expected,
      );
      const grant = await call(app, 'POST', `${s()}/access`, {
        ...(token ? { token } : {}),
        body: { managerId: company.user.id, canRead: true, canWrite: false, canManageChats: false },
      });
      expect(grant.status, `grant as ${caller}`).toBe(expected);
    }
    // Nothing those calls attempted happened.
    const session = await call(app, 'GET', s(), { token: company.token });
    expect(session.body.data.status).toBe('ready');
  });
});
