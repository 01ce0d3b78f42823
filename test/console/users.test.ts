// The console's users list and a user's page in Debian's Chromium against a real server (issue 18):
// the whole flow from first-run setup to a disabled user whose open console returns to sign-in
// with the reason; filters and keyset paging; the create form's field errors; a user's page with
// its sessions, tokens, linked accounts and audit trail (also at 390 px); every action behind its
// dialog, cancelled (nothing changes), confirmed, and refused with the server's message; a viewer
// without users:write; an unknown id; a request answering UNAUTHENTICATED. axe-core runs on each
// state, with a screenshot (test/console/screenshots/, git-ignored).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { dataOf, OPS, sessionCount, storedUser } from '../admin/users-helpers.ts';
import { enableTotp } from '../mfa/mfa-helpers.ts';
import { OAuthAccount } from '../../src/oauth/entities.ts';
import { assertAccessible, launchChromium, openConsole, signIn, type ConsolePage } from './console-page.ts';

const ADMIN = 'root@example.com';
/** Declared by the deployment: looks at accounts, changes nothing. */
const ACCESS = { roles: [{ name: 'support', description: 'Support staff: can look at accounts.', permissions: ['users:read'] }] };

const CREATE_ACCESS_TOKEN = `mutation($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) { __typename ... on CreatedAccessToken { token accessToken { id prefix lastFour } } ... on Error { code message } }
}`;
const VIEWER = `{ viewer { id email } }`;
const MFA = `query($id: ID!) { user(id: $id) { mfa { enabled totpEnabled } } }`;

/** Resolves once the page's live socket is acknowledged and has sent the viewerSessionEnded subscription. */
function liveSubscribed(page: Page): Promise<void> {
  return new Promise((resolve) => {
    page.on('websocket', (ws) => {
      let acknowledged = false;
      ws.on('framereceived', ({ payload }) => {
        if (String(payload).includes('"connection_ack"')) acknowledged = true;
      });
      ws.on('framesent', ({ payload }) => {
        if (acknowledged && String(payload).includes('viewerSessionEnded')) setTimeout(resolve, 250);
      });
    });
  });
}

/** Marks the document: still marked later means the console changed in place, without a reload. */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { consoleMark: number }).consoleMark = 1));
const stillMarked = (page: Page) => page.evaluate(() => (window as unknown as { consoleMark?: number }).consoleMark === 1);

const statusLine = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text });
const section = (page: Page, name: string) => page.getByRole('region', { name, exact: true });
const rowsOf = (page: Page) => page.locator('main table tbody tr');

async function emailsShown(page: Page): Promise<string[]> {
  return page.locator('main table tbody tr td:first-child').allTextContents();
}

/** Waits until the list shows exactly these emails, in this order. */
async function waitForEmails(page: Page, emails: string[]): Promise<void> {
  await page.waitForFunction(
    (want) => JSON.stringify([...document.querySelectorAll('main table tbody tr td:first-child')].map((td) => td.textContent)) === JSON.stringify(want),
    emails,
  );
}

describe('console: users and a user', () => {
  let server: TestServer;
  let browser: Browser;
  let adminToken: string;
  const opened: ConsolePage[] = [];

  async function open(path = '', viewport?: { width: number; height: number }): Promise<ConsolePage> {
    const consolePage = await openConsole(browser, server.origin, path, viewport);
    opened.push(consolePage);
    return consolePage;
  }
  async function asAdmin(path = '', viewport?: { width: number; height: number }): Promise<Page> {
    const { page } = await open(path, viewport);
    await signIn(page, ADMIN, STRONG_PASSWORD);
    return page;
  }
  async function createUser(input: Record<string, unknown>): Promise<string> {
    // The list is in creation order (then by id): a second apart, the order is the order created.
    server.clock.advance(1000);
    const created = dataOf(await server.gql(OPS.createUser, { input: { password: STRONG_PASSWORD, confirmed: true, ...input } }, { token: adminToken })).createUser;
    assert.equal(created.__typename, 'User', JSON.stringify(created));
    return created.id as string;
  }
  async function setDisabled(id: string, disabled: boolean): Promise<void> {
    assert.equal(dataOf(await server.gql(OPS.updateUser, { input: { id, disabled } }, { token: adminToken })).updateUser.__typename, 'User');
  }

  before(async () => {
    server = await startTestServer({ ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: STRONG_PASSWORD }, { access: ACCESS });
    adminToken = (await login(server, ADMIN)).token;
    browser = await launchChromium();
    // 30 active users for paging, 3 support staff, 2 unconfirmed, 2 disabled.
    for (let i = 1; i <= 30; i++) await createUser({ email: `page-${String(i).padStart(2, '0')}@example.com`, displayName: `Page ${i}` });
    for (let i = 1; i <= 3; i++) await createUser({ email: `support-${i}@example.com`, displayName: `Support ${i}`, roles: ['support'] });
    for (let i = 1; i <= 2; i++) await createUser({ email: `pending-${i}@example.com`, confirmed: false });
    for (let i = 1; i <= 2; i++) await setDisabled(await createUser({ email: `gone-${i}@example.com` }), true);
  });
  after(async () => {
    for (const consolePage of opened) await consolePage.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  test('first run to a disabled user: setup, sign in, create, roles, disable; their open console shows sign-in and why', async () => {
    const setupToken = 'users-console-setup-token-0123456789';
    const fresh = await startTestServer({ SETUP_TOKEN: setupToken }, { access: ACCESS });
    const admin = await openConsole(browser, fresh.origin);
    let carol: ConsolePage | undefined;
    try {
      const page = admin.page;
      await page.getByRole('heading', { name: 'Set up Gatehouse' }).waitFor();
      await page.getByLabel('Setup token').fill(setupToken);
      await page.getByLabel('Administrator email').fill('owner@example.com');
      await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await signIn(page, 'owner@example.com', STRONG_PASSWORD);
      await page.getByRole('heading', { name: 'Users' }).waitFor();

      // Create a user through the form: the console goes to the new user's page.
      await page.getByRole('button', { name: 'Create user' }).click();
      const form = section(page, 'Create a user');
      await form.getByLabel('Email', { exact: true }).fill('carol@example.com');
      await form.getByLabel('Display name').fill('Carol Shaw');
      await form.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await form.getByRole('button', { name: 'Create user' }).click();
      await page.getByRole('heading', { name: 'Carol Shaw', level: 1 }).waitFor();
      await statusLine(page, 'Created carol@example.com.').waitFor();
      const carolId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);
      assert.equal(new URL(page.url()).pathname, `/admin/users/${encodeURIComponent(carolId)}`);

      // Carol signs in to the console in her own browser; her only page is My account.
      carol = await openConsole(browser, fresh.origin);
      let live = liveSubscribed(carol.page);
      await signIn(carol.page, 'carol@example.com', STRONG_PASSWORD);
      await carol.page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
      await live;

      // Change her roles: support (users:read). Her next request has it: the Users page appears.
      const roles = page.getByRole('group', { name: 'Roles of carol@example.com' });
      await roles.getByRole('checkbox', { name: /^support/ }).check();
      await page.getByRole('button', { name: 'Save roles' }).click();
      await statusLine(page, 'Saved the roles of carol@example.com.').waitFor();
      const stored = await storedUser(fresh, carolId);
      assert.deepEqual(stored!.roles.getItems().map((r) => r.name).sort(), ['support', 'user']);
      live = liveSubscribed(carol.page);
      await carol.page.reload();
      await carol.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).waitFor();
      await live;
      await mark(carol.page);

      // Disable her: her open console returns to sign-in by itself, saying why.
      await section(page, 'Actions').getByRole('button', { name: 'Disable', exact: true }).click();
      await page.getByRole('dialog', { name: 'Disable carol@example.com?' }).getByRole('button', { name: 'Disable' }).click();
      await statusLine(page, 'Disabled carol@example.com; their sessions ended.').waitFor();
      assert.equal((await storedUser(fresh, carolId))!.disabled, true);

      await carol.page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor({ timeout: 10_000 });
      assert.equal(await carol.page.getByRole('status').textContent(), 'Your account was disabled by an administrator. Sign in again to go on.');
      assert.ok(await stillMarked(carol.page), 'the console changed in place (no reload)');
      await assertAccessible(carol.page, 'session-ended-disabled');

      // Signing in again is refused with the server's message.
      await carol.page.getByLabel('Email').fill('carol@example.com');
      await carol.page.getByLabel('Password').fill(STRONG_PASSWORD);
      await carol.page.getByRole('button', { name: 'Sign in' }).click();
      await carol.page.getByRole('alert').filter({ hasText: /disabled/i }).waitFor();
      assert.deepEqual([...admin.errors(), ...carol.errors()], []);
    } finally {
      await carol?.close();
      await admin.close();
      await fresh.close();
    }
  });

  test('filters by role and status, with search, kept while paging; rows open the user; Back keeps the filters', async () => {
    const page = await asAdmin('/users');
    const total = 1 + 30 + 3 + 2 + 2;
    await page.getByText(`${total} users.`, { exact: true }).waitFor();
    assert.equal(await rowsOf(page).count(), 25);
    await assertAccessible(page, 'users-list');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction(() => document.querySelectorAll('main tbody tr').length === 13);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.waitForFunction(() => document.querySelectorAll('main tbody tr').length === 25);

    // Status: disabled only.
    await page.getByLabel('Status').selectOption('DISABLED');
    await page.getByText('2 users match.').waitFor();
    await waitForEmails(page, ['gone-1@example.com', 'gone-2@example.com']);
    assert.deepEqual(await page.locator('main tbody td:nth-child(3)').allTextContents(), ['Disabled', 'Disabled']);
    await page.getByLabel('Status').selectOption('UNCONFIRMED');
    await waitForEmails(page, ['pending-1@example.com', 'pending-2@example.com']);
    await page.getByText('2 users match.').waitFor();

    // Role: the three support staff (the roles come from `roles`).
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Role').selectOption('support');
    await page.getByText('3 users match.').waitFor();
    await waitForEmails(page, ['support-1@example.com', 'support-2@example.com', 'support-3@example.com']);
    assert.deepEqual(await page.getByLabel('Role').locator('option').allTextContents(), ['Any role', 'admin', 'support', 'user']);
    // Role and status together: nobody.
    await page.getByLabel('Status').selectOption('DISABLED');
    await page.getByText('No users with the role support, disabled.').waitFor();
    await assertAccessible(page, 'users-filters-empty');

    // Active users across two pages: the filter stays on the next page and back.
    await page.getByLabel('Role').selectOption('');
    await page.getByLabel('Status').selectOption('ACTIVE');
    const active = 1 + 30 + 3;
    await page.getByText(`${active} users match.`).waitFor();
    assert.equal(await rowsOf(page).count(), 25);
    await assertAccessible(page, 'users-filters');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('main tbody tr').length === n, active - 25);
    assert.ok((await page.locator('main tbody td:nth-child(3)').allTextContents()).every((s) => s === 'Active'));
    assert.equal(await page.getByLabel('Status').inputValue(), 'ACTIVE');

    // With a search too: "page-" and active, 30 users, again over two pages.
    await page.getByLabel('Search users').fill('page-');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('30 users match.').waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await waitForEmails(page, ['page-26@example.com', 'page-27@example.com', 'page-28@example.com', 'page-29@example.com', 'page-30@example.com']);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.waitForFunction(() => document.querySelectorAll('main tbody tr').length === 25);
    assert.equal((await emailsShown(page))[0], 'page-01@example.com');

    // A row opens the user's page; Back returns to the same filtered list.
    await page.getByRole('link', { name: 'page-03@example.com' }).click();
    await page.getByRole('heading', { name: 'Page 3', level: 1 }).waitFor();
    await page.goBack();
    await page.getByText('30 users match.').waitFor();
    assert.equal(await page.getByLabel('Search users').inputValue(), 'page-');
    assert.equal(await page.getByLabel('Status').inputValue(), 'ACTIVE');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByText(`${total} users.`, { exact: true }).waitFor();
  });

  test("create user: the server's field errors beside the fields, an email in use, then the new user's page", async () => {
    const page = await asAdmin('/users');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const opener = page.getByRole('button', { name: 'Create user' });
    assert.equal(await opener.getAttribute('aria-expanded'), 'false');
    await opener.click();
    const form = section(page, 'Create a user');
    await form.getByLabel('Email', { exact: true }).fill('not-an-email');
    await form.getByLabel('Password', { exact: true }).fill('password');
    await form.getByRole('button', { name: 'Create user' }).click();
    await form.getByRole('alert').waitFor();

    // The same input through the API: the page shows exactly the server's messages, by field.
    const refused = dataOf(await server.gql(OPS.createUser, { input: { email: 'not-an-email', password: 'password', displayName: null, confirmed: true } }, { token: adminToken })).createUser;
    assert.equal(refused.__typename, 'ValidationError');
    const byField = Object.fromEntries((refused.fields as Array<{ field: string; messages: string[] }>).map((f) => [f.field, f.messages]));
    assert.ok(byField.email && byField.password, JSON.stringify(byField));
    for (const [label, field] of [['Email', 'email'], ['Password', 'password']] as const) {
      const input = form.getByLabel(label, { exact: true });
      assert.equal(await input.getAttribute('aria-invalid'), 'true', label);
      const describedBy = (await input.getAttribute('aria-describedby'))!.split(' ');
      const shown = await page.locator(`[id="${describedBy.at(-1)}"] li`).allTextContents();
      assert.deepEqual(shown, byField[field], `${label}'s messages`);
    }
    await assertAccessible(page, 'users-create-errors');

    // An email already in use: beside the email field.
    await form.getByLabel('Email', { exact: true }).fill('page-01@example.com');
    await form.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await form.getByRole('button', { name: 'Create user' }).click();
    await form.getByText('An account with this email already exists.').waitFor();
    assert.equal(await form.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), null);

    // Then a good one with a role and an unconfirmed address.
    await form.getByLabel('Email', { exact: true }).fill('new.hire@example.com');
    await form.getByLabel('Display name').fill('New Hire');
    await form.getByRole('checkbox', { name: /email address is confirmed/ }).uncheck();
    await form.getByRole('checkbox', { name: /^support/ }).check();
    await form.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'New Hire', level: 1 }).waitFor();
    await statusLine(page, 'Created new.hire@example.com.').waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);
    const stored = await storedUser(server, id);
    assert.equal(stored!.email, 'new.hire@example.com');
    assert.equal(stored!.emailConfirmedAt, null);
    assert.deepEqual(stored!.roles.getItems().map((r) => r.name).sort(), ['support', 'user']);
    await server.mail.waitFor('new.hire@example.com', /Confirm/);
    assert.ok(await page.getByRole('checkbox', { name: /^support/ }).isChecked());
  });

  test("a user's page: profile, sessions, access tokens, linked accounts and the audit trail, a page at a time; at 390 px too", async () => {
    const id = await createUser({ email: 'dora@example.com', displayName: 'Dora Explorer', firstName: 'Dora', lastName: 'Marquez', phone: '+44 20 7946 0000' });
    const { token } = await login(server, 'dora@example.com', STRONG_PASSWORD, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' } });
    const created = dataOf(await server.gql(CREATE_ACCESS_TOKEN, { input: { name: 'CI deploys', permissions: [] } }, { token })).createAccessToken;
    assert.equal(created.__typename, 'CreatedAccessToken');
    const em = server.gatehouse.services.orm.em.fork();
    em.create(OAuthAccount, { user: id, provider: 'github', subject: '583231', login: 'dora-gh', email: 'dora@users.example', linkedAt: server.clock.now(), lastUsedAt: null });
    await em.flush();
    // 22 edits: with its creation and sign-in, more events than one page of 20.
    for (let i = 1; i <= 22; i++) dataOf(await server.gql(OPS.updateUser, { input: { id, bio: `Edit ${i}` } }, { token: adminToken }));

    const page = await asAdmin(`/users/${id}`);
    await page.getByRole('heading', { name: 'Dora Explorer', level: 1 }).waitFor();
    const profile = section(page, 'Profile');
    const fact = async (name: string) => (await profile.locator('dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]').textContent())?.trim();
    assert.equal(await fact('Email'), 'dora@example.com');
    assert.equal(await fact('First name'), 'Dora');
    assert.equal(await fact('Last name'), 'Marquez');
    assert.equal(await fact('Phone'), '+44 20 7946 0000');
    assert.equal(await fact('Status'), 'Active');
    assert.match((await fact('Email confirmed'))!, /^Yes, /);
    assert.equal(await fact('Bio'), 'Edit 22');
    assert.notEqual(await fact('Last sign-in'), 'None recorded');
    assert.equal(await fact('Second factors'), 'None');

    const sessions = section(page, 'Sessions');
    await sessions.getByText('Firefox', { exact: true }).waitFor();
    assert.match((await sessions.textContent())!, /Linux x86_64/);
    const tokens = section(page, 'Access tokens');
    await tokens.getByText('CI deploys', { exact: true }).waitFor();
    assert.match((await tokens.textContent())!, new RegExp(`${created.accessToken.prefix}…${created.accessToken.lastFour}`));
    assert.match((await tokens.textContent())!, /Permissions: none/);
    const linked = section(page, 'Linked accounts');
    assert.match((await linked.textContent())!, /github dora-gh/);
    assert.match((await linked.textContent())!, /583231/);
    assert.match((await section(page, 'Passkeys').textContent())!, /No passkey/);
    assert.deepEqual(await section(page, 'Roles').getByRole('checkbox', { checked: true }).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)), ['user']);

    // The audit trail: 20 newest first, then the rest; back to the newest.
    const audit = section(page, 'Audit trail');
    await audit.locator('tbody tr').first().waitFor();
    assert.equal(await audit.locator('tbody tr').count(), 20);
    assert.match((await audit.locator('tbody tr').first().textContent())!, /user\.update/);
    assert.match((await audit.locator('tbody tr').first().textContent())!, new RegExp(ADMIN));
    await assertAccessible(page, 'user');
    await audit.getByRole('button', { name: 'Older events' }).click();
    await page.waitForFunction(() => document.querySelectorAll('section table.audit tbody tr').length < 20);
    const older = await audit.locator('tbody tr td:nth-child(2)').allTextContents();
    assert.ok(older.includes('user.create') && older.includes('auth.login'), older.join());
    assert.equal(await audit.getByRole('button', { name: 'Older events' }).isDisabled(), true);
    await audit.getByRole('button', { name: 'Newer events' }).click();
    await page.waitForFunction(() => document.querySelectorAll('section table.audit tbody tr').length === 20);
    // By the user: her own sign-in and token.
    await audit.getByRole('radio', { name: 'By this user' }).check();
    await audit.getByText('token.create', { exact: true }).waitFor();
    const own = await audit.locator('tbody tr td:nth-child(2)').allTextContents();
    assert.ok(own.includes('auth.login'), own.join());

    // At 390 px wide: nothing wider than the screen, still accessible.
    const narrow = await asAdmin(`/users/${id}`, { width: 390, height: 844 });
    await narrow.getByRole('heading', { name: 'Dora Explorer', level: 1 }).waitFor();
    await section(narrow, 'Audit trail').locator('tbody tr').first().waitFor();
    assert.ok(await narrow.evaluate(() => document.documentElement.scrollWidth <= 390), 'no horizontal scrolling at 390 px');
    await assertAccessible(narrow, 'user-390');
  });

  test('edit profile: saved, and a field the server refuses shows its message beside it', async () => {
    const id = await createUser({ email: 'frank@example.com', displayName: 'Frank' });
    const page = await asAdmin(`/users/${id}`);
    const form = section(page, 'Edit profile');
    await form.getByLabel('Avatar URL').fill('not a url');
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form.getByRole('alert').waitFor();
    const refused = dataOf(await server.gql(OPS.updateUser, { input: { id, avatarUrl: 'not a url' } }, { token: adminToken })).updateUser;
    assert.equal(refused.__typename, 'ValidationError');
    const avatar = form.getByLabel('Avatar URL');
    assert.equal(await avatar.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await page.locator(`[id="${(await avatar.getAttribute('aria-describedby'))!}"] li`).allTextContents(), refused.fields[0].messages);
    await assertAccessible(page, 'user-edit-error');

    await form.getByLabel('Avatar URL').fill('');
    await form.getByLabel('Display name').fill('Frank Ocean');
    await form.getByLabel('Phone').fill('+1 555 0100');
    await form.getByRole('button', { name: 'Save profile' }).click();
    await statusLine(page, 'Saved the profile.').waitFor();
    await page.getByRole('heading', { name: 'Frank Ocean', level: 1 }).waitFor();
    const stored = await storedUser(server, id);
    assert.equal(stored!.displayName, 'Frank Ocean');
    assert.equal(stored!.phone, '+1 555 0100');
  });

  test('each action asks first: cancel changes nothing, confirm does it, a refusal shows the server’s message', async () => {
    const id = await createUser({ email: 'eve@example.com', displayName: 'Eve' });
    const page = await asAdmin(`/users/${id}`);
    await page.getByRole('heading', { name: 'Eve', level: 1 }).waitFor();
    const actions = section(page, 'Actions');
    const dialog = (name: string) => page.getByRole('dialog', { name });
    const cancel = async (name: string) => {
      await dialog(name).getByRole('button', { name: 'Cancel' }).click();
      await dialog(name).waitFor({ state: 'hidden' });
    };

    // Disable: cancel, then confirm; then enable.
    await actions.getByRole('button', { name: 'Disable', exact: true }).click();
    await assertAccessible(page, 'dialog-disable');
    await cancel('Disable eve@example.com?');
    assert.equal((await storedUser(server, id))!.disabled, false);
    await actions.getByRole('button', { name: 'Disable', exact: true }).click();
    await dialog('Disable eve@example.com?').getByRole('button', { name: 'Disable' }).click();
    await statusLine(page, 'Disabled eve@example.com; their sessions ended.').waitFor();
    assert.equal((await storedUser(server, id))!.disabled, true);
    await actions.getByRole('button', { name: 'Enable', exact: true }).click();
    await assertAccessible(page, 'dialog-enable');
    await dialog('Enable eve@example.com?').getByRole('button', { name: 'Enable' }).click();
    await statusLine(page, 'Enabled eve@example.com.').waitFor();
    assert.equal((await storedUser(server, id))!.disabled, false);

    // Set password: a weak one is refused in the dialog with the server's message; cancel keeps the old one.
    const hashBefore = (await storedUser(server, id))!.passwordHash;
    await actions.getByRole('button', { name: 'Set password' }).click();
    const passwordDialog = dialog('Set a new password for eve@example.com');
    await passwordDialog.getByLabel('New password').fill('password');
    await passwordDialog.getByRole('button', { name: 'Set password' }).click();
    const weak = dataOf(await server.gql(OPS.setUserPassword, { id, password: 'password' }, { token: adminToken })).setUserPassword;
    assert.equal(weak.__typename, 'ValidationError');
    await passwordDialog.getByRole('alert').filter({ hasText: weak.message }).waitFor();
    await assertAccessible(page, 'dialog-set-password-error');
    await cancel('Set a new password for eve@example.com');
    assert.equal((await storedUser(server, id))!.passwordHash, hashBefore);
    await actions.getByRole('button', { name: 'Set password' }).click();
    assert.equal(await passwordDialog.getByLabel('New password').inputValue(), '', 'the dialog opens empty');
    await assertAccessible(page, 'dialog-set-password');
    await passwordDialog.getByLabel('New password').fill('a brand new passphrase for eve');
    await passwordDialog.getByRole('button', { name: 'Set password' }).click();
    await statusLine(page, 'Set a new password for eve@example.com; their sessions ended.').waitFor();
    const eveToken = (await login(server, 'eve@example.com', 'a brand new passphrase for eve')).token;

    // Reset second factors: she sets up an authenticator app; cancel keeps it, confirm removes it.
    await enableTotp(server, eveToken);
    await page.reload();
    const factsText = () => section(page, 'Profile').textContent();
    await section(page, 'Profile').getByText(/authenticator app; 10 recovery codes left/).waitFor();
    await actions.getByRole('button', { name: 'Reset second factors' }).click();
    await assertAccessible(page, 'dialog-reset-factors');
    await cancel('Remove every second factor of eve@example.com?');
    assert.equal(dataOf(await server.gql(MFA, { id }, { token: adminToken })).user.mfa.totpEnabled, true);
    await actions.getByRole('button', { name: 'Reset second factors' }).click();
    await dialog('Remove every second factor of eve@example.com?').getByRole('button', { name: 'Reset second factors' }).click();
    await statusLine(page, 'Removed the second factors of eve@example.com.').waitFor();
    assert.equal(dataOf(await server.gql(MFA, { id }, { token: adminToken })).user.mfa.enabled, false);
    assert.match((await factsText())!, /Second factorsNone/);

    // Revoke an access token: cancel keeps it working, confirm stops it.
    const created = dataOf(await server.gql(CREATE_ACCESS_TOKEN, { input: { name: 'Laptop script' } }, { token: eveToken })).createAccessToken;
    await page.reload();
    const tokens = section(page, 'Access tokens');
    await tokens.getByRole('button', { name: 'Revoke' }).click();
    await assertAccessible(page, 'dialog-revoke-token');
    await cancel('Revoke the token “Laptop script”?');
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token: created.token })).viewer.email, 'eve@example.com');
    await tokens.getByRole('button', { name: 'Revoke' }).click();
    await dialog('Revoke the token “Laptop script”?').getByRole('button', { name: 'Revoke' }).click();
    await statusLine(page, 'Revoked the token “Laptop script”.').waitFor();
    assert.equal((await server.gql(VIEWER, {}, { token: created.token })).status, 401);
    await tokens.getByText('No access token.').waitFor();

    // End all sessions: her open console returns to sign-in, saying why.
    const eve = await open();
    const live = liveSubscribed(eve.page);
    await signIn(eve.page, 'eve@example.com', 'a brand new passphrase for eve');
    await live;
    await page.reload();
    const sessionsBefore = await sessionCount(server, id);
    assert.equal(sessionsBefore, 2);
    await actions.getByRole('button', { name: 'End all sessions' }).click();
    await dialog('End every session of eve@example.com?').getByText('Their 2 sessions end at once.', { exact: false }).waitFor();
    await assertAccessible(page, 'dialog-end-sessions');
    await cancel('End every session of eve@example.com?');
    assert.equal(await sessionCount(server, id), 2);
    await actions.getByRole('button', { name: 'End all sessions' }).click();
    await dialog('End every session of eve@example.com?').getByRole('button', { name: 'End all sessions' }).click();
    await statusLine(page, 'Ended 2 sessions of eve@example.com.').waitFor();
    assert.equal(await sessionCount(server, id), 0);
    await section(page, 'Sessions').getByText('No live session.').waitFor();
    await eve.page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor({ timeout: 10_000 });
    assert.equal(await eve.page.getByRole('status').textContent(), 'Your session was ended, by you elsewhere or by an administrator. Sign in again to go on.');

    // Delete: cancel keeps her; confirm goes back to the users with a status line.
    await actions.getByRole('button', { name: 'Delete user' }).click();
    await assertAccessible(page, 'dialog-delete');
    await cancel('Delete eve@example.com?');
    assert.ok(await storedUser(server, id));
    await actions.getByRole('button', { name: 'Delete user' }).click();
    await dialog('Delete eve@example.com?').getByRole('button', { name: 'Delete for good' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/users');
    await statusLine(page, 'Deleted eve@example.com.').waitFor();
    assert.equal(await storedUser(server, id), null);
    await assertAccessible(page, 'users-after-delete');

    // Refusals on one's own page: disabling oneself, deleting the last admin.
    const rootId = dataOf(await server.gql(VIEWER, {}, { token: adminToken })).viewer.id as string;
    await page.goto(`${server.origin}/admin/users/${rootId}`);
    await page.getByRole('heading', { name: ADMIN, level: 1 }).waitFor();
    await actions.getByRole('button', { name: 'Disable', exact: true }).click();
    await dialog(`Disable ${ADMIN}?`).getByRole('button', { name: 'Disable' }).click();
    const selfDisable = dataOf(await server.gql(OPS.updateUser, { input: { id: rootId, disabled: true } }, { token: adminToken })).updateUser;
    assert.equal(selfDisable.__typename, 'ValidationError');
    await dialog(`Disable ${ADMIN}?`).getByRole('alert').filter({ hasText: selfDisable.message }).waitFor();
    assert.match(selfDisable.message, /cannot disable your own account/);
    await assertAccessible(page, 'dialog-disable-refused');
    await cancel(`Disable ${ADMIN}?`);

    await actions.getByRole('button', { name: 'Delete user' }).click();
    await dialog(`Delete ${ADMIN}?`).getByText('This is your own account').waitFor();
    await dialog(`Delete ${ADMIN}?`).getByRole('button', { name: 'Delete for good' }).click();
    const lastAdmin = dataOf(await server.gql(OPS.deleteUser, { id: rootId }, { token: adminToken })).deleteUser;
    assert.equal(lastAdmin.code, 'LAST_ADMIN');
    await dialog(`Delete ${ADMIN}?`).getByRole('alert').filter({ hasText: lastAdmin.message }).waitFor();
    await assertAccessible(page, 'dialog-delete-refused');
    await cancel(`Delete ${ADMIN}?`);
    assert.ok(await storedUser(server, rootId));
  });

  test('a viewer with users:read but not users:write sees the users and a user, and no action', async () => {
    const target = dataOf(await server.gql(OPS.users, { search: 'page-02' }, { token: adminToken })).users.edges[0].node.id as string;
    const { page } = await open();
    await signIn(page, 'support-1@example.com', STRONG_PASSWORD);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.locator('main tbody tr').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create user' }).count(), 0);
    assert.equal(await page.getByLabel('Role').count(), 0, 'no role filter without roles:read');

    await page.getByRole('link', { name: 'page-02@example.com' }).click();
    await page.getByRole('heading', { name: 'Page 2', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/admin/users/${target}`);
    await section(page, 'Sessions').waitFor();
    for (const name of ['Actions', 'Edit profile', 'Audit trail']) assert.equal(await section(page, name).count(), 0, `no ${name}`);
    assert.equal(await page.locator('main button').count(), 0, 'no buttons at all');
    assert.equal(await page.locator('main input, main textarea, main select').count(), 0, 'nothing to edit');
    assert.deepEqual(await section(page, 'Roles').getByRole('listitem').allTextContents(), ['user']);
    await assertAccessible(page, 'user-read-only');
  });

  test('an unknown user id shows "User not found"', async () => {
    const page = await asAdmin('/users/no-such-user');
    await page.getByRole('heading', { name: 'User not found' }).waitFor();
    assert.match((await page.locator('main').textContent())!, /no-such-user/);
    await assertAccessible(page, 'user-not-found');
    await page.getByRole('link', { name: 'Back to the users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  });

  test('a request answering UNAUTHENTICATED while signed in brings back sign-in with a notice', async () => {
    const { page, errors } = await open();
    await signIn(page, ADMIN, STRONG_PASSWORD);
    await page.locator('main tbody tr').first().waitFor();
    await mark(page);
    // The session cookie is gone (as if it expired in the browser): the next request is anonymous.
    await page.context().clearCookies();
    await page.getByRole('link', { name: 'page-01@example.com' }).click();
    await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    assert.equal(await page.getByRole('status').textContent(), 'Your session has ended. Sign in again to go on.');
    assert.ok(await stillMarked(page));
    assert.deepEqual(errors(), []);
  });
});
