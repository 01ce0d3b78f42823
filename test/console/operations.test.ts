// The console's maintenance and database pages in Chromium against the real server: maintenance
// turned on in one browser shows the live banner in others (signed in and signed out) within 2 s,
// with the message and the end time in each viewer's own time zone; backups created, downloaded
// (a real SQLite file), restored (later data gone), deleted (confirm and cancel); a hostile upload
// and one over MAX_UPLOAD_MB refused with the server's error and nothing changed; a good upload with
// its progress; the banner following sign-in and sign-out; the viewer's session ending with a
// restore; what viewers without the permissions are (not) offered.
// axe-core and a screenshot on every state, at 1280 px and 390 px.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { createRoleInDb, grantRoles } from '../access/access-helpers.ts';
import { BACKUPS, tableChecksums, uploadDatabase } from '../database/database-helpers.ts';
import { MAINTENANCE } from '../maintenance/maintenance-helpers.ts';
import { assertAccessible, launchChromium, signIn } from './console-page.ts';

const ADMIN = 'root@example.com';
const USER = 'ordinary@example.com';
const READER = 'reader@example.com';
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };
/** The budget for a maintenance change to reach another browser. */
const BANNER_BUDGET_MS = 2000;

describe('console: maintenance and database', () => {
  let server: TestServer;
  let browser: Browser;
  let adminToken: string;
  let userToken: string;
  let scratch: string;
  const contexts: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    // A small upload limit, so a file over it is refused (HTTP 413) with the server's message.
    server = await startTestServer({ ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: STRONG_PASSWORD, MAX_UPLOAD_MB: '1' }, {}, { keepSqlite: true });
    adminToken = (await login(server, ADMIN)).token;
    userToken = (await createConfirmedUser(server, USER)).token;
    const reader = await createConfirmedUser(server, READER);
    await createRoleInDb(server, 'db-reader', ['database:read']);
    await grantRoles(server, reader.userId, 'db-reader');
    scratch = mkdtempSync(join(tmpdir(), 'gatehouse-console-ops-'));
    browser = await launchChromium();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  interface Opened {
    page: Page;
    /** Script errors and CSP violations so far (refused requests' 401/403 are expected). */
    errors: string[];
    /** Resolves once the page's newest live socket is open and has delivered a maintenanceModeChanged result. */
    followingLive(): Promise<void>;
  }

  /** A fresh browser context (its own cookies, time zone and locale) on /admin`path`. */
  async function open(path: string, options: { timezoneId?: string; viewport?: { width: number; height: number } } = {}): Promise<Opened> {
    const context = await browser.newContext({ viewport: options.viewport ?? WIDE, locale: 'en-GB', timezoneId: options.timezoneId ?? 'UTC' });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && !/401|403|Failed to load resource/.test(m.text()) && errors.push(m.text()));
    const sockets: Array<{ fed: boolean; closed: boolean }> = [];
    page.on('websocket', (ws) => {
      const socket = { fed: false, closed: false };
      sockets.push(socket);
      ws.on('framereceived', ({ payload }) => {
        if (String(payload).includes('maintenanceModeChanged')) socket.fed = true;
      });
      ws.on('close', () => (socket.closed = true));
    });
    await page.goto(`${server.origin}/admin${path}`);
    const followingLive = async () => {
      // The newest socket, still open (a sign-in replaces the one opened before it).
      const following = () => sockets.at(-1)?.fed === true && !sockets.at(-1)!.closed;
      for (const deadline = Date.now() + 10_000; !following(); ) {
        if (Date.now() > deadline) throw new Error('the page never received maintenanceModeChanged');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    return { page, errors, followingLive };
  }

  const banner = (page: Page) => page.locator('.maintenance-banner[aria-live="polite"]');
  const dialog = (page: Page, name: string) => page.getByRole('dialog', { name });
  const backupRow = (page: Page, name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
  const serverBackups = async (): Promise<Array<{ name: string; kind: string; label: string | null; createdAt: string }>> => (await server.gql(BACKUPS, {}, { token: adminToken })).body.data.backups;
  const emailsLike = async (search: string): Promise<string[]> =>
    (await server.gql(`query($s: String) { users(search: $s) { edges { node { email } } } }`, { s: search }, { token: adminToken })).body.data.users.edges.map(
      (e: { node: { email: string } }) => e.node.email,
    );
  const timeIn = (iso: string, timeZone: string) => new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone });

  test('maintenance: turned on with a message and an end time, the banner reaches other browsers within 2 s, in their time zone; off removes it', async () => {
    // The admin in India (UTC+5:30), a signed-in user in New York, a visitor on the sign-in page.
    const adminTab = await open('', { timezoneId: 'Asia/Kolkata' });
    const admin = adminTab.page;
    await signIn(admin, ADMIN, STRONG_PASSWORD);
    await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Maintenance' }).click();
    await admin.getByRole('heading', { name: 'Maintenance', level: 1 }).waitFor();
    await admin.getByText('Off', { exact: true }).waitFor();
    await assertAccessible(admin, 'maintenance-off');

    const userTab = await open('', { timezoneId: 'America/New_York' });
    const user = userTab.page;
    await signIn(user, USER, STRONG_PASSWORD);
    const visitorTab = await open('');
    const visitor = visitorTab.page;
    await visitor.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    // Both follow the live feed before anything changes: what they show next was pushed.
    await Promise.all([userTab.followingLive(), visitorTab.followingLive()]);
    assert.equal(await banner(user).textContent(), '');
    assert.equal(await banner(visitor).textContent(), '');

    const year = new Date().getUTCFullYear() + 1;
    await admin.getByLabel('Message to users').fill('Upgrading the database. Back soon.');
    await admin.getByLabel('Expected end (your local time)').fill(`${year}-05-01T14:30`);

    // Cancelling the confirmation changes nothing.
    await admin.getByRole('button', { name: 'Turn on maintenance mode' }).click();
    await dialog(admin, 'Turn on maintenance mode?').waitFor();
    await assertAccessible(admin, 'maintenance-confirm');
    await dialog(admin, 'Turn on maintenance mode?').getByRole('button', { name: 'Cancel' }).click();
    await dialog(admin, 'Turn on maintenance mode?').waitFor({ state: 'hidden' });
    assert.equal((await server.gql(MAINTENANCE)).body.data.maintenance.enabled, false);

    await admin.getByRole('button', { name: 'Turn on maintenance mode' }).click();
    await dialog(admin, 'Turn on maintenance mode?').getByRole('button', { name: 'Turn on' }).click();
    // The budget: from the admin's confirmation to the banner in both other browsers.
    await Promise.all([
      banner(user).getByText('Upgrading the database. Back soon.').waitFor({ timeout: BANNER_BUDGET_MS }),
      banner(visitor).getByText('Upgrading the database. Back soon.').waitFor({ timeout: BANNER_BUDGET_MS }),
    ]);

    // 14:30 in Kolkata is 09:00 UTC, shown as 05:00 in New York (EDT) and 09:00 to the UTC visitor.
    const state = (await server.gql(MAINTENANCE, {}, { token: adminToken })).body.data.maintenance;
    assert.deepEqual([state.enabled, state.message, state.endsAt, state.updatedBy], [true, 'Upgrading the database. Back soon.', `${year}-05-01T09:00:00.000Z`, ADMIN]);
    assert.equal(timeIn(state.endsAt, 'America/New_York'), `1 May ${year}, 05:00`);
    for (const [page, zone] of [[user, 'America/New_York'], [visitor, 'UTC'], [admin, 'Asia/Kolkata']] as const) {
      const time = banner(page).locator('time');
      await time.waitFor();
      assert.equal(await time.getAttribute('datetime'), state.endsAt);
      assert.equal(await time.textContent(), timeIn(state.endsAt, zone));
      assert.match((await banner(page).textContent()) ?? '', /^Maintenance mode is on\. Upgrading the database\. Back soon\. Expected to end .+\.$/);
    }
    await admin.getByText('On', { exact: true }).waitFor();
    assert.ok(await admin.getByText(`by ${ADMIN}`).isVisible());
    assert.equal(await admin.getByLabel('Expected end (your local time)').inputValue(), `${year}-05-01T14:30`, 'shown back in local time');
    await assertAccessible(admin, 'maintenance-on');
    await assertAccessible(user, 'maintenance-banner-user');
    await assertAccessible(visitor, 'maintenance-banner-sign-in');

    // An end time in the past: the server's typed refusal, and nothing changes.
    await admin.getByLabel('Expected end (your local time)').fill('2001-01-01T00:00');
    await admin.getByRole('button', { name: 'Save changes' }).click();
    const refusal = admin.getByRole('alert');
    await refusal.waitFor();
    const past = await server.gql(
      `mutation { setMaintenanceMode(input: { enabled: true, endsAt: "2001-01-01T00:00:00Z" }) { __typename ... on Error { code message } } }`,
      {},
      { token: adminToken },
    );
    assert.equal(past.body.data.setMaintenanceMode.code, 'VALIDATION_FAILED');
    assert.equal(await refusal.textContent(), past.body.data.setMaintenanceMode.message);
    assert.equal((await server.gql(MAINTENANCE)).body.data.maintenance.endsAt, state.endsAt);
    await assertAccessible(admin, 'maintenance-refused');

    await admin.setViewportSize(NARROW);
    await assertAccessible(admin, 'maintenance-on-390');
    await admin.setViewportSize(WIDE);

    await admin.getByRole('button', { name: 'Turn off maintenance mode' }).click();
    await Promise.all([
      banner(user).getByText('Maintenance mode is on').waitFor({ state: 'detached', timeout: BANNER_BUDGET_MS }),
      banner(visitor).getByText('Maintenance mode is on').waitFor({ state: 'detached', timeout: BANNER_BUDGET_MS }),
    ]);
    await admin.getByText('Off', { exact: true }).waitFor();
    assert.equal((await server.gql(MAINTENANCE)).body.data.maintenance.enabled, false);
    assert.equal(await banner(admin).textContent(), '');

    // The visitor signs in: the banner follows on the new (signed-in) socket.
    await signIn(visitor, READER, STRONG_PASSWORD);
    await visitorTab.followingLive();
    await server.gql(`mutation { setMaintenanceMode(input: { enabled: true, message: "Second window" }) { __typename } }`, {}, { token: adminToken });
    await banner(visitor).getByText('Second window').waitFor({ timeout: BANNER_BUDGET_MS });
    await server.gql(`mutation { setMaintenanceMode(input: { enabled: false }) { __typename } }`, {}, { token: adminToken });
    await banner(visitor).getByText('Second window').waitFor({ state: 'detached', timeout: BANNER_BUDGET_MS });
    // And after signing out again.
    await visitor.getByRole('button', { name: 'Sign out' }).click();
    await visitor.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
    await visitorTab.followingLive();
    await server.gql(`mutation { setMaintenanceMode(input: { enabled: true, message: "Third window" }) { __typename } }`, {}, { token: adminToken });
    await banner(visitor).getByText('Third window').waitFor({ timeout: BANNER_BUDGET_MS });
    await server.gql(`mutation { setMaintenanceMode(input: { enabled: false }) { __typename } }`, {}, { token: adminToken });
    await banner(visitor).getByText('Third window').waitFor({ state: 'detached', timeout: BANNER_BUDGET_MS });

    for (const tab of [adminTab, userTab, visitorTab]) {
      assert.deepEqual(tab.errors, [], 'no script errors or CSP violations');
      await tab.page.context().close();
    }
  });

  test('a user without maintenance:write or database:read is not offered either page; opened anyway, no switch and the typed refusal', async () => {
    const { page, errors } = await open('');
    await signIn(page, USER, STRONG_PASSWORD);
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Maintenance' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Database' }).count(), 0);

    await page.goto(`${server.origin}/admin/maintenance`);
    await page.getByText('Off', { exact: true }).waitFor();
    await page.getByText('Changing maintenance mode needs the permission maintenance:write.').waitFor();
    assert.equal(await page.getByRole('button', { name: /Turn on|Turn off|Save/ }).count(), 0);
    await assertAccessible(page, 'maintenance-not-allowed');

    await page.goto(`${server.origin}/admin/database`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const refused = await server.gql(BACKUPS, {}, { token: userToken });
    assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(await alert.textContent(), refused.body.errors![0]!.message);
    assert.equal(await page.getByRole('button', { name: /Download|Create backup|Upload/ }).count(), 0);
    await assertAccessible(page, 'database-refused');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  describe('database page (admin)', () => {
    let page: Page;
    let errors: string[];
    let first: string;
    let downloaded: string;

    before(async () => {
      ({ page, errors } = await open(''));
      await signIn(page, ADMIN, STRONG_PASSWORD);
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Database' }).click();
      await page.getByRole('heading', { name: 'Database', level: 1 }).waitFor();
    });
    after(() => assert.deepEqual(errors, [], 'no script errors or CSP violations'));

    test('no backups yet: the empty state', async () => {
      await page.getByText('There are no backups yet.').waitFor();
      assert.deepEqual(await serverBackups(), []);
      await assertAccessible(page, 'database-empty');
    });

    test('create a backup: it is listed with its label, kind, size and time', async () => {
      await page.getByLabel('Label (optional)').fill('before the import');
      await page.getByRole('button', { name: 'Create backup' }).click();
      await page.getByRole('status').filter({ hasText: /^Backup gatehouse-.+\.db created\.$/ }).waitFor();
      const listed = await serverBackups();
      assert.equal(listed.length, 1);
      first = listed[0]!.name;
      assert.deepEqual([listed[0]!.kind, listed[0]!.label], ['MANUAL', 'before the import']);
      const row = backupRow(page, first);
      await row.waitFor();
      const [kind, label, size, created] = await row.getByRole('cell').allTextContents();
      assert.deepEqual([kind, label], ['Manual', 'before the import']);
      assert.match(size!, /^\d+(\.\d)? KiB$/);
      assert.equal(created, timeIn(listed[0]!.createdAt, 'UTC'));
      assert.equal(await row.locator('time').getAttribute('datetime'), listed[0]!.createdAt);
      assert.equal(await page.getByLabel('Label (optional)').inputValue(), '');
      await assertAccessible(page, 'database-backups');
    });

    test('download: the browser saves a SQLite database', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the database' }).click()]);
      assert.match(download.suggestedFilename(), /^gatehouse-\d{8}T\d{6}Z\.db$/);
      downloaded = join(scratch, download.suggestedFilename());
      await download.saveAs(downloaded);
      assert.equal(await download.failure(), null);
      assert.equal(readFileSync(downloaded).subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
      await page.getByRole('status').filter({ hasText: 'The download has started.' }).waitFor();
    });

    test('restore: confirmed, the data created after the backup is gone; the viewer stays signed in', async () => {
      await createConfirmedUser(server, 'after-backup@example.com');
      assert.deepEqual(await emailsLike('after-backup'), ['after-backup@example.com']);
      await backupRow(page, first).getByRole('button', { name: 'Restore' }).click();
      const confirm = dialog(page, 'Replace the current data with this backup?');
      await confirm.getByText('All current data is replaced').waitFor();
      await assertAccessible(page, 'database-restore-confirm');
      await confirm.getByRole('button', { name: 'Replace the current data' }).click();
      await page.getByRole('status').filter({ hasText: `The database was replaced with ${first}.` }).waitFor();
      await confirm.waitFor({ state: 'hidden' });
      assert.deepEqual(await emailsLike('after-backup'), []);
      // The safety backup of the data as it was is listed too; the admin is still signed in.
      const safety = (await serverBackups()).find((b) => b.kind === 'SAFETY');
      assert.ok(safety, 'a safety backup');
      await backupRow(page, safety.name).getByRole('cell', { name: 'Safety (before a replace)' }).waitFor();
      assert.ok(await page.getByRole('button', { name: 'Sign out' }).isVisible());
      await assertAccessible(page, 'database-restored');
    });

    test('delete: cancel keeps the backup; confirm deletes it', async () => {
      const safety = (await serverBackups()).find((b) => b.kind === 'SAFETY')!.name;
      await backupRow(page, safety).getByRole('button', { name: 'Delete' }).click();
      const confirm = dialog(page, 'Delete this backup?');
      await confirm.getByText(safety).waitFor();
      await assertAccessible(page, 'database-delete-confirm');
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'hidden' });
      assert.ok((await serverBackups()).some((b) => b.name === safety), 'cancel deletes nothing');
      assert.ok(await backupRow(page, safety).isVisible());

      await backupRow(page, safety).getByRole('button', { name: 'Delete' }).click();
      await confirm.getByRole('button', { name: 'Delete backup' }).click();
      await page.getByRole('status').filter({ hasText: `Backup ${safety} deleted.` }).waitFor();
      await backupRow(page, safety).waitFor({ state: 'detached' });
      assert.deepEqual((await serverBackups()).map((b) => b.name), [first]);
    });

    test('upload a text file renamed .sqlite: the server’s refusal in the dialog, nothing changed', async () => {
      const before = await tableChecksums(server, ['audit_events']);
      const backupsBefore = await serverBackups();
      const upload = page.getByRole('button', { name: 'Upload and replace' });
      assert.ok(await upload.isDisabled(), 'nothing to upload before a file is chosen');
      const notes = Buffer.from('These are my notes, not a database.\n'.repeat(40));
      await page.getByLabel('Database file').setInputFiles({ name: 'notes.sqlite', mimeType: 'application/vnd.sqlite3', buffer: notes });
      await upload.click();
      const confirm = dialog(page, 'Replace the current data with this file?');
      await confirm.getByText('notes.sqlite').waitFor();
      await confirm.getByRole('button', { name: 'Replace the current data' }).click();
      const alert = confirm.getByRole('alert');
      await alert.waitFor();
      assert.deepEqual(await tableChecksums(server, ['audit_events']), before, 'no table changed');
      assert.deepEqual(await serverBackups(), backupsBefore, 'no safety backup either');
      // The server's typed refusal of the same file, word for word.
      const refused = (await uploadDatabase(server, notes, { token: adminToken, filename: 'notes.sqlite' })).body.data.uploadDatabase;
      assert.equal(refused.code, 'NOT_SQLITE');
      assert.equal(await alert.textContent(), refused.message);
      await assertAccessible(page, 'database-upload-refused');
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'hidden' });
    });

    test('upload a file over MAX_UPLOAD_MB: the server’s TOO_LARGE message, nothing changed', async () => {
      const before = await tableChecksums(server, ['audit_events']);
      await page.getByLabel('Database file').setInputFiles({ name: 'huge.db', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2.5 * 1024 * 1024, 1) });
      await page.getByRole('button', { name: 'Upload and replace' }).click();
      const confirm = dialog(page, 'Replace the current data with this file?');
      await confirm.getByRole('button', { name: 'Replace the current data' }).click();
      const alert = confirm.getByRole('alert');
      await alert.waitFor();
      const refused = await uploadDatabase(server, Buffer.alloc(2.5 * 1024 * 1024, 1), { token: adminToken });
      assert.equal(refused.status, 413);
      assert.equal(refused.body.errors[0].extensions.code, 'TOO_LARGE');
      assert.equal(await alert.textContent(), refused.body.errors[0].message);
      assert.deepEqual(await tableChecksums(server, ['audit_events']), before);
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'hidden' });
    });

    test('upload the downloaded copy: progress while it is sent, then the data is the copy’s', async () => {
      await createConfirmedUser(server, 'after-download@example.com');
      await page.getByLabel('Database file').setInputFiles(downloaded);
      await page.getByRole('button', { name: 'Upload and replace' }).click();
      const confirm = dialog(page, 'Replace the current data with this file?');
      // A slow uplink (Chromium's network emulation) so the progress can be seen part way.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 32 * 1024 });
      try {
        await confirm.getByRole('button', { name: 'Replace the current data' }).click();
        await page.waitForFunction(() => {
          const bar = document.querySelector('dialog[open] progress[aria-label="Upload progress"]') as HTMLProgressElement | null;
          return bar !== null && bar.value > 0 && bar.value < bar.max;
        });
        assert.match((await confirm.getByRole('status').textContent())!, /^Uploading… [\d.]+ (B|KiB) of [\d.]+ KiB$/);
        await assertAccessible(page, 'database-uploading');
      } finally {
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      }
      await page.getByRole('status').filter({ hasText: /^The database was replaced with gatehouse-.+\.db\./ }).waitFor({ timeout: 30_000 });
      await confirm.waitFor({ state: 'hidden' });
      assert.deepEqual(await emailsLike('after-download'), [], 'the uploaded data replaced the current');
      assert.deepEqual(await emailsLike('ordinary'), [USER]);
      assert.ok(await page.getByRole('button', { name: 'Sign out' }).isVisible(), 'the session was in the copy');
      await assertAccessible(page, 'database-uploaded');
    });

    test('at 390 px the backups and actions still fit and stay accessible', async () => {
      await page.setViewportSize(NARROW);
      await backupRow(page, first).getByRole('button', { name: 'Restore' }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px)`);
      await assertAccessible(page, 'database-390');
      await page.setViewportSize(WIDE);
    });

    test('a restore to a backup older than the viewer’s session signs them out, and says so', async () => {
      // A new sign-in: this session is newer than the backup `first`.
      const { page: late, errors: lateErrors } = await open('');
      await signIn(late, ADMIN, STRONG_PASSWORD);
      await late.goto(`${server.origin}/admin/database`);
      await backupRow(late, first).getByRole('button', { name: 'Restore' }).click();
      await dialog(late, 'Replace the current data with this backup?').getByRole('button', { name: 'Replace the current data' }).click();
      // The session is not in the restored data: the console hears it end and shows sign-in, saying why.
      await late.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
      assert.match((await late.getByRole('status').first().textContent()) ?? '', /session/i);
      await assertAccessible(late, 'database-restored-signed-out');
      assert.deepEqual(lateErrors, []);
      await late.context().close();
    });
  });

  test('a viewer with database:read only sees the backups and can download, but is offered no change', async () => {
    const { page, errors } = await open('', { viewport: NARROW });
    await signIn(page, READER, STRONG_PASSWORD);
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Maintenance' }).count(), 0);
    await nav.getByRole('link', { name: 'Database' }).click();
    const names = (await serverBackups()).map((b) => b.name);
    assert.ok(names.length > 0);
    for (const name of names) await page.getByRole('rowheader', { name }).waitFor();
    for (const button of ['Create backup', 'Restore', 'Delete', 'Upload and replace']) {
      assert.equal(await page.getByRole('button', { name: button }).count(), 0, `no ${button}`);
    }
    assert.equal(await page.getByLabel('Database file').count(), 0);
    assert.equal(await page.getByRole('columnheader', { name: 'Actions' }).count(), 0);
    await assertAccessible(page, 'database-read-only-390');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the database' }).click()]);
    const path = join(scratch, 'reader.db');
    await download.saveAs(path);
    assert.equal(readFileSync(path).subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
