// The admin console over HTTP and in Debian's Chromium (playwright-core, as the passkey tests):
// the built files at /admin with their caching headers and strict CSP, CONSOLE=false, hostile
// paths, then first-run setup, sign-in (a wrong password shows the typed error) and the users
// page against the real server. axe-core runs in each page; screenshots go to
// test/console/screenshots/ (git-ignored).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createConfirmedUser, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { assertAccessible, launchChromium, openConsole, signIn } from './console-page.ts';
import { CONSOLE_DIST } from '../../src/console/http.ts';

const ADMIN = 'root@example.com';

/** A GET with the path sent exactly as written (fetch would normalize `..` and `%2e`). */
function rawGet(origin: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin console', () => {
  let server: TestServer;
  let browser: Browser;
  const assets = () => [...readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+)"/g)].map((m) => m[1]!);

  before(async () => {
    server = await startTestServer({ ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: STRONG_PASSWORD });
    await createConfirmedUser(server, 'grace@example.com', STRONG_PASSWORD, { displayName: 'Grace Hopper' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('/admin answers index.html: no-cache, a strict CSP, no inline script', async () => {
    for (const path of ['/admin', '/admin/', '/admin/users', '/admin/users/42/']) {
      const res = await fetch(`${server.origin}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) {
        assert.ok(csp.includes(directive), `${directive} in ${csp}`);
      }
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      const html = await res.text();
      assert.match(html, /<div id="app">/);
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    }
    const etag = (await fetch(`${server.origin}/admin`)).headers.get('etag')!;
    assert.equal((await fetch(`${server.origin}/admin`, { headers: { 'if-none-match': etag } })).status, 304);
  });

  test('hashed assets are immutable for a year; a missing asset or file is a 404, not index.html', async () => {
    const paths = assets();
    assert.ok(paths.some((p) => p.endsWith('.js')) && paths.some((p) => p.endsWith('.css')), paths.join());
    for (const path of paths) {
      const res = await fetch(`${server.origin}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(res.headers.get('content-type')!, path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    }
    for (const path of ['/admin/assets/index-missing.js', '/admin/assets/', '/admin/favicon.ico', '/admin/users.json']) {
      const res = await fetch(`${server.origin}${path}`);
      assert.equal(res.status, 404, path);
    }
    assert.equal((await fetch(`${server.origin}/admin`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${server.origin}/administrator`)).status, 404);
  });

  test('hostile paths are refused (400/404) and never leave console/dist', async () => {
    const secret = readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8').slice(0, 40);
    const paths = [
      '/admin/../package.json',
      '/admin/assets/../../package.json',
      '/admin/%2e%2e/package.json',
      '/admin/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/admin/assets/..%5c..%5cpackage.json',
      '/admin/..%2f..%2fpackage.json',
      '/admin//etc/passwd',
      '/admin/%00',
      '/admin/assets/%E0%A4%A',
      '/admin/%',
      '/admin/./index.html',
      '/admin/assets/%2e',
    ];
    for (const path of paths) {
      const res = await rawGet(server.origin, path);
      assert.ok(res.status === 400 || res.status === 404, `${path.slice(0, 60)} answered ${res.status}`);
      assert.ok(!res.body.includes(secret), `${path} leaked a file`);
      if (res.status === 400) assert.ok(res.headers['content-security-policy'], 'refusals carry the CSP too');
    }
    // Odd but harmless: a client route with a percent-encoded character is still the app.
    assert.equal((await rawGet(server.origin, '/admin/users%20list')).status, 200);
    assert.equal((await rawGet(server.origin, `/admin/${'a/'.repeat(2000)}`)).status, 200);
  });

  test('CONSOLE=false: /admin is a 404, the API still answers', async () => {
    const off = await startTestServer({ CONSOLE: 'false' });
    try {
      for (const path of ['/admin', '/admin/', '/admin/users', assets()[0]!]) {
        assert.equal((await fetch(`${off.origin}${path}`)).status, 404, path);
      }
      assert.equal((await off.gql('{ setupStatus { needsSetup } }')).status, 200);
    } finally {
      await off.close();
    }
  });

  test('a signed-out visitor sees sign-in; a wrong password shows the typed error; the admin sees the users', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    await page.goto(`${server.origin}/admin`);
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    await assertAccessible(page, 'sign-in');

    await page.getByLabel('Email').fill(ADMIN);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const wrong = await server.gql(`mutation { login(input: { email: "${ADMIN}", password: "not the password at all" }) { ... on Error { code message } } }`);
    assert.equal(wrong.body.data.login.code, 'INVALID_CREDENTIALS');
    assert.equal(await alert.textContent(), wrong.body.data.login.message, "the server's typed error message");
    await assertAccessible(page, 'sign-in-error');

    // Keyboard only: focus the password field, type, press Enter.
    await page.getByLabel('Password').fill('');
    await page.getByLabel('Password').focus();
    await page.keyboard.type(STRONG_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const table = page.getByRole('table');
    await table.getByRole('cell', { name: 'grace@example.com' }).waitFor();
    assert.ok(await table.getByRole('cell', { name: 'Grace Hopper' }).isVisible());
    assert.ok(await table.getByRole('cell', { name: ADMIN }).isVisible());
    await assertAccessible(page, 'users');

    await page.getByLabel('Search users').fill('grace');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    assert.equal(await table.locator('tbody td').first().textContent(), 'grace@example.com');

    await page.getByLabel('Search users').fill('nobody-here');
    await page.keyboard.press('Enter');
    await page.getByText('No users match “nobody-here”.').waitFor();
    await assertAccessible(page, 'users-empty');

    // At 390 px the page still works (and stays accessible).
    await page.setViewportSize({ width: 390, height: 800 });
    await assertAccessible(page, 'users-empty-390');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    assert.deepEqual(consoleErrors.filter((e) => !/401|403|Failed to load resource/.test(e)), [], 'no CSP violations or script errors');
    await context.close();
  });

  test('an account without users:read is not offered the users page; opened anyway, it shows the refusal', async () => {
    const { page, close } = await openConsole(browser, server.origin);
    await signIn(page, 'grace@example.com', STRONG_PASSWORD);
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 0, 'no Users link without users:read');

    await page.goto(`${server.origin}/admin/users`);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /users:read|permission|not allowed/i);
    await assertAccessible(page, 'users-refused');

    await page.goto(`${server.origin}/admin/no-such-page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await close();
  });

  test('first-run setup: an unclaimed server shows setup; the setup token creates the admin, who then signs in', async () => {
    const setupToken = 'console-test-setup-token-0123456789';
    const fresh = await startTestServer({ SETUP_TOKEN: setupToken });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${fresh.origin}/admin/users`);
      await page.getByRole('heading', { name: 'Set up Gatehouse' }).waitFor();
      await assertAccessible(page, 'setup');

      await page.getByLabel('Setup token').fill('wrong-token-wrong-token');
      await page.getByLabel('Administrator email').fill('owner@example.com');
      await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await page.getByRole('alert').waitFor();
      assert.match((await page.getByRole('alert').textContent()) ?? '', /setup token/);
      await assertAccessible(page, 'setup-error');

      await page.getByLabel('Setup token').fill(setupToken);
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
      assert.match((await page.getByRole('status').textContent()) ?? '', /Sign in as owner@example\.com/);
      await page.getByLabel('Email').fill('owner@example.com');
      await page.getByLabel('Password').fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('table').getByRole('cell', { name: 'owner@example.com' }).waitFor();
    } finally {
      await context.close();
      await fresh.close();
    }
  });
});
