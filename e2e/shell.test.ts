import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import {
  createManager,
  openPage,
  PHONE,
  registerCompany,
  registerViaUi,
  scrollWidth,
  signInViaUi,
  signInWithToken,
  signOutViaUi,
  type TestServer,
  uniqueEmail,
  withServerAndBrowser,
} from './support.js';

let server: TestServer;
let browser: Browser;
withServerAndBrowser((s, b) => {
  [server, browser] = [s, b];
});

const navTexts = (page: Page) => page.locator('nav#main-nav .nav-link').allTextContents();

describe('the console shell', () => {
  it('registers a company, switches language, signs out and in again', async () => {
    const { page, context, errors } = await openPage(browser, server, { path: '/' });
    // Signed out, every page leads to the sign-in form.
    await page.getByTestId('sign-in-form').waitFor();
    await page.getByTestId('to-register').click();
    await page.getByTestId('register-form').waitFor();

    const account = {
      companyName: 'Acme Trading',
      name: 'Ann',
      email: uniqueEmail('ann'),
      password: 'a long password',
    };
    await registerViaUi(page, account);
    expect(new URL(page.url()).pathname).toBe('/admin/sessions');
    await expect(page.getByTestId('company-name').textContent()).resolves.toBe('Acme Trading');
    await expect(page.getByTestId('user-name').textContent()).resolves.toContain('Ann');
    await page.getByTestId('page-sessions').waitFor();
    expect(await navTexts(page)).toEqual(['Sessions', 'Managers', 'Statistics', 'Audit log', 'Inbox']);
    await page.locator('[data-testid=connection-status][data-status=connected]').waitFor();

    // Russian, remembered across a reload; then English again.
    await page.getByTestId('lang-ru').click();
    await page.getByText('Сессии', { exact: true }).first().waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ru');
    await page.reload();
    await page.getByTestId('app-shell').waitFor();
    expect(await navTexts(page)).toEqual(['Сессии', 'Менеджеры', 'Статистика', 'Журнал аудита', 'Входящие']);
    await expect(page.getByTestId('sign-out').textContent()).resolves.toBe('Выйти');
    await page.getByTestId('lang-en').click();
    expect(await navTexts(page)).toEqual(['Sessions', 'Managers', 'Statistics', 'Audit log', 'Inbox']);

    // Navigation without a reload, and a reload on a deep link.
    await page.getByTestId('nav-stats').click();
    await page.getByTestId('page-stats').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/stats');
    await page.reload();
    await page.getByTestId('page-stats').waitFor();

    await signOutViaUi(page);
    expect(await page.evaluate(() => localStorage.getItem('wa-console.auth'))).toBeNull();
    await signInViaUi(page, account);
    await expect(page.getByTestId('company-name').textContent()).resolves.toBe('Acme Trading');

    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits a 375 px phone screen', async () => {
    const { page, context, errors } = await openPage(browser, server, { viewport: PHONE, path: '/sign-in' });
    await page.getByTestId('sign-in-form').waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    const account = {
      companyName: 'A company with a rather long name that must not widen the page',
      name: 'Ann',
      email: uniqueEmail('ann'),
      password: 'a long password',
    };
    await page.goto('/register');
    await page.getByTestId('register-form').waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    await registerViaUi(page, account);
    await page.getByTestId('company-name').waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    // The navigation is a menu behind the ☰ button.
    expect(await page.getByTestId('nav-inbox').isVisible()).toBe(false);
    await page.getByTestId('menu-toggle').click();
    await page.getByTestId('nav-inbox').click();
    await page.getByTestId('page-inbox').waitFor();
    expect(await page.getByTestId('nav-inbox').isVisible()).toBe(false);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    await page.getByTestId('lang-ru').click();
    await page.getByTestId('menu-toggle').click();
    await page.getByTestId('nav-sessions').waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    await page.getByTestId('lang-en').click();
    await signOutViaUi(page);
    await signInViaUi(page, account);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    expect(errors).toEqual([]);
    await context.close();
  });

  it('starts in Russian for a Russian browser', async () => {
    const { page, context } = await openPage(browser, server, { locale: 'ru-RU', path: '/sign-in' });
    await expect(page.getByTestId('sign-in-submit').textContent()).resolves.toBe('Войти');
    await context.close();
  });

  it('shows field errors from the API and a wrong-password message', async () => {
    const { page, context } = await openPage(browser, server, { path: '/register' });
    const form = page.getByTestId('register-form');
    await form.locator('input[name=companyName]').fill('Acme');
    await form.locator('input[name=name]').fill('Ann');
    await form.locator('input[name=email]').fill('not-an-email');
    await form.locator('input[name=password]').fill('short');
    await page.getByTestId('register-submit').click();
    await form.locator('input[name=password][aria-invalid=true]').waitFor();
    await form.locator('input[name=email][aria-invalid=true]').waitFor();
    expect(await form.locator('.field-error').count()).toBe(2);

    const admin = await registerCompany(server);
    await page.goto('/sign-in');
    const signIn = page.getByTestId('sign-in-form');
    await signIn.locator('input[name=email]').fill(admin.email);
    await signIn.locator('input[name=password]').fill('wrong password');
    await page.getByTestId('sign-in-submit').click();
    await expect(page.getByTestId('error-banner').textContent()).resolves.toContain(
      'Wrong email or password',
    );
    await context.close();
  });

  it('gives a manager the Inbox only, and returns to a deep link after sign-in', async () => {
    const admin = await registerCompany(server);
    const manager = await createManager(server, admin);

    const { page, context, errors } = await openPage(browser, server);
    await signInWithToken(page, manager, '/admin/managers');
    // An admin screen sends a manager to the inbox.
    await page.getByTestId('page-inbox').waitFor();
    expect(new URL(page.url()).pathname).toBe('/inbox');
    expect(await navTexts(page)).toEqual(['Inbox']);
    await signOutViaUi(page);

    await page.goto('/inbox/some-session');
    await page.getByTestId('sign-in-form').waitFor();
    expect(new URL(page.url()).search).toBe(`?next=${encodeURIComponent('/inbox/some-session')}`);
    await signInViaUi(page, manager);
    expect(new URL(page.url()).pathname).toBe('/inbox/some-session');

    expect(errors).toEqual([]);
    await context.close();
  });

  it('signs out when the token stops working', async () => {
    const admin = await registerCompany(server);
    const manager = await createManager(server, admin);
    const { page, context } = await openPage(browser, server);
    await signInWithToken(page, manager, '/inbox');
    await page.locator('[data-testid=connection-status][data-status=connected]').waitFor();

    const res = await fetch(`${server.url}/api/managers/${manager.user.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    // The server closes the deactivated user's socket; the console then finds the token dead.
    await page.getByTestId('sign-in-form').waitFor();
    await context.close();
  });
});
