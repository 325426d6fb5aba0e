import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import {
  type Account,
  connectedSession,
  createManager,
  DESKTOP,
  grantAccess,
  listMessages,
  openPage,
  PHONE,
  registerCompany,
  revokeAccess,
  type Rights,
  scrollWidth,
  sendMessage,
  type Session,
  signInWithToken,
  simulateHistory,
  simulateIncoming,
  simulateStatus,
  simulatorOutgoing,
  type TestServer,
  waitForSocketsClosed,
  withServerAndBrowser,
} from './support.js';

let server: TestServer;
let browser: Browser;
withServerAndBrowser((s, b) => {
  [server, browser] = [s, b];
});

const SCREENSHOTS = join(import.meta.dirname, '..', 'docs', 'screenshots');

/** docs/screenshots/<name>, overwritten on every run. */
async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), animations: 'disabled', caret: 'hide' });
}

interface Team {
  admin: Account;
  session: Session;
  manager: Account;
}

let phoneCounter = 0;

/** A company with a linked number and a manager holding `rights` on it. */
async function team(rights: Partial<Rights>, name = 'Sales'): Promise<Team> {
  const admin = await registerCompany(server, { companyName: 'Northwind Trading' });
  phoneCounter += 1;
  const session = await connectedSession(server, admin.token, {
    name,
    phoneNumber: `7999000${String(phoneCounter).padStart(4, '0')}`,
  });
  const manager = await createManager(server, admin, { name: 'Mike Manager' });
  await grantAccess(server, admin.token, session.id, manager.user.id, rights);
  return { admin, session, manager };
}

/** Signs the account in on a fresh browser context and opens the inbox. */
async function openInbox(
  account: Account,
  path = '/inbox',
  viewport: { width: number; height: number } = DESKTOP,
) {
  const opened = await openPage(browser, server, { viewport });
  await signInWithToken(opened.page, account, path);
  await opened.page.getByTestId('page-inbox').waitFor();
  await opened.page.locator('[data-testid=connection-status][data-status=connected]').waitFor();
  return opened;
}

const chatItem = (page: Page, title: string) =>
  page
    .getByTestId('chat-item')
    .filter({ has: page.getByTestId('chat-title').getByText(title, { exact: true }) });

const outgoing = (page: Page) => page.locator('[data-testid=message][data-direction=outgoing]');

/** A few contacts who wrote earlier, so the list looks like a working day. */
async function seedContacts(t: Team) {
  const contacts = [
    { from: '79161234501', pushName: 'Anna Smirnova', text: 'Thank you, the parcel arrived!' },
    { from: '79161234502', pushName: 'Dmitry K.', text: 'Can I change the delivery address?' },
    { from: '79161234503', pushName: 'Coffee House', text: 'We would like to order 20 more boxes.' },
  ];
  for (const message of contacts) {
    await simulateIncoming(server, t.admin.token, t.session.id, message);
  }
}

/** Waits until `read()` returns `want` (the UI updates asynchronously). */
async function until<T>(read: () => Promise<T>, want: T, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let last: T = await read();
  while (last !== want) {
    if (Date.now() > deadline) {
      throw new Error(`expected ${String(want)}, still ${String(last)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
}

describe('the inbox', () => {
  it('lets a manager receive, reply and watch the ticks live; a revoke takes the number away', async () => {
    const t = await team({ canRead: true, canWrite: true });
    await seedContacts(t);
    const { page, context, errors } = await openInbox(t.manager);

    // The only number opens by itself.
    await page.locator(`[data-testid=inbox-session-${t.session.id}][aria-current=true]`).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/inbox/${t.session.id}`);
    await chatItem(page, 'Coffee House').waitFor();
    expect(await page.getByTestId('chat-item').count()).toBe(3);

    // A new message arrives live, on top, with an unread badge.
    const olga = '79031112233';
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: olga,
      pushName: 'Olga Petrova',
      text: 'Hello! Is my order #1042 ready?',
    });
    const olgaItem = chatItem(page, 'Olga Petrova');
    await olgaItem.getByTestId('unread-badge').getByText('1', { exact: true }).waitFor();
    await expect(page.getByTestId('chat-title').first().textContent()).resolves.toBe('Olga Petrova');
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: olga,
      pushName: 'Olga Petrova',
      text: 'Here is the receipt',
      type: 'image',
    });
    await olgaItem.getByTestId('unread-badge').getByText('2', { exact: true }).waitFor();

    // Open the chat: both messages, the picture fetched with the token and shown.
    await olgaItem.click();
    await page.getByTestId('thread').waitFor();
    await expect(page.getByTestId('thread-title').textContent()).resolves.toBe('Olga Petrova');
    await page.locator('[data-testid=message][data-direction=incoming]').nth(1).waitFor();
    const image = page.getByTestId('message-image');
    await image.waitFor();
    await until(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), true);
    // canRead + canWrite: a composer, but no chat management.
    await page.getByTestId('composer').waitFor();
    expect(await page.getByTestId('chat-archive').count()).toBe(0);
    expect(await page.getByTestId('chat-pin').count()).toBe(0);
    expect(await page.getByTestId('chat-mark-read').count()).toBe(0);

    // Reply to the first message, quoting it.
    const question = page.locator('[data-testid=message][data-direction=incoming]').first();
    await question.hover();
    await question.getByTestId('message-reply').click();
    await page.getByTestId('composer-quote').getByText('Hello! Is my order #1042 ready?').waitFor();
    const reply = 'Yes, it is packed and leaves today. Tracking number follows.';
    await page.getByTestId('composer-input').fill(reply);
    await page.getByTestId('composer-input').press('Enter');
    // Shown at once, then the server's row; the simulator accepts it, so it turns `sent`.
    const mine = outgoing(page).filter({ hasText: reply });
    await mine.waitFor();
    expect(await page.getByTestId('composer-input').inputValue()).toBe('');
    await mine.locator('[data-testid=message-ticks][data-status=sent]').waitFor();
    await mine.getByTestId('message-quote').getByText('Hello! Is my order #1042 ready?').waitFor();

    // The network got it once, as a reply to the question.
    const sent = (await simulatorOutgoing(server, t.admin.token, t.session.id)).filter(
      (o) => o.text === reply,
    );
    expect(sent).toHaveLength(1);
    const history = await listMessages(server, t.admin.token, t.session.id, olga);
    const asked = history.find((m) => m.body === 'Hello! Is my order #1042 ready?');
    expect(sent[0]!.quotedWaMessageId).toBe(asked!.waMessageId);

    // WhatsApp reports delivery, then reading: the ticks follow without a reload.
    await simulateStatus(server, t.admin.token, t.session.id, {
      waMessageId: sent[0]!.waMessageId,
      status: 'delivered',
    });
    await mine.locator('[data-testid=message-ticks][data-status=delivered]').waitFor();
    await simulateStatus(server, t.admin.token, t.session.id, {
      waMessageId: sent[0]!.waMessageId,
      status: 'read',
    });
    await mine.locator('[data-testid=message-ticks][data-status=read]').waitFor();
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: olga,
      pushName: 'Olga Petrova',
      text: 'Great, thank you!',
    });
    await page
      .locator('[data-testid=message][data-direction=incoming]')
      .filter({ hasText: 'Great, thank you' })
      .waitFor();
    await page.mouse.move(0, 0);
    await page.getByTestId('composer-input').blur();
    await screenshot(page, 'inbox-desktop.png');

    // The admin takes the number away: it leaves the manager's screen without a reload.
    await revokeAccess(server, t.admin.token, t.session.id, t.manager.user.id);
    // whatsapp:access_changed takes it away live: no reload, no focus change, no poll.
    await page.getByTestId(`inbox-session-${t.session.id}`).waitFor({ state: 'detached', timeout: 3_000 });
    await page.getByTestId('inbox-session-unavailable').waitFor();
    expect(await page.getByTestId('composer').count()).toBe(0);
    expect(await page.getByTestId('chat-item').count()).toBe(0);
    await page.getByTestId('inbox-no-sessions').waitFor();

    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a read-only manager no composer and no chat actions; an admin manages chats', async () => {
    const t = await team({ canRead: true });
    await seedContacts(t);
    const anna = await listMessages(server, t.admin.token, t.session.id, '79161234501');
    await sendMessage(server, t.admin.token, t.session.id, '79161234501', 'Glad to hear it! Enjoy.', {
      quotedMessageId: anna[0]!.id,
    });

    const { page, context, errors } = await openInbox(t.manager);
    await chatItem(page, 'Anna Smirnova').click();
    await page.getByTestId('thread').waitFor();
    await outgoing(page).filter({ hasText: 'Glad to hear it' }).getByTestId('message-quote').waitFor();
    await page.getByTestId('thread-readonly').waitFor();
    expect(await page.getByTestId('composer').count()).toBe(0);
    expect(await page.getByTestId('message-reply').count()).toBe(0);
    expect(await page.getByTestId('new-chat').count()).toBe(0);
    for (const id of ['chat-archive', 'chat-pin', 'chat-mark-read']) {
      expect(await page.getByTestId(id).count()).toBe(0);
    }
    await page.getByTestId('session-readonly').waitFor();
    await screenshot(page, 'inbox-readonly.png');
    expect(errors).toEqual([]);

    // The admin has every right: mark read, pin, archive, and the archive filter.
    const admin = await openInbox(t.admin, `/inbox/${t.session.id}`);
    const coffee = chatItem(admin.page, 'Coffee House');
    await coffee.getByTestId('unread-badge').waitFor();
    await coffee.click();
    await admin.page.getByTestId('chat-mark-read').click();
    await coffee.getByTestId('unread-badge').waitFor({ state: 'detached' });
    // The manager's list follows (chat_updated), without a reload.
    await chatItem(page, 'Coffee House').getByTestId('unread-badge').waitFor({ state: 'detached' });

    await admin.page.getByTestId('chat-pin').click();
    await coffee.getByTestId('chat-pinned').waitFor();
    await admin.page.locator('[data-testid=chat-pin][aria-pressed=true]').waitFor();
    await admin.page.getByTestId('chat-archive').click();
    await coffee.waitFor({ state: 'detached' });
    await admin.page.getByTestId('chat-filter-archived').click();
    await chatItem(admin.page, 'Coffee House').waitFor();
    expect(await admin.page.getByTestId('chat-item').count()).toBe(1);
    await admin.page.getByTestId('chat-archive').click();
    await chatItem(admin.page, 'Coffee House').waitFor({ state: 'detached' });
    await admin.page.getByTestId('chat-filter-active').click();
    await chatItem(admin.page, 'Coffee House').waitFor();

    // Search goes to the API (?search=).
    await admin.page.getByTestId('chat-search').fill('Dmitry');
    await until(() => admin.page.getByTestId('chat-item').count(), 1);
    await chatItem(admin.page, 'Dmitry K.').waitFor();
    await admin.page.getByTestId('chat-search').fill('');
    await until(() => admin.page.getByTestId('chat-item').count(), 3);

    expect(admin.errors).toEqual([]);
    await admin.context.close();
    await context.close();
  });

  it('loads older messages and more chats on scrolling', async () => {
    const admin = await registerCompany(server);
    const chatsSession = await connectedSession(server, admin.token, {
      name: 'Many chats',
      phoneNumber: '79990001101',
    });
    const longSession = await connectedSession(server, admin.token, {
      name: 'Long chat',
      phoneNumber: '79990001102',
    });
    await simulateHistory(server, admin.token, chatsSession.id, { chats: 45, messagesPerChat: 1 });
    await simulateHistory(server, admin.token, longSession.id, { chats: 1, messagesPerChat: 95 });

    const { page, context, errors } = await openInbox(admin);
    // Two numbers: nothing opens by itself.
    await page.getByTestId(`inbox-session-${chatsSession.id}`).click();
    await until(() => page.getByTestId('chat-item').count(), 30);
    await page.getByTestId('chat-list-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await until(() => page.getByTestId('chat-item').count(), 45);
    expect(await page.getByTestId('chats-load-more').count()).toBe(0);

    await page.getByTestId(`inbox-session-${longSession.id}`).click();
    await chatItem(page, 'Contact 1').click();
    await page.getByTestId('message').first().waitFor();
    expect(await page.getByTestId('message').count()).toBe(40);
    const messages = page.getByTestId('thread-messages');
    // The newest is in view at first.
    await page.getByTestId('message').filter({ hasText: 'History message 95 with contact 1' }).waitFor();
    const scrollToTop = () => messages.evaluate((el) => el.scrollTo(0, 0));
    await scrollToTop();
    await until(() => page.getByTestId('message').count(), 80);
    // The reader stays where they were: the message that was first is still near the top, not jumped past.
    const keptInView = await page
      .getByTestId('message')
      .filter({ hasText: 'History message 56 with contact 1' })
      .evaluate((el) => {
        const box = el.getBoundingClientRect();
        const view = el.closest('[data-testid=thread-messages]')!.getBoundingClientRect();
        return box.top >= view.top - 5 && box.bottom <= view.bottom + 5;
      });
    expect(keptInView).toBe(true);
    await scrollToTop();
    await until(() => page.getByTestId('message').count(), 95);
    await page.getByTestId('thread-start').waitFor();

    expect(errors).toEqual([]);
    await context.close();
  });

  it('starts a chat with a phone number', async () => {
    const t = await team({ canRead: true, canWrite: true });
    const { page, context, errors } = await openInbox(t.manager);
    await page.getByTestId('chats-empty').waitFor();

    await page.getByTestId('new-chat').click();
    await page.getByTestId('new-chat-phone').fill('not a number');
    await page.getByTestId('new-chat-submit').click();
    await page.locator('[data-testid=new-chat-phone][aria-invalid=true]').waitFor();
    await page.getByTestId('new-chat-phone').fill('+7 (999) 555-44-33');
    await page.getByTestId('new-chat-submit').click();
    await page.getByTestId('thread-new').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/inbox/${t.session.id}/79995554433`);
    await expect(page.getByTestId('thread-title').textContent()).resolves.toBe('+79995554433');

    await page.getByTestId('composer-input').fill('Good afternoon! Your order is ready for pickup.');
    await page.getByTestId('composer-send').click();
    await outgoing(page).locator('[data-testid=message-ticks][data-status=sent]').waitFor();
    // The new chat joins the list, selected.
    await page.locator('[data-testid=chat-item][aria-current=true]').getByText('+79995554433').waitFor();
    const sent = await simulatorOutgoing(server, t.admin.token, t.session.id);
    expect(sent.map((o) => o.text)).toEqual(['Good afternoon! Your order is ready for pickup.']);
    expect(sent[0]!.to).toContain('79995554433');

    // A second message goes to the same chat.
    await page.getByTestId('composer-input').fill('We are open until 8 pm.');
    await page.getByTestId('composer-input').press('Enter');
    await until(() => outgoing(page).locator('[data-testid=message-ticks][data-status=sent]').count(), 2);
    expect(await page.getByTestId('chat-item').count()).toBe(1);

    expect(errors).toEqual([]);
    await context.close();
  });

  it('retries a failed send with the same Idempotency-Key and never doubles a message', async () => {
    const t = await team({ canRead: true, canWrite: true });
    await seedContacts(t);
    const { page, context } = await openInbox(t.manager);
    await chatItem(page, 'Anna Smirnova').click();
    await page.getByTestId('composer').waitFor();

    // 1. The request never reaches the server: the message shows as not sent, with a retry.
    const keys: string[] = [];
    let mode: 'drop' | 'lose-answer' | 'pass' = 'drop';
    await page.route('**/chats/*/send', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (mode === 'drop') {
        await route.abort('connectionreset');
      } else if (mode === 'lose-answer') {
        // The server stores and sends it; the answer is lost on the way back.
        await route.fetch();
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    const first = 'The courier will call you an hour before.';
    await page.getByTestId('composer-input').fill(first);
    await page.getByTestId('composer-input').press('Enter');
    const firstBubble = outgoing(page).filter({ hasText: first });
    await firstBubble.getByTestId('message-retry').waitFor();
    await firstBubble.locator('[data-testid=message-ticks][data-status=failed]').waitFor();
    mode = 'pass';
    await firstBubble.getByTestId('message-retry').click();
    await firstBubble.locator('[data-testid=message-ticks][data-status=sent]').waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);

    // 2. The request is stored but its answer is lost: the stored message replaces the failed one.
    mode = 'lose-answer';
    const second = 'Payment received, thank you.';
    await page.getByTestId('composer-input').fill(second);
    await page.getByTestId('composer-input').press('Enter');
    const secondBubble = outgoing(page).filter({ hasText: second });
    await secondBubble.locator('[data-testid=message-ticks][data-status=sent]').waitFor();
    await page.waitForTimeout(300);
    expect(await secondBubble.count()).toBe(1);
    expect(await page.getByTestId('message-retry').count()).toBe(0);

    const network = await simulatorOutgoing(server, t.admin.token, t.session.id);
    expect(network.map((o) => o.text)).toEqual([first, second]);
    await page.unroute('**/chats/*/send');
    await context.close();
  });

  it('catches up after the connection drops', async () => {
    const t = await team({ canRead: true, canWrite: true });
    await seedContacts(t);
    const { page, context } = await openInbox(t.manager);
    await chatItem(page, 'Dmitry K.').click();
    await page.getByTestId('message').first().waitFor();

    await context.setOffline(true);
    await page
      .locator('[data-testid=connection-status]:not([data-status=connected])')
      .waitFor({ timeout: 30_000 });
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: '79161234502',
      pushName: 'Dmitry K.',
      text: 'Sent while you were offline',
    });
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: '79265550000',
      pushName: 'Elena V.',
      text: 'A new customer while you were offline',
    });
    await context.setOffline(false);
    await page.locator('[data-testid=connection-status][data-status=connected]').waitFor({ timeout: 30_000 });
    await page.getByTestId('message').filter({ hasText: 'Sent while you were offline' }).waitFor();
    await chatItem(page, 'Elena V.').getByTestId('unread-badge').waitFor();

    // Rights touched while away: the server will not replay missed events (the socket starts
    // afresh), so the page fetches its sessions, chats and thread again by itself.
    const refetched: string[] = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (request.method() === 'GET' && /\/(sessions|chats|messages)$/.test(path)) {
        refetched.push(path.split('/').at(-1)!);
      }
    });
    await context.setOffline(true);
    await page
      .locator('[data-testid=connection-status]:not([data-status=connected])')
      .waitFor({ timeout: 30_000 });
    // Only a change the server makes while it knows the socket is gone keeps it from replaying.
    await waitForSocketsClosed(server, t.manager.user.id);
    await grantAccess(server, t.admin.token, t.session.id, t.manager.user.id, {
      canRead: true,
      canWrite: true,
    });
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: '79161234502',
      pushName: 'Dmitry K.',
      text: 'Another one while you were away',
    });
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: '79267770000',
      pushName: 'Pavel S.',
      text: 'Hello from a third customer',
    });
    await context.setOffline(false);
    await page.locator('[data-testid=connection-status][data-status=connected]').waitFor({ timeout: 30_000 });
    await page.getByTestId('message').filter({ hasText: 'Another one while you were away' }).waitFor();
    await chatItem(page, 'Pavel S.').getByTestId('unread-badge').waitFor();
    expect(await page.getByTestId('message').filter({ hasText: 'Sent while you were offline' }).count()).toBe(
      1,
    );
    expect(new Set(refetched)).toEqual(new Set(['sessions', 'chats', 'messages']));
    await context.close();
  });

  it('works on a 375 px phone: list, conversation, back', async () => {
    const t = await team({ canRead: true, canWrite: true });
    await seedContacts(t);
    const olga = '79031112233';
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: olga,
      pushName: 'Olga Petrova',
      text: 'Hello! Is my order #1042 ready? I would like to pick it up this evening if possible.',
    });
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: olga,
      pushName: 'Olga Petrova',
      text: 'Here is the receipt',
      type: 'image',
    });
    const [, question] = await listMessages(server, t.admin.token, t.session.id, olga);
    const { message } = await sendMessage(
      server,
      t.manager.token,
      t.session.id,
      olga,
      'Yes, it is packed. We are open until 8 pm.',
      { quotedMessageId: question!.id },
    );
    await until(async () => (await simulatorOutgoing(server, t.admin.token, t.session.id)).length, 1);
    await simulateStatus(server, t.admin.token, t.session.id, {
      waMessageId: message.waMessageId,
      status: 'read',
    });
    await simulateIncoming(server, t.admin.token, t.session.id, {
      from: olga,
      pushName: 'Olga Petrova',
      text: 'Perfect, see you then!',
    });

    const { page, context, errors } = await openInbox(t.manager, '/inbox', PHONE);
    // One number: its chats open at once; the numbers pane is hidden behind "back".
    await chatItem(page, 'Olga Petrova').waitFor();
    expect(await page.getByTestId(`inbox-session-${t.session.id}`).isVisible()).toBe(false);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'inbox-phone-chats.png');

    await chatItem(page, 'Olga Petrova').click();
    await page.getByTestId('composer').waitFor();
    expect(await page.getByTestId('chat-list').isVisible()).toBe(false);
    await page.locator('[data-testid=message-ticks][data-status=read]').waitFor();
    await page.getByTestId('message-image').waitFor();
    await page.getByTestId('message-quote').waitFor();
    await page.getByTestId('message').last().scrollIntoViewIfNeeded();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.mouse.move(0, PHONE.height - 1);
    await screenshot(page, 'inbox-phone-thread.png');

    await page.getByTestId('composer-input').fill('A reply from the phone');
    await page.getByTestId('composer-send').click();
    await outgoing(page).filter({ hasText: 'A reply from the phone' }).waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    await page.getByTestId('thread-back').click();
    await page.getByTestId('chat-list').waitFor();
    expect(await page.getByTestId('thread').count()).toBe(0);
    expect(new URL(page.url()).pathname).toBe(`/inbox/${t.session.id}`);
    await page.getByTestId('chats-back').click();
    await page.getByTestId(`inbox-session-${t.session.id}`).waitFor();
    expect(await page.getByTestId('chat-list').isVisible()).toBe(false);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    // Browser back returns to the chats.
    await page.goBack();
    await page.getByTestId('chat-list').waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    expect(errors).toEqual([]);
    await context.close();
  });
});
