import type { Browser, Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import {
  type Account,
  accountFromPage,
  apiClient,
  connectedSession,
  createManager,
  createSession,
  DESKTOP,
  grantAccess,
  openPage,
  PHONE,
  registerCompany,
  registerViaUi,
  saveScreenshot,
  scrollWidth,
  signInWithToken,
  simulateHistory,
  simulateIncoming,
  simulateScan,
  type TestServer,
  uniqueEmail,
  waitForSessionStatus,
  withServerAndBrowser,
} from './support.js';

let server: TestServer;
let browser: Browser;
withServerAndBrowser(
  (s, b) => {
    [server, browser] = [s, b];
  },
  // A QR that rotates every 2 s, so that the test sees a new one arrive on the open page.
  { SIMULATOR_QR_ROTATE: '2s' },
);

const sessionCard = (page: Page, sessionId: string) =>
  page.locator(`[data-testid=session-card][data-session-id="${sessionId}"]`);

const statusOf = (card: Locator, status: string) =>
  card.locator(`[data-testid=session-status][data-status=${status}]`);

async function grantsOf(admin: Account, sessionId: string) {
  const { data } = await apiClient(server, admin.token).GET('/api/whatsapp/sessions/{sessionId}/access', {
    params: { path: { sessionId } },
  });
  return data!.data;
}

/** Starts recording every value `data-progress` of the history bar takes, however briefly. */
function recordHistoryProgress(page: Page) {
  return page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { historySeen: number[] }).historySeen = seen;
    const note = () => {
      const bar = document.querySelector('[data-testid=history-progress]');
      const value = bar ? Number(bar.getAttribute('data-progress')) : NaN;
      if (!Number.isNaN(value) && seen[seen.length - 1] !== value) {
        seen.push(value);
      }
    };
    new MutationObserver(note).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-progress'],
    });
  });
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A month of traffic on a linked session, the same every run: a few messages a day both ways (from
 * the phone itself for the outgoing ones), today's a little before now. Returns the counts sent.
 */
async function seedMonth(admin: Account, sessionId: string) {
  const now = Date.now();
  const midnight = now - (now % DAY_MS);
  let incoming = 0;
  let outgoing = 0;
  for (let back = 29; back >= 0; back--) {
    const ins = (back * 7 + 3) % 9;
    const outs = (back * 5 + 1) % 6;
    for (let i = 0; i < ins + outs; i++) {
      const at = back === 0 ? now - (i + 1) * 60_000 : midnight - back * DAY_MS + 9 * 3600_000 + i * 600_000;
      await simulateIncoming(server, admin.token, sessionId, {
        from: `7999555${String(i % 4).padStart(4, '0')}`,
        pushName: `Client ${(i % 4) + 1}`,
        text: `Message ${i + 1} of day -${back}`,
        timestamp: new Date(at).toISOString(),
        fromMe: i >= ins,
      });
    }
    incoming += ins;
    outgoing += outs;
  }
  return { incoming, outgoing };
}

describe('the admin screens', () => {
  it(
    'links a number live, imports its history, manages managers and their access, and logs it all',
    { timeout: 120_000 },
    async () => {
      const { page, context, errors } = await openPage(browser, server);
      const password = 'a long password';
      await registerViaUi(page, {
        companyName: 'Northwind Trading',
        name: 'Ann Admin',
        email: uniqueEmail('ann'),
        password,
      });
      const admin = await accountFromPage(page, password);
      await page.getByTestId('page-sessions').waitFor();
      await page.getByTestId('sessions-empty').waitFor();

      // --- A new session shows its QR, and the QR follows the rotation live.
      await page.getByTestId('create-session-name').fill('Sales');
      await page.getByTestId('create-session').click();
      const card = page.getByTestId('session-card');
      const qr = card.getByTestId('session-qr');
      await qr.waitFor();
      const sessionId = (await card.getAttribute('data-session-id'))!;
      await expect(card.getByTestId('session-name').textContent()).resolves.toBe('Sales');
      await statusOf(card, 'qr').waitFor();
      const firstQr = (await qr.getAttribute('src'))!;
      expect(firstQr).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/=]{100,}$/);
      await page.waitForFunction(
        (previous) => {
          const src = document.querySelector('[data-testid=session-qr]')?.getAttribute('src');
          return src?.startsWith('data:image/png;base64,') && src !== previous;
        },
        firstQr,
        { timeout: 8000 },
      );
      await saveScreenshot(page, 'admin-sessions-qr.png');

      // --- Linking by a code instead: the service's code is shown.
      await card.getByTestId('pairing-toggle').click();
      await card.getByTestId('pairing-phone').fill('+7 999 123-45-67');
      await card.getByTestId('pairing-submit').click();
      await expect(card.getByTestId('pairing-code').getAttribute('data-code')).resolves.toMatch(
        /^[A-Z0-9]{8}$/,
      );

      // --- The phone scans: the status turns ready without a reload and the QR goes away.
      await simulateScan(server, admin.token, sessionId, {
        phoneNumber: '79990000001',
        displayName: 'Office phone',
      });
      await statusOf(card, 'ready').waitFor();
      expect(await card.getByTestId('session-qr').count()).toBe(0);
      expect(await card.getByTestId('pairing-form').count()).toBe(0);
      await expect(card.getByTestId('session-phone').textContent()).resolves.toBe('+79990000001');
      await expect(card.getByTestId('session-display-name').textContent()).resolves.toContain('Office phone');

      // --- Disconnect (after a confirmation), reconnect: a fresh QR, scanned again.
      await card.getByTestId('session-disconnect').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.getByTestId('confirm-ok').click();
      await statusOf(card, 'disconnected').waitFor();
      await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
      await card.getByTestId('session-reconnect').click();
      await card.getByTestId('session-qr').waitFor();
      await statusOf(card, 'qr').waitFor();
      await simulateScan(server, admin.token, sessionId, {
        phoneNumber: '79990000001',
        displayName: 'Office phone',
      });
      await statusOf(card, 'ready').waitFor();

      // --- The phone's history comes in with a progress bar.
      await recordHistoryProgress(page);
      await simulateHistory(server, admin.token, sessionId, {
        chats: 40,
        messagesPerChat: 50,
        batchSize: 100,
      });
      await card.locator('[data-testid=history-progress][data-done=true]').waitFor();
      const seen = await page.evaluate(() => (window as unknown as { historySeen: number[] }).historySeen);
      expect(seen.at(-1)).toBe(100);
      // Twenty batches: the bar shows at least one intermediate step before the end.
      expect(seen.some((p) => p > 0 && p < 100)).toBe(true);
      await expect(card.getByTestId('history-progress').textContent()).resolves.toContain('2,000 messages');
      await expect(card.getByTestId('history-progress').textContent()).resolves.toContain('40 chats');

      // --- A manager, added through the form: field errors first, then a good one.
      await page.getByTestId('nav-managers').click();
      await page.getByTestId('page-managers').waitFor();
      const createForm = page.getByTestId('manager-create-form');
      await createForm.locator('input[name=name]').fill('Mike Manager');
      await createForm.locator('input[name=email]').fill('not-an-email');
      await createForm.locator('input[name=password]').fill('short');
      await page.getByTestId('manager-create-submit').click();
      await createForm.locator('input[name=email][aria-invalid=true]').waitFor();
      await createForm.locator('input[name=password][aria-invalid=true]').waitFor();
      const managerEmail = uniqueEmail('mike');
      await createForm.locator('input[name=email]').fill(managerEmail);
      await createForm.locator('input[name=password]').fill('manager password 1');
      await page.getByTestId('manager-create-submit').click();
      await page.getByTestId('manager-created').waitFor();
      const managerRow = page.getByTestId('manager-row').filter({ hasText: managerEmail });
      await managerRow.waitFor();
      const managerId = (await managerRow.getAttribute('data-manager-id'))!;
      // The same email again is refused under the email field.
      await createForm.locator('input[name=name]').fill('Mike Again');
      await createForm.locator('input[name=email]').fill(managerEmail);
      await createForm.locator('input[name=password]').fill('manager password 1');
      await page.getByTestId('manager-create-submit').click();
      await expect(createForm.locator('.field-error').textContent()).resolves.toContain('already registered');
      // A second manager, through the API, so the matrix has two rows.
      const olga = await createManager(server, admin, { name: 'Olga Operator' });

      // --- The access matrix: Write ticks Read too, saved at once.
      await page.getByTestId('nav-sessions').click();
      await sessionCard(page, sessionId).getByTestId('session-access').click();
      await page.getByTestId('page-access').waitFor();
      expect(new URL(page.url()).pathname).toBe(`/admin/sessions/${sessionId}/access`);
      const row = page.getByTestId(`access-row-${managerId}`);
      const box = (right: string) => page.getByTestId(`access-${managerId}-${right}`);
      expect(await box('canRead').isChecked()).toBe(false);
      await box('canWrite').click();
      expect(await box('canRead').isChecked()).toBe(true);
      await page.locator(`[data-testid=access-row-${managerId}][data-state=saved]`).waitFor();
      expect(await grantsOf(admin, sessionId)).toEqual([
        expect.objectContaining({ managerId, canRead: true, canWrite: true, canManageChats: false }),
      ]);
      await page.getByTestId(`access-${olga.user.id}-canRead`).click();
      await page.locator(`[data-testid=access-row-${olga.user.id}][data-state=saved]`).waitFor();
      await saveScreenshot(page, 'admin-access.png');

      // A refused save goes back to what the service has, with the reason.
      await page.route('**/api/whatsapp/sessions/*/access', (route) =>
        route.fulfill({
          status: 409,
          contentType: 'application/json',
          body: JSON.stringify({ success: false, error: { code: 'CONFLICT', message: 'Try again later' } }),
        }),
      );
      await box('canManageChats').click();
      await row.getByTestId('access-row-error').waitFor();
      await expect(row.getByTestId('access-row-error').textContent()).resolves.toContain('Try again later');
      expect(await box('canManageChats').isChecked()).toBe(false);
      expect(await box('canWrite').isChecked()).toBe(true);
      await page.unroute('**/api/whatsapp/sessions/*/access');

      // Clearing Read revokes everything.
      await box('canRead').click();
      expect(await box('canWrite').isChecked()).toBe(false);
      await page.locator(`[data-testid=access-row-${managerId}][data-state=saved]`).waitFor();
      expect((await grantsOf(admin, sessionId)).map((g) => g.managerId)).toEqual([olga.user.id]);

      // --- Managers: edit the name and reset the password, deactivate, reactivate.
      await page.getByTestId('nav-managers').click();
      await managerRow.getByTestId('manager-edit').click();
      const editForm = page.getByTestId('manager-edit-form');
      await editForm.locator('input[name=name]').fill('Mike Mercer');
      await editForm.locator('input[name=password]').fill('a brand new password');
      await page.getByTestId('manager-edit-submit').click();
      await page.getByTestId('manager-edit-dialog').waitFor({ state: 'detached' });
      await expect(managerRow.getByTestId('manager-name').textContent()).resolves.toBe('Mike Mercer');
      const login = await apiClient(server).POST('/api/auth/login', {
        body: { email: managerEmail, password: 'a brand new password' },
      });
      expect(login.response.status).toBe(200);

      await managerRow.getByTestId('manager-deactivate').click();
      await page.getByTestId('confirm-ok').click();
      await page
        .locator(`[data-testid=manager-row][data-manager-id="${managerId}"][data-active=false]`)
        .waitFor();
      const refused = await apiClient(server).POST('/api/auth/login', {
        body: { email: managerEmail, password: 'a brand new password' },
      });
      expect(refused.response.status).toBe(401);
      await managerRow.getByTestId('manager-reactivate').click();
      await page
        .locator(`[data-testid=manager-row][data-manager-id="${managerId}"][data-active=true]`)
        .waitFor();
      await saveScreenshot(page, 'admin-managers.png');

      // --- Statistics: the tiles and the chart show the service's numbers.
      for (const text of ['Hello', 'Is the order ready?', 'Thanks!']) {
        await simulateIncoming(server, admin.token, sessionId, {
          from: '79991112233',
          pushName: 'Pavel',
          text,
        });
      }
      const stats = (await apiClient(server, admin.token).GET('/api/whatsapp/stats')).data!.data;
      expect(stats.messagesLast30Days.total).toBe(2003);
      await page.getByTestId('nav-stats').click();
      await page.getByTestId('stats-chart').locator('svg').waitFor();
      const tile = (id: string) => page.getByTestId(id).getAttribute('data-value').then(Number);
      expect(await tile('stat-active-sessions')).toBe(stats.activeSessions);
      expect(await tile('stat-total-sessions')).toBe(stats.totalSessions);
      expect(await tile('stat-total-chats')).toBe(stats.totalChats);
      expect(await tile('stat-messages-total')).toBe(stats.messagesLast30Days.total);
      expect(await tile('stat-messages-incoming')).toBe(stats.messagesLast30Days.incoming);
      expect(await tile('stat-messages-outgoing')).toBe(stats.messagesLast30Days.outgoing);
      await expect(page.getByTestId('stat-messages-total').textContent()).resolves.toBe('2,003');
      const days = await page.getByTestId('chart-day').evaluateAll((groups) =>
        groups.map((g) => ({
          date: g.getAttribute('data-date'),
          incoming: Number(g.getAttribute('data-incoming')),
          outgoing: Number(g.getAttribute('data-outgoing')),
        })),
      );
      expect(days).toEqual(stats.daily);
      expect(await page.locator('.stats-bar-in').count()).toBeGreaterThan(0);

      // --- The audit log lists what was just done, in words, in both languages.
      await page.getByTestId('nav-audit').click();
      await page.getByTestId('audit-row').first().waitFor();
      const actions = await page
        .getByTestId('audit-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
      for (const action of [
        'company.registered',
        'session.created',
        'session.disconnected',
        'session.reconnected',
        'manager.created',
        'access.granted',
        'access.revoked',
        'manager.updated',
        'manager.deactivated',
        'manager.reactivated',
      ]) {
        expect(actions).toContain(action);
      }
      const created = page.locator('[data-testid=audit-row][data-action="manager.created"]').last();
      await expect(created.getByTestId('audit-action').textContent()).resolves.toBe('Manager added');
      await expect(created.getByTestId('audit-actor').textContent()).resolves.toBe('Ann Admin');
      const granted = page.locator('[data-testid=audit-row][data-action="access.granted"]').last();
      await expect(granted.getByTestId('audit-subject').textContent()).resolves.toBe(
        'Mike Mercer on “Sales”: Read, Write',
      );
      await saveScreenshot(page, 'admin-audit.png');
      await page.getByTestId('lang-ru').click();
      await expect(created.getByTestId('audit-action').textContent()).resolves.toBe('Менеджер добавлен');
      await page.getByTestId('lang-en').click();

      // --- Deleting a session asks first; cancelling keeps it.
      await page.getByTestId('nav-sessions').click();
      const target = sessionCard(page, sessionId);
      await target.getByTestId('session-delete').click();
      await expect(page.getByTestId('confirm-dialog').textContent()).resolves.toContain('Delete “Sales”?');
      await page.getByTestId('confirm-cancel').click();
      await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
      expect(await target.count()).toBe(1);
      await target.getByTestId('session-delete').click();
      await page.getByTestId('confirm-ok').click();
      await target.waitFor({ state: 'detached' });
      await page.getByTestId('sessions-empty').waitFor();
      const gone = await apiClient(server, admin.token).GET('/api/whatsapp/sessions/{sessionId}', {
        params: { path: { sessionId } },
      });
      expect(gone.response.status).toBe(404);

      expect(errors).toEqual([]);
      await context.close();
    },
  );

  it('pages the audit log with "load more"', async () => {
    const admin = await registerCompany(server);
    const manager = await createManager(server, admin);
    const session = await createSession(server, admin.token, 'Support');
    // 1 registration + 1 manager + 1 session + 30 access changes = 33 entries.
    for (let i = 0; i < 30; i++) {
      await grantAccess(server, admin.token, session.id, manager.user.id, { canWrite: i % 2 === 0 });
    }
    const { page, context, errors } = await openPage(browser, server);
    await signInWithToken(page, admin, '/admin/audit');
    await page.getByTestId('audit-row').first().waitFor();
    expect(await page.getByTestId('audit-row').count()).toBe(25);
    await page.getByTestId('audit-load-more').click();
    await page.getByTestId('audit-row').nth(32).waitFor();
    expect(await page.getByTestId('audit-row').count()).toBe(33);
    expect(await page.getByTestId('audit-load-more').count()).toBe(0);
    const oldest = page.getByTestId('audit-row').last();
    await expect(oldest.getAttribute('data-action')).resolves.toBe('company.registered');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits a 375 px phone: sessions with a QR, the access matrix, managers, statistics, audit', async () => {
    const admin = await registerCompany(server, {
      companyName: 'A company with a rather long name that must not widen the page',
    });
    const ready = await connectedSession(server, admin.token, {
      name: 'Front desk',
      phoneNumber: '79990000002',
    });
    await seedMonth(admin, ready.id);
    const pending = await createSession(server, admin.token, 'A new number with a long name to wrap');
    await waitForSessionStatus(server, admin.token, pending.id, 'qr');
    const managers = [
      await createManager(server, admin, { name: 'Mike Manager' }),
      await createManager(server, admin, {
        name: 'Konstantin Konstantinopolsky-Rimsky',
        email: uniqueEmail('a-rather-long-email-address-for-a-manager'),
      }),
    ];
    await grantAccess(server, admin.token, ready.id, managers[0]!.user.id, { canWrite: true });

    const { page, context, errors } = await openPage(browser, server, { viewport: PHONE });
    await signInWithToken(page, admin, '/admin/sessions');
    const card = sessionCard(page, pending.id);
    await card.getByTestId('session-qr').waitFor();
    await statusOf(sessionCard(page, ready.id), 'ready').waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await card.getByTestId('session-name').scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'admin-sessions-phone.png');

    await page.goto(`/admin/sessions/${ready.id}/access`);
    await page.getByTestId('access-matrix').waitFor();
    expect(await page.getByTestId(`access-${managers[0]!.user.id}-canWrite`).isChecked()).toBe(true);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await saveScreenshot(page, 'admin-access-phone.png');
    // Russian labels are longer; still no sideways scrolling.
    await page.getByTestId('lang-ru').click();
    await page.locator('.access-check-label', { hasText: 'Управление чатами' }).first().waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.getByTestId('lang-en').click();

    const screens: [string, string, string][] = [
      ['/admin/managers', 'manager-row', 'admin-managers-phone.png'],
      ['/admin/stats', 'chart-day', 'admin-stats-phone.png'],
      ['/admin/audit', 'audit-row', 'admin-audit-phone.png'],
    ];
    for (const [path, testId, picture] of screens) {
      await page.goto(path);
      await page.getByTestId(testId).first().waitFor();
      expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
      await saveScreenshot(page, picture);
    }

    // A dialog fits too.
    await page.goto('/admin/managers');
    await page.getByTestId('manager-edit').first().click();
    await page.getByTestId('manager-edit-dialog').waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a month of traffic and a ready session on a desktop', async () => {
    const admin = await registerCompany(server, { companyName: 'Northwind Trading' });
    const session = await connectedSession(server, admin.token, {
      name: 'Sales',
      phoneNumber: '79990000001',
    });
    const sent = await seedMonth(admin, session.id);
    await createSession(server, admin.token, 'Support');
    const { page, context, errors } = await openPage(browser, server, { viewport: DESKTOP });

    await signInWithToken(page, admin, '/admin/stats');
    await page.getByTestId('stats-chart').locator('svg').waitFor();
    const tile = (id: string) => page.getByTestId(id).getAttribute('data-value').then(Number);
    expect(await tile('stat-messages-incoming')).toBe(sent.incoming);
    expect(await tile('stat-messages-outgoing')).toBe(sent.outgoing);
    const bars = await page
      .getByTestId('chart-day')
      .evaluateAll((groups) =>
        groups.map((g) => [
          g.querySelectorAll('.stats-bar-in').length,
          Number(g.getAttribute('data-incoming')) > 0 ? 1 : 0,
          g.querySelectorAll('.stats-bar-out').length,
          Number(g.getAttribute('data-outgoing')) > 0 ? 1 : 0,
        ]),
      );
    expect(bars).toHaveLength(30);
    // A bar for every day with messages that way, none for the others.
    expect(bars.every(([inBars, inDay, outBars, outDay]) => inBars === inDay && outBars === outDay)).toBe(
      true,
    );
    await saveScreenshot(page, 'admin-stats.png');

    await page.getByTestId('nav-sessions').click();
    await statusOf(sessionCard(page, session.id), 'ready').waitFor();
    await page.getByTestId('session-qr').waitFor();
    await simulateHistory(server, admin.token, session.id, { chats: 12, messagesPerChat: 25 });
    await page.locator('[data-testid=history-progress][data-done=true]').waitFor();
    await saveScreenshot(page, 'admin-sessions.png');
    expect(errors).toEqual([]);
    await context.close();
  });
});
