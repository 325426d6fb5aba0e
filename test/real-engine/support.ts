import { afterAll, beforeAll } from 'vitest';

import type { EnvInput } from '../../src/config.js';
import { call, type GivenCompany } from '../support/factories.js';
import type { TestSocket } from '../support/socket-client.js';
import type { TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';
import type { Account } from '../wa-server/accounts.js';
import { WaServer, type WaServerOptions } from '../wa-server/server.js';

/**
 * A WhatsApp server stand-in for the enclosing file, and the app environment that points the real
 * engine at it. Call before `useTestApp(env, …)`: the stand-in starts first, so its address is in
 * the environment when the app is created.
 */
export function useStandin(
  overrides: EnvInput = {},
  options: WaServerOptions = {},
): { env: EnvInput; server: () => WaServer } {
  let server: WaServer | undefined;
  const env: EnvInput = {
    WA_ENGINE: 'baileys',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    SEND_RATE_PER_MINUTE: '0',
    RECONNECT_MIN_DELAY: '50ms',
    RECONNECT_MAX_DELAY: '200ms',
    ...overrides,
  };
  beforeAll(async () => {
    server = await WaServer.start(options);
    env.WA_WEBSOCKET_URL = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    env,
    server: () => {
      if (!server) {
        throw new Error('the stand-in starts in beforeAll');
      }
      return server;
    },
  };
}

export const about = (sessionId: string) => (payload: { sessionId?: string }) =>
  payload?.sessionId === sessionId;

/** The session's row as the API shows it, once `check` holds. */
export async function sessionWhen(
  app: TestApp,
  company: GivenCompany,
  sessionId: string,
  check: (session: { status: string; [key: string]: unknown }) => boolean,
  timeoutMs = 20_000,
) {
  return waitFor(
    `session ${sessionId} to match`,
    async () => {
      const res = await call(app, 'GET', `/api/whatsapp/sessions/${sessionId}`, { token: company.token });
      return check(res.body.data) ? res.body.data : null;
    },
    timeoutMs,
  );
}

/** Creates a session through the API and links `phone` to it by scanning its QR; resolves when ready. */
export async function linkNumber(
  app: TestApp,
  server: WaServer,
  company: GivenCompany,
  admin: TestSocket,
  phone: Account,
): Promise<string> {
  const created = await call(app, 'POST', '/api/whatsapp/sessions', {
    token: company.token,
    body: { name: phone.name },
  });
  if (created.status !== 201) {
    throw new Error(`create session failed: ${created.status}`);
  }
  const sessionId: string = created.body.data.id;
  const qr = await admin.next('whatsapp:qr', about(sessionId), 15_000);
  await server.scan(qr.qr, phone.pn);
  await sessionWhen(app, company, sessionId, (s) => s.status === 'ready' && Boolean(s.displayName));
  return sessionId;
}
