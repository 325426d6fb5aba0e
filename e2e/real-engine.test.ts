import { DEFAULT_CONNECTION_CONFIG } from 'baileys';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ControlServer, startControl } from '../test/wa-server/control.js';
import { WaServer } from '../test/wa-server/server.js';
import {
  apiClient,
  type BuiltServer,
  launchBrowser,
  openPage,
  registerCompany,
  signInWithToken,
  startBuiltServer,
} from './support.js';

/**
 * The console on the real engine: the built server runs Baileys against the WhatsApp server
 * stand-in (trusted through the preload, as `npm run standin` tells a developer to run it), and the
 * stand-in is driven through its HTTP control API. The admin links a number by the QR the page
 * shows, a contact writes, and the reply typed in the console reaches the contact's phone.
 */

const PRELOAD = new URL('../test/wa-server/trust.mjs', import.meta.url).pathname;

let standin: WaServer;
let control: ControlServer;
let server: BuiltServer;
let browser: Browser;

beforeAll(async () => {
  // The server process trusts the stand-in's root through its preload, not through this process.
  standin = await WaServer.start({ trust: false });
  [server, browser] = await Promise.all([
    startBuiltServer(
      {
        WA_ENGINE: 'baileys',
        WA_WEBSOCKET_URL: standin.url,
        WA_WEB_VERSION: DEFAULT_CONNECTION_CONFIG.version.join('.'),
        RECONNECT_MIN_DELAY: '50ms',
        RECONNECT_MAX_DELAY: '200ms',
      },
      ['--import', PRELOAD],
    ),
    launchBrowser(),
  ]);
  control = await startControl(standin, { serviceUrl: server.url });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await control?.close();
  await standin?.close();
});

async function stand(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${control.url}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await res.json();
  if (!res.ok) {
    throw new Error(`stand-in ${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  }
  return answer;
}

/** A QR decoder, once the `qr` package is installed (a devDependency); null until then. */
type DecodeQr = (image: { width: number; height: number; data: Uint8Array }) => string;
async function qrDecoder(): Promise<DecodeQr | null> {
  const specifier = 'qr/decode.js';
  try {
    const module = (await import(specifier)) as { default: DecodeQr };
    return module.default;
  } catch {
    return null;
  }
}

/** The pixels of the QR image as the page shows it (drawn at its natural size). */
async function pixelsOf(image: Locator) {
  const { width, height, rgba } = await image.evaluate((img: HTMLImageElement) => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(img, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let binary = '';
    for (let i = 0; i < data.length; i += 0x8000) {
      binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    }
    return { width: canvas.width, height: canvas.height, rgba: btoa(binary) };
  });
  return { width, height, data: new Uint8Array(Buffer.from(rgba, 'base64')) };
}

const statusOf = (card: Locator, status: string) =>
  card.locator(`[data-testid=session-status][data-status=${status}]`);

const chatItem = (page: Page, title: string) =>
  page
    .getByTestId('chat-item')
    .filter({ has: page.getByTestId('chat-title').getByText(title, { exact: true }) });

describe('the console on the real engine', () => {
  it(
    'links a number by the QR the page shows, receives a contact’s message and replies to it',
    { timeout: 120_000 },
    async () => {
      const shop = '15553330000';
      const ann = '15553330001';
      await stand('POST', '/accounts', { pn: shop, name: 'Corner Shop' });
      const admin = await registerCompany(server);
      const { page, context, errors } = await openPage(browser, server);
      await signInWithToken(page, admin);
      await page.getByTestId('page-sessions').waitFor();

      // --- The admin creates a session; the page shows the QR Baileys made for it.
      await page.getByTestId('create-session-name').fill('Front desk');
      await page.getByTestId('create-session').click();
      const card = page.getByTestId('session-card');
      const image = card.getByTestId('session-qr');
      await image.waitFor({ timeout: 20_000 });
      await statusOf(card, 'qr').waitFor();
      const sessionId = (await card.getAttribute('data-session-id'))!;
      await page.waitForFunction(
        () => document.querySelector<HTMLImageElement>('[data-testid=session-qr]')?.complete,
      );
      const shown = (await image.getAttribute('src'))!;

      // The image is the API's QR, rendered from the `qr` text a phone reads from it.
      const { data: answer } = await apiClient(server, admin.token).GET(
        '/api/whatsapp/sessions/{sessionId}/qr',
        {
          params: { path: { sessionId } },
        },
      );
      const pending = answer!.data;
      expect(shown).toBe(pending.qrCode);
      expect(pending.qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);

      // Read as a phone's camera does, when a decoder is installed (CI always has it).
      const decode = await qrDecoder();
      if (!decode && process.env.CI) {
        throw new Error('the `qr` package is missing: npm ci installs it');
      }
      const scanned = decode ? decode(await pixelsOf(image)) : pending.qr!;
      expect(scanned).toBe(pending.qr);

      // --- The phone scans it: the card turns ready with the number and the phone's name.
      await stand('POST', '/scan', { pn: shop, qr: scanned });
      await statusOf(card, 'ready').waitFor({ timeout: 30_000 });
      await expect(card.getByTestId('session-phone').textContent()).resolves.toBe(`+${shop}`);
      await card.getByTestId('session-display-name').getByText('Corner Shop').waitFor({ timeout: 15_000 });
      expect(await card.getByTestId('session-qr').count()).toBe(0);

      // --- A contact writes; the message appears in the inbox.
      await page.getByTestId('nav-inbox').click();
      await page.getByTestId('page-inbox').waitFor();
      const question = 'Hello! Do you deliver on Sundays?';
      await stand('POST', '/messages', { from: ann, fromName: 'Ann', to: shop, text: question });
      const annItem = chatItem(page, 'Ann');
      await annItem.waitFor({ timeout: 20_000 });
      await annItem.click();
      await page.getByTestId('thread').waitFor();
      await page
        .locator('[data-testid=message][data-direction=incoming]')
        .filter({ hasText: question })
        .waitFor();

      // --- The reply typed in the console reaches the contact's phone, which decrypts it.
      const reply = 'Yes, from 10 to 18 — shall I book you in?';
      await page.getByTestId('composer-input').fill(reply);
      await page.getByTestId('composer-input').press('Enter');
      const mine = page.locator('[data-testid=message][data-direction=outgoing]').filter({ hasText: reply });
      await mine.locator('[data-testid=message-ticks][data-status=sent]').waitFor({ timeout: 20_000 });
      let received: { id: string; text: string | null }[] = [];
      for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
        received = (await stand('GET', `/sent?to=${ann}`)) as typeof received;
        if (received.length > 0) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(received.map((item) => item.text)).toEqual([reply]);

      // --- The contact reads it: the ticks turn read.
      await stand('POST', '/receipts', { from: ann, to: shop, ids: [received[0]!.id], type: 'read' });
      await mine.locator('[data-testid=message-ticks][data-status=read]').waitFor({ timeout: 15_000 });

      expect(errors).toEqual([]);
      await context.close();
    },
  );
});
