/**
 * Helpers for the browser tests (e2e/*.test.ts, `npm run test:e2e`):
 *
 *   const server = await startServer();                 // the real app, simulator engine, fresh database
 *   const built = await startBuiltServer(env, nodeArgs); // or the built server in a child process
 *   const browser = await launchBrowser();               // Debian's Chromium through playwright-core
 *   withServerAndBrowser((s, b) => { … });               // both for a test file, closed after it
 *   const { page, errors } = await openPage(browser, server);
 *   const admin = await registerCompany(server);         // through the API
 *   await signInWithToken(page, admin);                  // or signInViaUi(page, admin)
 *   const session = await connectedSession(server, admin.token);
 *   await simulateIncoming(server, admin.token, session.id, { from: '79991234567', text: 'Hi' });
 *
 * API helpers use the same generated types as the console (web/src/api/schema.d.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import createClient from 'openapi-fetch';
import { pino } from 'pino';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

import { type App, buildApp } from '../src/app.js';
import { type Config, type EnvInput, loadConfig } from '../src/config.js';
import { fromPglite } from '../src/db/client.js';
import { assertBuilt, type LogLine, spawnServer } from '../test/fault/support/server.js';
import type { components, paths } from '../web/src/api/schema.js';

type Schemas = components['schemas'];

/** Fresh secrets, cheap hashing and no sign-in throttling: the tests sign in often, from one address. */
const serviceSecretsAndLimits = () => ({
  JWT_SECRET: randomBytes(48).toString('base64url'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  PASSWORD_HASH_COST: '10',
  AUTH_RATE_LIMIT_PER_MINUTE: '10000',
  SEND_RATE_PER_MINUTE: '0',
});

export type User = Schemas['User'];
export type Company = Schemas['Company'];
export type Session = Schemas['Session'];
export type Manager = Schemas['User'];
export type Rights = Schemas['Rights'];

// --- The server -------------------------------------------------------------------------------------

export interface TestServer {
  /** `http://127.0.0.1:<port>`, the origin pages open. */
  url: string;
  app: App;
  config: Config;
  close(): Promise<void>;
}

/** What the API and page helpers need of a server: its origin (in-process or a child process). */
export type ServerOrigin = Pick<TestServer, 'url'>;

/**
 * Starts the whole service in this process, listening on a free port of 127.0.0.1: the simulator
 * engine, a fresh in-memory database, the built console (web/dist, built by the global setup).
 * `env` overrides the configuration, as environment variables would.
 */
export async function startServer(env: EnvInput = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-e2e-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    WA_ENGINE: 'simulator',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    DATA_DIR: dataDir,
    ...serviceSecretsAndLimits(),
    ...env,
  });
  const database = fromPglite(await PGlite.create());
  await database.migrate();
  const app = await buildApp({ config, database, logger: pino({ level: config.log.level }) });
  await app.http.listen({ port: 0, host: '127.0.0.1' });
  await app.modules.start();
  const { port } = app.http.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    async close() {
      await app.http.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The built server in a child process (`startBuiltServer`). */
export interface BuiltServer extends ServerOrigin {
  /** Its JSON log lines so far. */
  logs: LogLine[];
  close(): Promise<void>;
}

/**
 * Starts the built server (`npm run build` → `node dist/main.js`) in a child process, as it runs in
 * production: a fresh embedded database under a temporary DATA_DIR, a free port of 127.0.0.1.
 * `env` overrides the configuration; `nodeArgs` go before the script (`['--import', preload]`).
 */
export async function startBuiltServer(
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<BuiltServer> {
  assertBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-e2e-'));
  const child = spawnServer(
    {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      // Info at least: the line that says where it listens.
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      ...serviceSecretsAndLimits(),
      ...env,
    },
    nodeArgs,
  );
  const close = async () => {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const listening = await child.waitForLog(
      (line) => /^Server listening at http:/.test(line.msg ?? ''),
      60_000,
    );
    return { url: /(http:\/\/\S+)/.exec(listening.msg!)![1]!, logs: child.logs, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Waits until the server has seen every socket of the user close. A page that went offline knows
 * at once; the server learns it a moment later, and what happens meanwhile still reaches the
 * socket it believes connected.
 */
export async function waitForSocketsClosed(server: TestServer, userId: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await server.app.realtime.io.in(`user:${userId}`).fetchSockets()).length > 0) {
    if (Date.now() > deadline) {
      throw new Error(`the server still holds a socket of user ${userId} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// --- The browser ------------------------------------------------------------------------------------

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * One server (with `env`) and one browser for a test file: started before its tests, closed after
 * them. `use` receives them once both are up.
 */
export function withServerAndBrowser(
  use: (server: TestServer, browser: Browser) => void,
  env: EnvInput = {},
): void {
  let started: [TestServer, Browser] | undefined;
  beforeAll(async () => {
    started = await Promise.all([startServer(env), launchBrowser()]);
    use(...started);
  });
  afterAll(async () => {
    await started?.[1].close();
    await started?.[0].close();
  });
}

/** Debian's Chromium, headless, with nothing that reaches for the network on its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const PHONE = { width: 375, height: 740 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors, for `expect(errors).toEqual([])` at the end. */
  errors: string[];
}

/**
 * A fresh browser context (its own localStorage) on the server's origin. The locale decides the
 * console's initial language (`en-US` unless told); `path` is opened when given.
 */
export async function openPage(
  browser: Browser,
  server: ServerOrigin,
  options: { viewport?: { width: number; height: number }; locale?: string; path?: string } = {},
): Promise<OpenedPage> {
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: options.viewport ?? DESKTOP,
    locale: options.locale ?? 'en-US',
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A failed sign-in answers 401 and the browser logs the failed request; that is expected.
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) {
      errors.push(`console: ${msg.text()}`);
    }
  });
  if (options.path !== undefined) {
    await page.goto(options.path);
  }
  return { context, page, errors };
}

/** The page's width in CSS pixels including overflow; at most the viewport when nothing overflows. */
export function scrollWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

// --- The API -------------------------------------------------------------------------------------------

/** A typed client (openapi-fetch, the console's own types) on the server, with an optional token. */
export function apiClient(server: ServerOrigin, token?: string) {
  return createClient<paths>({
    baseUrl: server.url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** The envelope's data, or an Error naming the status and error body. */
async function data<D>(
  request: Promise<{ data?: { data: D }; error?: unknown; response: Response }>,
  what: string,
): Promise<D> {
  const { data: body, error, response } = await request;
  if (!body) {
    throw new Error(`${what} failed: ${response.status} ${JSON.stringify(error)}`);
  }
  return body.data;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
}

export interface Account {
  token: string;
  user: User;
  company: Company;
  email: string;
  password: string;
}

/** Registers a new company (a fresh tenant) and returns its admin. */
export async function registerCompany(
  server: ServerOrigin,
  fields: { companyName?: string; name?: string; email?: string; password?: string } = {},
): Promise<Account> {
  const body = {
    companyName: fields.companyName ?? `Company ${randomBytes(3).toString('hex')}`,
    name: fields.name ?? 'Ann Admin',
    email: fields.email ?? uniqueEmail('admin'),
    password: fields.password ?? 'admin password 1',
  };
  const result = await data(apiClient(server).POST('/api/auth/register', { body }), 'register');
  return {
    token: result.token,
    user: result.user,
    company: result.company!,
    email: body.email,
    password: body.password,
  };
}

/** Creates a manager in the admin's company and signs them in (through the API). */
export async function createManager(
  server: ServerOrigin,
  admin: Account,
  fields: { name?: string; email?: string; password?: string } = {},
): Promise<Account> {
  const body = {
    name: fields.name ?? 'Mike Manager',
    email: fields.email ?? uniqueEmail('manager'),
    password: fields.password ?? 'manager password 1',
  };
  await data(apiClient(server, admin.token).POST('/api/managers', { body }), 'create manager');
  const login = await data(
    apiClient(server).POST('/api/auth/login', { body: { email: body.email, password: body.password } }),
    'login',
  );
  return {
    token: login.token,
    user: login.user,
    company: admin.company,
    email: body.email,
    password: body.password,
  };
}

/** Gives a manager rights on a session (read only unless told). */
export function grantAccess(
  server: ServerOrigin,
  adminToken: string,
  sessionId: string,
  managerId: string,
  rights: Partial<Rights> = {},
) {
  return data(
    apiClient(server, adminToken).POST('/api/whatsapp/sessions/{sessionId}/access', {
      params: { path: { sessionId } },
      body: { managerId, canRead: true, canWrite: false, canManageChats: false, ...rights },
    }),
    'grant access',
  );
}

/** Creates a session; it starts showing a QR (status `starting`, then `qr`). */
export function createSession(server: ServerOrigin, adminToken: string, name = 'Sales'): Promise<Session> {
  return data(
    apiClient(server, adminToken).POST('/api/whatsapp/sessions', { body: { name } }),
    'create session',
  );
}

/** The simulated phone scans the session's QR: the session becomes `ready`. */
export function simulateScan(
  server: ServerOrigin,
  adminToken: string,
  sessionId: string,
  phone: { phoneNumber?: string; displayName?: string } = {},
) {
  return data(
    apiClient(server, adminToken).POST('/api/simulator/sessions/{sessionId}/scan', {
      params: { path: { sessionId } },
      body: {
        phoneNumber: phone.phoneNumber ?? '79990000001',
        displayName: phone.displayName ?? 'Office phone',
      },
    }),
    'simulate scan',
  );
}

/** A session that is linked and `ready`. */
export async function connectedSession(
  server: ServerOrigin,
  adminToken: string,
  options: { name?: string; phoneNumber?: string } = {},
): Promise<Session> {
  const session = await createSession(server, adminToken, options.name);
  await simulateScan(server, adminToken, session.id, { phoneNumber: options.phoneNumber });
  return waitForSessionStatus(server, adminToken, session.id, 'ready');
}

/** Polls the session until it has `status` (10 s at most). */
export async function waitForSessionStatus(
  server: ServerOrigin,
  token: string,
  sessionId: string,
  status: Session['status'],
): Promise<Session> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const session = await data(
      apiClient(server, token).GET('/api/whatsapp/sessions/{sessionId}', { params: { path: { sessionId } } }),
      'get session',
    );
    if (session.status === status) {
      return session;
    }
    if (Date.now() > deadline) {
      throw new Error(`session ${sessionId} is ${session.status}, not ${status}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A contact writes to the session's number. */
export function simulateIncoming(
  server: ServerOrigin,
  adminToken: string,
  sessionId: string,
  message: Schemas['SimulatorIncoming'],
) {
  return data(
    apiClient(server, adminToken).POST('/api/simulator/sessions/{sessionId}/incoming', {
      params: { path: { sessionId } },
      body: message,
    }),
    'simulate incoming',
  );
}

/** WhatsApp reports a sent message delivered, read or played. */
export function simulateStatus(
  server: ServerOrigin,
  adminToken: string,
  sessionId: string,
  report: Schemas['SimulatorStatus'],
) {
  return data(
    apiClient(server, adminToken).POST('/api/simulator/sessions/{sessionId}/status', {
      params: { path: { sessionId } },
      body: report,
    }),
    'simulate status',
  );
}

/** The connection drops (and reconnects by itself unless `loggedOut`). */
export function simulateDrop(
  server: ServerOrigin,
  adminToken: string,
  sessionId: string,
  options: Schemas['SimulatorDrop'] = {},
) {
  return data(
    apiClient(server, adminToken).POST('/api/simulator/sessions/{sessionId}/drop', {
      params: { path: { sessionId } },
      body: options,
    }),
    'simulate drop',
  );
}

/** The phone sends its history in batches (`whatsapp:history_progress` while it arrives). */
export function simulateHistory(
  server: ServerOrigin,
  adminToken: string,
  sessionId: string,
  history: Schemas['SimulatorHistory'],
) {
  return data(
    apiClient(server, adminToken).POST('/api/simulator/sessions/{sessionId}/history', {
      params: { path: { sessionId } },
      body: history,
    }),
    'simulate history',
  );
}

/** What the simulated network received from the session, in order. */
export function simulatorOutgoing(server: ServerOrigin, adminToken: string, sessionId: string) {
  return data(
    apiClient(server, adminToken).GET('/api/simulator/sessions/{sessionId}/outgoing', {
      params: { path: { sessionId } },
    }),
    'simulator outgoing',
  );
}

// --- Signing in the browser ---------------------------------------------------------------------------

/** The localStorage key the console keeps its sign-in under (web/src/auth/auth.tsx). */
export const AUTH_STORAGE_KEY = 'wa-console.auth';

/** Signs in without the form: stores the account as the console would, then opens `path`. */
export async function signInWithToken(page: Page, account: Account, path = '/'): Promise<void> {
  const value = JSON.stringify({ token: account.token, user: account.user, company: account.company });
  await page.context().addInitScript(
    ([key, stored]) => {
      // Only on the first load: a later sign-out must not be undone by a reload.
      if (!sessionStorage.getItem('e2e-signed-in')) {
        sessionStorage.setItem('e2e-signed-in', '1');
        localStorage.setItem(key, stored);
      }
    },
    [AUTH_STORAGE_KEY, value] as const,
  );
  await page.goto(path);
  await page.getByTestId('app-shell').waitFor();
}

/** Signs in through the sign-in form and waits for the shell. */
export async function signInViaUi(page: Page, account: { email: string; password: string }): Promise<void> {
  if (!new URL(page.url(), 'http://x').pathname.startsWith('/sign-in')) {
    await page.goto('/sign-in');
  }
  const form = page.getByTestId('sign-in-form');
  await form.locator('input[name=email]').fill(account.email);
  await form.locator('input[name=password]').fill(account.password);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('app-shell').waitFor();
}

/** Registers a company through the register form and waits for the shell. */
export async function registerViaUi(
  page: Page,
  fields: { companyName: string; name: string; email: string; password: string },
): Promise<void> {
  await page.goto('/register');
  const form = page.getByTestId('register-form');
  for (const [name, value] of Object.entries(fields)) {
    await form.locator(`input[name=${name}]`).fill(value);
  }
  await page.getByTestId('register-submit').click();
  await page.getByTestId('app-shell').waitFor();
}

/** Signs out with the header button and waits for the sign-in form. */
export async function signOutViaUi(page: Page): Promise<void> {
  await page.getByTestId('sign-out').click();
  await page.getByTestId('sign-in-form').waitFor();
}

// --- Admin screens: the signed-in account and screenshots -------------------------------------------

/** The account the console signed in with (registered through the form), with its password. */
export async function accountFromPage(page: Page, password: string): Promise<Account> {
  const stored = await page.evaluate((key) => localStorage.getItem(key), AUTH_STORAGE_KEY);
  if (!stored) {
    throw new Error('the console is not signed in');
  }
  const { token, user, company } = JSON.parse(stored) as { token: string; user: User; company: Company };
  return { token, user, company, email: user.email ?? '', password };
}

/** docs/screenshots/, where the browser tests keep the console's pictures (overwritten on each run). */
export const SCREENSHOTS_DIR = join(import.meta.dirname, '..', 'docs', 'screenshots');

/** Saves what the page shows (the viewport unless `fullPage`) as docs/screenshots/<name>. */
export async function saveScreenshot(page: Page, name: string, options: { fullPage?: boolean } = {}) {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  // No hover effect on whatever the pointer last clicked.
  await page.mouse.move(0, 0);
  await page.screenshot({
    path: join(SCREENSHOTS_DIR, name),
    animations: 'disabled',
    caret: 'hide',
    fullPage: options.fullPage ?? false,
  });
}

// --- Inbox: access and sending through the API ------------------------------------------------------

/** Takes a manager's rights on a session away. */
export function revokeAccess(server: ServerOrigin, adminToken: string, sessionId: string, managerId: string) {
  return data(
    apiClient(server, adminToken).DELETE('/api/whatsapp/sessions/{sessionId}/access/{managerId}', {
      params: { path: { sessionId, managerId } },
    }),
    'revoke access',
  );
}

/** Sends a text (optionally a reply) to a chat id or phone number, as the console does. */
export function sendMessage(
  server: ServerOrigin,
  token: string,
  sessionId: string,
  chatId: string,
  message: string,
  options: { quotedMessageId?: string; idempotencyKey?: string } = {},
) {
  return data(
    apiClient(server, token).POST('/api/whatsapp/sessions/{sessionId}/chats/{chatId}/send', {
      params: {
        path: { sessionId, chatId },
        header: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
      },
      body: { message, ...(options.quotedMessageId ? { quotedMessageId: options.quotedMessageId } : {}) },
    }),
    'send message',
  );
}

/** A chat's newest messages (newest first), through the API. */
export function listMessages(server: ServerOrigin, token: string, sessionId: string, chatId: string) {
  return data(
    apiClient(server, token).GET('/api/whatsapp/sessions/{sessionId}/chats/{chatId}/messages', {
      params: { path: { sessionId, chatId }, query: { limit: 200 } },
    }),
    'list messages',
  );
}
