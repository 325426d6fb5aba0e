import { DEFAULT_CONNECTION_CONFIG } from 'baileys';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { call, givenCompany } from '../support/factories.js';
import { closeAllSockets, connected } from '../support/socket-client.js';
import type { TestApp } from '../support/test-app.js';
import { useTestApp } from '../support/use-test-app.js';
import { waitFor } from '../support/wait.js';
import { WaServer } from '../wa-server/server.js';

/**
 * WhatsApp refuses clients older than its current WhatsApp Web version (`<failure reason="405"/>`).
 * The real engine, linked to the stand-in, starts without a network (the version bundled with
 * Baileys), and the stand-in refuses that version once the number is linked. What
 * web.whatsapp.com/sw.js says is the current version is the test's to decide: Baileys' own fetch
 * runs, over a `fetch` that answers for that one address and passes anything else through.
 */

type Version = [number, number, number];
const BUNDLED = DEFAULT_CONNECTION_CONFIG.version;
const later = (by: number): Version => [BUNDLED[0], BUNDLED[1], BUNDLED[2] + by];

/** The revision sw.js announces; null: web.whatsapp.com is out of reach, as on this machine. */
let announced: number | null = null;
/** The oldest version the stand-in lets log in. */
let oldestAccepted: Version = later(1);
/** How often sw.js was asked for. */
let swAsked = 0;
/** Every login the stand-in saw: the number, and the version it presented. */
const logins: { pn: string; version: Version }[] = [];

const realFetch = globalThis.fetch;
const fetchStub = (input: string | URL | Request, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  if (url !== 'https://web.whatsapp.com/sw.js') {
    return realFetch(input, init);
  }
  swAsked++;
  if (announced === null) {
    return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } }));
  }
  return Promise.resolve(new Response(`self.__swData=JSON.parse("{\\"client_revision\\":${announced}}");`));
};

const env: Record<string, string> = {
  WA_ENGINE: 'baileys',
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
};
let server: WaServer;
beforeAll(async () => {
  vi.stubGlobal('fetch', fetchStub);
  server = await WaServer.start();
  env.WA_WEBSOCKET_URL = server.url;
  server.checkLogin((payload) => {
    const v = payload.userAgent?.appVersion;
    const version: Version = [v?.primary ?? 0, v?.secondary ?? 0, v?.tertiary ?? 0];
    logins.push({ pn: String(payload.username ?? ''), version });
    return compare(version, oldestAccepted) < 0 ? '405' : null;
  });
});
afterAll(async () => {
  closeAllSockets();
  await server?.close();
  vi.unstubAllGlobals();
});

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Links a new number's session by QR; `whileShowingQr` runs before the phone scans it. */
async function linkSession(app: TestApp, pn: string, whileShowingQr: () => void) {
  server.addAccount({ pn, name: 'Corner Shop' });
  const company = await givenCompany(app);
  const admin = await connected(app, company.token);
  const created = await call(app, 'POST', '/api/whatsapp/sessions', {
    token: company.token,
    body: { name: 'Front desk' },
  });
  const sessionId: string = created.body.data.id;
  const about = (p: { sessionId?: string }) => p?.sessionId === sessionId;
  const qr = await admin.next('whatsapp:qr', about, 15_000);
  whileShowingQr();
  await server.scan(qr.qr, pn);
  const session = () =>
    call(app, 'GET', `/api/whatsapp/sessions/${sessionId}`, { token: company.token }).then(
      (res) => res.body.data,
    );
  return { admin, sessionId, about, session };
}

const loginsOf = (pn: string) => logins.filter((l) => l.pn === pn).map((l) => l.version);

describe('a version WhatsApp refuses as too old, while a newer one is announced', () => {
  beforeAll(() => {
    announced = null;
    oldestAccepted = later(1);
  });
  const app = useTestApp(env, { listen: true });

  it('reconnects at once with the newer version and becomes ready, never failed', async () => {
    const pn = '15550001000';
    const { admin, about, session } = await linkSession(app, pn, () => {
      announced = later(1)[2]; // WhatsApp moved on while the service was running
    });

    const ready = await admin.next('whatsapp:ready', about, 20_000);
    expect(ready.phoneNumber).toBe(pn);
    expect(loginsOf(pn)).toEqual([BUNDLED, later(1)]);
    expect((await session()).status).toBe('ready');
    const statuses = admin.heard('whatsapp:session_status', about).map((p) => p.status);
    expect(statuses).not.toContain('failed');
    expect(admin.heard('whatsapp:disconnected', about)).toEqual([]);
  });
});

describe('a version WhatsApp refuses as too old, with nothing newer to be found', () => {
  beforeAll(() => {
    announced = null;
    oldestAccepted = later(1);
  });
  const app = useTestApp(env, { listen: true });

  it('ends failed after one login, saying why, and does not try again', async () => {
    const pn = '15550002000';
    const { session } = await linkSession(app, pn, () => {});

    const failed = await waitFor(
      'failed',
      async () => {
        const s = await session();
        return s.status === 'failed' ? s : null;
      },
      20_000,
    );
    expect(failed.lastError).toBe(
      `WhatsApp refused WhatsApp Web version ${BUNDLED.join('.')} as too old, and no newer version could ` +
        'be fetched from web.whatsapp.com; set WA_WEB_VERSION to the current version or update the ' +
        'service, then reconnect',
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(loginsOf(pn)).toEqual([BUNDLED]);
  });
});

describe('a newer version that WhatsApp refuses too', () => {
  beforeAll(() => {
    announced = null;
    oldestAccepted = later(2);
  });
  const app = useTestApp(env, { listen: true });

  it('is tried once, then the session ends failed', async () => {
    const pn = '15550003000';
    const { session } = await linkSession(app, pn, () => {
      announced = later(1)[2];
    });

    const failed = await waitFor(
      'failed',
      async () => {
        const s = await session();
        return s.status === 'failed' ? s : null;
      },
      20_000,
    );
    expect(failed.lastError).toMatch(
      new RegExp(`^WhatsApp refused WhatsApp Web version ${later(1).join('\\.')} as too old`),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(loginsOf(pn)).toEqual([BUNDLED, later(1)]);
  });
});

describe('a version pinned with WA_WEB_VERSION', () => {
  const pinnedEnv: Record<string, string> = {};
  beforeAll(() => {
    announced = later(1)[2];
    oldestAccepted = later(3);
    swAsked = 0;
    Object.assign(pinnedEnv, env, { WA_WEB_VERSION: later(3).join('.') });
  });
  const app = useTestApp(pinnedEnv, { listen: true });

  it('is the one presented, and nothing is fetched', async () => {
    const pn = '15550004000';
    const { admin, about } = await linkSession(app, pn, () => {});

    await admin.next('whatsapp:ready', about, 20_000);
    expect(loginsOf(pn)).toEqual([later(3)]);
    expect(swAsked).toBe(0);
  });
});
