/**
 * The whole story in one test, through the two UIs only: an admin links a number and hands it to a
 * manager, who works a conversation on a second device; the admin takes it back; a read-only
 * manager looks on from a phone. The simulator is the only API this test calls: it stands in for the
 * office phone (scan, delivery reports) and for the customer (incoming messages).
 */
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import {
  accountFromPage,
  DESKTOP,
  openPage,
  PHONE,
  registerViaUi,
  scrollWidth,
  signInViaUi,
  simulateIncoming,
  simulateScan,
  simulateStatus,
  simulatorOutgoing,
  type TestServer,
  uniqueEmail,
  withServerAndBrowser,
} from './support.js';

let server: TestServer;
let browser: Browser;
withServerAndBrowser((s, b) => {
  [server, browser] = [s, b];
});

const chatItem = (page: Page, title: string) =>
  page
    .getByTestId('chat-item')
    .filter({ has: page.getByTestId('chat-title').getByText(title, { exact: true }) });

const ticks = (page: Page, text: string, status: string) =>
  page
    .locator('[data-testid=message][data-direction=outgoing]')
    .filter({ hasText: text })
    .locator(`[data-testid=message-ticks][data-status=${status}]`);

/** Adds a manager on the Managers page and returns their id. */
async function addManagerViaUi(page: Page, manager: { name: string; email: string; password: string }) {
  await page.getByTestId('nav-managers').click();
  await page.getByTestId('page-managers').waitFor();
  const form = page.getByTestId('manager-create-form');
  await form.locator('input[name=name]').fill(manager.name);
  await form.locator('input[name=email]').fill(manager.email);
  await form.locator('input[name=password]').fill(manager.password);
  await page.getByTestId('manager-create-submit').click();
  await page.getByTestId('manager-created').waitFor();
  const row = page.getByTestId('manager-row').filter({ hasText: manager.email });
  await row.waitFor();
  return (await row.getAttribute('data-manager-id'))!;
}

/** Opens the session's access matrix from the Sessions page. */
async function openAccessMatrix(page: Page, sessionId: string) {
  await page.getByTestId('nav-sessions').click();
  await page
    .locator(`[data-testid=session-card][data-session-id="${sessionId}"]`)
    .getByTestId('session-access')
    .click();
  await page.getByTestId('access-matrix').waitFor();
}

describe('the story', () => {
  it('an admin links a number and shares it; managers work it on their devices; access is taken back', async () => {
    // --- 1. The admin registers (context A, a desktop) and links a number by its QR.
    const a = await openPage(browser, server, { viewport: DESKTOP });
    const admin = a.page;
    const adminPassword = 'admin password 1';
    await registerViaUi(admin, {
      companyName: 'Northwind Trading',
      name: 'Ann Admin',
      email: uniqueEmail('ann'),
      password: adminPassword,
    });
    // Its token drives the simulator (the phone and the customer), nothing else.
    const { token } = await accountFromPage(admin, adminPassword);
    await admin.getByTestId('sessions-empty').waitFor();
    await admin.getByTestId('create-session-name').fill('Sales');
    await admin.getByTestId('create-session').click();
    const card = admin.getByTestId('session-card');
    const qr = card.getByTestId('session-qr');
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/=]{100,}$/);
    const sessionId = (await card.getAttribute('data-session-id'))!;
    await card.locator('[data-testid=session-status][data-status=qr]').waitFor();

    await simulateScan(server, token, sessionId, { phoneNumber: '79990000001', displayName: 'Office phone' });
    await card.locator('[data-testid=session-status][data-status=ready]').waitFor();
    expect(await card.getByTestId('session-qr').count()).toBe(0);
    await expect(card.getByTestId('session-phone').textContent()).resolves.toBe('+79990000001');

    // --- 2. A manager, added on the Managers page, gets Read + Write in the access matrix.
    const mike = { name: 'Mike Manager', email: uniqueEmail('mike'), password: 'manager password 1' };
    const mikeId = await addManagerViaUi(admin, mike);
    await openAccessMatrix(admin, sessionId);
    const box = (managerId: string, right: string) => admin.getByTestId(`access-${managerId}-${right}`);
    const saved = (managerId: string) =>
      admin.locator(`[data-testid=access-row-${managerId}][data-state=saved]`).waitFor();
    expect(await box(mikeId, 'canRead').isChecked()).toBe(false);
    await box(mikeId, 'canRead').click();
    await saved(mikeId);
    await box(mikeId, 'canWrite').click();
    await saved(mikeId);
    expect(await box(mikeId, 'canRead').isChecked()).toBe(true);
    expect(await box(mikeId, 'canWrite').isChecked()).toBe(true);
    expect(await box(mikeId, 'canManageChats').isChecked()).toBe(false);

    // --- 3. The manager signs in on a second device (context B) and works a conversation live.
    const b = await openPage(browser, server, { viewport: DESKTOP, path: '/sign-in' });
    const inbox = b.page;
    await signInViaUi(inbox, mike);
    // The only number opens by itself.
    await inbox.locator(`[data-testid=inbox-session-${sessionId}][aria-current=true]`).waitFor();
    expect(new URL(inbox.url()).pathname).toBe(`/inbox/${sessionId}`);
    await inbox.locator('[data-testid=connection-status][data-status=connected]').waitFor();
    await inbox.getByTestId('chats-empty').waitFor();

    const customer = { from: '79031112233', pushName: 'Olga Petrova' };
    const question = 'Hello! Is my order #1042 ready?';
    await simulateIncoming(server, token, sessionId, { ...customer, text: question });
    const olga = chatItem(inbox, 'Olga Petrova');
    await olga.getByTestId('unread-badge').getByText('1', { exact: true }).waitFor();
    await olga.click();
    await expect(inbox.getByTestId('thread-title').textContent()).resolves.toBe('Olga Petrova');
    await inbox
      .locator('[data-testid=message][data-direction=incoming]')
      .filter({ hasText: question })
      .waitFor();

    const reply = 'Yes, it is packed and leaves today.';
    await inbox.getByTestId('composer-input').fill(reply);
    await inbox.getByTestId('composer-input').press('Enter');
    await ticks(inbox, reply, 'sent').waitFor();
    expect(await inbox.getByTestId('composer-input').inputValue()).toBe('');
    // The simulated network got it once; the customer's phone reports it delivered, then read.
    const sent = (await simulatorOutgoing(server, token, sessionId)).filter((o) => o.text === reply);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toContain(customer.from);
    await simulateStatus(server, token, sessionId, {
      waMessageId: sent[0]!.waMessageId,
      status: 'delivered',
    });
    await ticks(inbox, reply, 'delivered').waitFor();
    await simulateStatus(server, token, sessionId, { waMessageId: sent[0]!.waMessageId, status: 'read' });
    await ticks(inbox, reply, 'read').waitFor();

    // --- 4. The admin clears Read: the number leaves the manager's screen live, without a reload.
    await inbox.evaluate(() => ((window as unknown as { storyMarker: number }).storyMarker = 1));
    const revokedAt = Date.now();
    await box(mikeId, 'canRead').click();
    await inbox.getByTestId(`inbox-session-${sessionId}`).waitFor({ state: 'detached', timeout: 3_000 });
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    await inbox.getByTestId('inbox-session-unavailable').waitFor();
    await inbox.getByTestId('inbox-no-sessions').waitFor();
    expect(await inbox.getByTestId('composer').count()).toBe(0);
    expect(await inbox.getByTestId('thread').count()).toBe(0);
    expect(await inbox.getByTestId('chat-item').count()).toBe(0);
    expect(await inbox.evaluate(() => (window as unknown as { storyMarker?: number }).storyMarker)).toBe(1);
    // The admin's matrix shows the revoke saved, with every box clear.
    await saved(mikeId);
    for (const right of ['canRead', 'canWrite', 'canManageChats']) {
      expect(await box(mikeId, right).isChecked()).toBe(false);
    }

    // --- 5. A second manager, read only, looks on from a phone (context C).
    const rita = { name: 'Rita Reader', email: uniqueEmail('rita'), password: 'manager password 2' };
    const ritaId = await addManagerViaUi(admin, rita);
    await openAccessMatrix(admin, sessionId);
    await box(ritaId, 'canRead').click();
    await saved(ritaId);
    expect(await box(ritaId, 'canWrite').isChecked()).toBe(false);

    const c = await openPage(browser, server, { viewport: PHONE, path: '/sign-in' });
    const phone = c.page;
    await signInViaUi(phone, rita);
    // One number: its chats open at once; the numbers pane waits behind "back".
    await expect(phone.getByTestId('chats-session-name').textContent()).resolves.toBe('Sales');
    expect(new URL(phone.url()).pathname).toBe(`/inbox/${sessionId}`);
    await chatItem(phone, 'Olga Petrova').waitFor();
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(PHONE.width);
    expect(await phone.getByTestId('new-chat').count()).toBe(0);

    await chatItem(phone, 'Olga Petrova').click();
    await phone.getByTestId('thread').waitFor();
    await ticks(phone, reply, 'read').waitFor();
    await phone.getByTestId('thread-readonly').waitFor();
    expect(await phone.getByTestId('composer').count()).toBe(0);
    expect(await phone.getByTestId('message-reply').count()).toBe(0);
    expect(await phone.getByTestId('chat-list').isVisible()).toBe(false);
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(PHONE.width);

    // Back goes up a level at a time: the chats, then the numbers (marked read only).
    await phone.getByTestId('thread-back').click();
    await phone.getByTestId('chat-list').waitFor();
    expect(await phone.getByTestId('thread').count()).toBe(0);
    expect(new URL(phone.url()).pathname).toBe(`/inbox/${sessionId}`);
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(PHONE.width);
    await phone.getByTestId('chats-back').click();
    const number = phone.getByTestId(`inbox-session-${sessionId}`);
    await number.waitFor();
    await number.getByTestId('session-readonly').waitFor();
    expect(await phone.getByTestId('chat-list').isVisible()).toBe(false);
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(PHONE.width);
    // The browser's back returns to the chats.
    await phone.goBack();
    await phone.getByTestId('chat-list').waitFor();
    expect(new URL(phone.url()).pathname).toBe(`/inbox/${sessionId}`);
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(PHONE.width);

    expect({ admin: a.errors, manager: b.errors, readOnly: c.errors }).toEqual({
      admin: [],
      manager: [],
      readOnly: [],
    });
    await Promise.all([a.context.close(), b.context.close(), c.context.close()]);
  });
});
