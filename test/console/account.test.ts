// The console's My account page in Debian's Chromium against the real server: an account with no
// other console page lands there; it edits its profile, changes its password (the server's typed
// errors for a wrong current and a weak new one), revokes another browser's session (which is then
// signed out), and creates a personal access token (secret shown once, usable as a Bearer token,
// step-up when the sign-in is old) and revokes it. axe-core and a screenshot on every state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { assertAccessible, launchChromium, openConsole, signIn } from './console-page.ts';

const ADMIN = 'root@example.com';
const NEW_PASSWORD = 'a different horse for the staple';
const PHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

describe('console: My account', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    // The production step-up window, so the token test can age the sign-in past it.
    server = await startTestServer({ ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: STRONG_PASSWORD, STEP_UP_WINDOW: '10m' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The message the server answers `mutation` with for this token: what the page must show. */
  async function typedError(token: string, mutation: string, variables: Record<string, unknown>, field: string): Promise<{ code: string; message: string }> {
    const res = await server.gql(mutation, variables, { token });
    const result = res.body.data?.[field];
    assert.ok(result?.code, JSON.stringify(res.body));
    return result;
  }

  const alertIn = (page: Page, section: string) => page.getByRole('region', { name: section }).getByRole('alert');

  test('an account with no other page lands on My account and edits its profile; a bad value shows the typed error', async () => {
    const { token } = await createConfirmedUser(server, 'ada@example.com', STRONG_PASSWORD, { displayName: 'Ada' });
    const { page, errors, close } = await openConsole(browser, server.origin);
    await signIn(page, 'ada@example.com', STRONG_PASSWORD);
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/account', "'/' opens the first page the account may use");
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.deepEqual(await nav.getByRole('link').allTextContents(), ['My account']);
    assert.equal(await nav.getByRole('link', { name: 'My account' }).getAttribute('aria-current'), 'page');
    assert.equal(await page.getByLabel('Display name').inputValue(), 'Ada');
    await page.getByText('You have no access tokens.').waitFor();
    await page.getByText('No sign-in provider is linked to this account.').waitFor();
    assert.match((await page.getByRole('region', { name: 'Second factor' }).textContent()) ?? '', /Off/);
    await assertAccessible(page, 'account');

    await page.getByLabel('Display name').fill('Ada Lovelace');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('region', { name: 'Profile' }).getByRole('status').getByText('Profile saved.').waitFor();
    await page.locator('.bar .who').getByText('Ada Lovelace').waitFor();
    const viewer = await server.gql('{ viewer { displayName lastName } }', {}, { token });
    assert.deepEqual(viewer.body.data.viewer, { displayName: 'Ada Lovelace', lastName: 'Lovelace' });

    await page.getByLabel('Phone').fill('call me maybe');
    await page.getByRole('button', { name: 'Save profile' }).click();
    const expected = await typedError(token, 'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { ... on Error { code message } } }', { input: { phone: 'call me maybe' } }, 'updateProfile');
    assert.equal(expected.code, 'VALIDATION_FAILED');
    assert.equal(await alertIn(page, 'Profile').textContent(), expected.message);
    await assertAccessible(page, 'account-profile-error');
    assert.deepEqual(errors(), []);
    await close();
  });

  test('change password: a wrong current one and a weak new one show the typed errors; then it changes, and the new one signs in', async () => {
    const { token } = await createConfirmedUser(server, 'grace@example.com');
    const { page, errors, close } = await openConsole(browser, server.origin);
    await signIn(page, 'grace@example.com', STRONG_PASSWORD);
    const CHANGE = 'mutation ($input: ChangePasswordInput!) { changePassword(input: $input) { ... on Error { code message } } }';
    const alert = alertIn(page, 'Password');

    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await alert.waitFor();
    const wrong = await typedError(token, CHANGE, { input: { currentPassword: 'not my password at all', newPassword: NEW_PASSWORD } }, 'changePassword');
    assert.equal(wrong.code, 'INVALID_CREDENTIALS');
    assert.equal(await alert.textContent(), wrong.message);
    await assertAccessible(page, 'account-password-wrong');

    await page.getByLabel('Current password').fill(STRONG_PASSWORD);
    await page.getByLabel('New password').fill('password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForFunction(() => /newPassword/.test(document.querySelector('[aria-labelledby="password-title"] [role="alert"]')?.textContent ?? ''));
    const weak = await typedError(token, CHANGE, { input: { currentPassword: STRONG_PASSWORD, newPassword: 'password' } }, 'changePassword');
    assert.equal(weak.code, 'VALIDATION_FAILED');
    assert.equal(await alert.textContent(), weak.message);
    await assertAccessible(page, 'account-password-weak');

    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed. Your other sessions were signed out.').waitFor();
    assert.equal(await page.getByLabel('Current password').inputValue(), '', 'the fields are cleared');
    // The API session of createConfirmedUser was another session: it ended.
    assert.equal((await server.gql('{ viewer { email } }', {}, { token })).body.data?.viewer ?? null, null);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, 'grace@example.com', NEW_PASSWORD);
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    assert.deepEqual(errors(), []);
    await close();
  });

  test('sessions: the current one is marked; revoking the other browser signs it out on its next request; revoking all others asks first', async () => {
    await createConfirmedUser(server, 'linus@example.com');
    const desk = await openConsole(browser, server.origin);
    await signIn(desk.page, 'linus@example.com', STRONG_PASSWORD);
    // The other browser: a phone, 390 px wide.
    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, userAgent: PHONE_UA });
    const phone = await phoneContext.newPage();
    await phone.goto(`${server.origin}/admin`);
    await signIn(phone, 'linus@example.com', STRONG_PASSWORD);
    await phone.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    await assertAccessible(phone, 'account-390');

    await desk.page.reload();
    const sessions = desk.page.getByRole('list', { name: 'Sessions' });
    const phoneItem = sessions.getByRole('listitem').filter({ hasText: 'Safari on iOS' });
    await phoneItem.waitFor();
    const current = sessions.getByRole('listitem').filter({ has: desk.page.getByText('This session', { exact: true }) });
    assert.equal(await current.count(), 1);
    assert.match((await current.textContent()) ?? '', /Chrome on Linux/);
    assert.equal(await current.getByRole('button', { name: 'Revoke' }).count(), 0, 'the current session is not offered for revocation');
    assert.equal(await sessions.getByRole('listitem').count(), 3, 'desk, phone and the API session of createConfirmedUser');

    await phoneItem.getByRole('button', { name: 'Revoke' }).click();
    const dialog = desk.page.getByRole('dialog', { name: 'Revoke this session?' });
    await dialog.waitFor();
    await assertAccessible(desk.page, 'account-revoke-session');
    await dialog.getByRole('button', { name: 'Revoke session' }).click();
    await desk.page.getByText('Session revoked.').waitFor();
    await phoneItem.waitFor({ state: 'detached' });

    // The phone's console hears its session end (viewerSessionEnded) and shows sign-in, saying why.
    await phone.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    assert.match((await phone.getByRole('status').first().textContent()) ?? '', /session was ended/i);
    await phone.reload();
    await phone.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();

    // The remaining other session (the API one): "Revoke all other sessions" asks first; cancel keeps it.
    await desk.page.getByRole('button', { name: 'Revoke all other sessions' }).click();
    const all = desk.page.getByRole('dialog', { name: 'Revoke all other sessions?' });
    await all.getByRole('button', { name: 'Cancel' }).click();
    await all.waitFor({ state: 'hidden' });
    assert.equal(await sessions.getByRole('listitem').count(), 2);
    await desk.page.getByRole('button', { name: 'Revoke all other sessions' }).click();
    await all.getByRole('button', { name: 'Revoke them' }).click();
    await desk.page.getByText('1 other session signed out.').waitFor();
    assert.equal(await sessions.getByRole('listitem').count(), 1);
    assert.equal(await desk.page.getByRole('button', { name: 'Revoke all other sessions' }).count(), 0);
    await assertAccessible(desk.page, 'account-sessions');
    assert.deepEqual(desk.errors(), []);
    await phoneContext.close();
    await desk.close();
  });

  test('access tokens: step-up, then the secret once (copy, works as Bearer, gone after reload), limited permissions, revoke with confirmation', async () => {
    const { page, errors, close } = await openConsole(browser, server.origin);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await signIn(page, ADMIN, STRONG_PASSWORD);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    const tokens = page.getByRole('region', { name: 'Personal access tokens' });

    // A name of spaces passes the browser's `required` but not the server.
    await tokens.getByLabel('Token name').fill('   ');
    await tokens.getByRole('button', { name: 'Create token' }).click();
    await tokens.getByRole('alert').waitFor();
    assert.match((await tokens.getByRole('alert').textContent()) ?? '', /name: Enter a name\./);
    await assertAccessible(page, 'account-token-error');

    // The sign-in is now older than STEP_UP_WINDOW: creating a token asks for the password first.
    server.clock.advance(11 * 60_000);
    await tokens.getByLabel('Token name').fill('CI deploys');
    await tokens.getByLabel('Expires after').selectOption('7 days');
    await tokens.getByRole('checkbox', { name: 'users:read' }).check();
    await tokens.getByRole('button', { name: 'Create token' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.getByLabel('Password or code').fill(STRONG_PASSWORD);
    await stepUp.getByRole('button', { name: 'Confirm' }).click();

    const secret = page.getByLabel('Your new token');
    await secret.waitFor();
    const token = await secret.inputValue();
    assert.match(token, /^gth_[0-9a-f]{48}$/);
    assert.ok(await secret.evaluate((el) => el === document.activeElement), 'focus moves to the secret');
    await page.getByText('Copy it now: it is shown only this once.').waitFor();
    await assertAccessible(page, 'account-token-created');
    await tokens.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);

    const asBearer = () =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ viewer { email permissions } }' }),
      });
    const used = await asBearer();
    assert.equal(used.status, 200);
    assert.deepEqual(((await used.json()) as any).data.viewer, { email: ADMIN, permissions: ['users:read'] });

    const item = tokens.getByRole('listitem').filter({ hasText: 'CI deploys' });
    assert.match((await item.textContent()) ?? '', new RegExp(`gth_…${token.slice(-4)}.*Limited to users:read`));
    await page.reload();
    await item.waitFor();
    assert.equal(await page.getByLabel('Your new token').count(), 0);
    assert.ok(!(await page.content()).includes(token), 'the secret is gone after a reload');
    await page.waitForFunction(() => /last used (?!never)/.test(document.body.textContent ?? ''));

    await item.getByRole('button', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke the token “CI deploys”?' });
    await assertAccessible(page, 'account-token-revoke');
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('Token “CI deploys” revoked.').waitFor();
    await tokens.getByText('You have no access tokens.').waitFor();
    const refused = await asBearer();
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as any).errors[0].extensions.code, 'UNAUTHENTICATED');

    await page.setViewportSize({ width: 390, height: 844 });
    await assertAccessible(page, 'account-tokens-390');
    assert.deepEqual(errors(), []);
    await close();
  });

  test('Your data: the download is the JSON export; a session an admin opened as you says so', async () => {
    const katherine = await createConfirmedUser(server, 'katherine@example.com');
    const admin = await login(server, ADMIN);
    const started = await server.gql(
      `mutation($id: ID!) { impersonateUser(input: { id: $id, reason: "Ticket 12" }) { __typename } }`,
      { id: katherine.userId },
      { token: admin.token },
    );
    assert.equal(started.body.data.impersonateUser.__typename, 'ImpersonationSession', JSON.stringify(started.body));
    const { page, errors, close } = await openConsole(browser, server.origin, '/account');
    await signIn(page, 'katherine@example.com', STRONG_PASSWORD);
    const sessions = page.getByRole('region', { name: 'Sessions' });
    await sessions.getByText(`Opened by ${ADMIN} to act as you: “Ticket 12”`).waitFor();

    const data = page.getByRole('region', { name: 'Your data' });
    await assertAccessible(page, 'account-data');
    const [download] = await Promise.all([page.waitForEvent('download'), data.getByRole('button', { name: 'Download my data' }).click()]);
    assert.match(download.suggestedFilename(), /^gatehouse-data-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
    assert.equal(exported.format, 'gatehouse.my-data.v1');
    assert.equal(exported.account.email, 'katherine@example.com');
    assert.equal(exported.sessions.length, 3, 'the sign-up session, the impersonation and this browser');
    assert.ok(exported.sessions.some((s: any) => s.impersonatedBy?.email === ADMIN));
    await data.getByRole('status').getByText(`Saved as ${download.suggestedFilename()}.`).waitFor();
    assert.deepEqual(errors(), []);
    await close();
  });
});

