// The console's roles & permissions editor and audit log in Chromium against the real server: an
// admin creates, edits and deletes a role and a permission (cancelled deletions change nothing),
// refusals show the server's typed messages, a roles:read-only viewer is offered no change, and the
// audit log lists, filters (in the URL), pages and empties; a viewer without audit:read sees the
// refusal. axe-core and a screenshot on every state, at 1280 px and 390 px.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { accessSnapshot, ASSIGN_ROLES, CREATE_PERMISSION, CREATE_ROLE, dataOf, PERMISSIONS, ROLES, UPDATE_ROLE } from '../access/access-helpers.ts';
import { assertAccessible, launchChromium, openConsole, signIn, type ConsolePage } from './console-page.ts';

const ADMIN = 'root@example.com';
const READER = 'reader@example.com';
const AUDIT_LOG = `query($first: Int, $filter: AuditEventFilter) {
  auditEvents(first: $first, filter: $filter) { edges { node { id action actorId targetId details } } pageInfo { hasNextPage } }
}`;

describe('console: roles, permissions and the audit log', () => {
  let server: TestServer;
  let browser: Browser;
  let admin: string;
  let managerId: string;

  const gql = (query: string, variables: Record<string, unknown> = {}, token = admin) => server.gql(query, variables, { token });
  const role = async (name: string) => dataOf(await gql(ROLES)).roles.find((r: any) => r.name === name);
  const permissionNames = async () => dataOf(await gql(PERMISSIONS)).permissions.map((p: any) => p.name);
  const events = async (filter: Record<string, unknown>) => dataOf(await gql(AUDIT_LOG, { first: 100, filter })).auditEvents.edges.map((e: any) => e.node);

  /** The role's card on the roles page, found by its heading. */
  const card = (page: Page, name: string): Locator =>
    page.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 3, name: new RegExp(`^${name}( built in)?$`) }) });
  const newRole = (page: Page) => page.locator('section', { has: page.getByRole('heading', { name: 'New role' }) });
  const rows = (page: Page) => page.getByRole('table').locator('tbody tr');
  const actionsShown = async (page: Page) => (await page.getByRole('table').locator('tbody td[data-label="Action"]').allTextContents()).map((t) => t.replace(' (show only this action)', ''));

  /** An audit row's details as shown: term → description. */
  const facts = (row: Locator) =>
    row.locator('td[data-label="Details"] dl').evaluate((dl) => Object.fromEntries([...dl.querySelectorAll('div')].map((d) => [d.querySelector('dt')!.textContent, d.querySelector('dd')!.textContent])));

  /** The `name` fact of every row shown (the role or permission an event is about). */
  const shownNames = (page: Page) =>
    rows(page)
      .locator('td[data-label="Details"] dl')
      .evaluateAll((dls) => dls.map((dl) => [...dl.querySelectorAll('div')].find((d) => d.querySelector('dt')?.textContent === 'name')?.querySelector('dd')?.textContent));

  async function asAdmin(path: string, viewport?: { width: number; height: number }): Promise<ConsolePage> {
    const opened = await openConsole(browser, server.origin, path, viewport);
    await signIn(opened.page, ADMIN, STRONG_PASSWORD);
    return opened;
  }

  before(async () => {
    server = await startTestServer({ ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: STRONG_PASSWORD });
    ({ token: admin } = await login(server, ADMIN));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('an admin creates a role with two permissions, edits it, and deletes it after a cancelled first try', async () => {
    const { page, errors, close } = await asAdmin('/roles');
    await page.getByRole('heading', { name: 'Roles and permissions' }).waitFor();
    assert.ok(await card(page, 'admin').getByText('Permissions: all of them, including ones added later.').isVisible());
    assert.ok(await card(page, 'user').getByText('Every account holds this role.').isVisible());
    assert.equal(await card(page, 'admin').getByRole('button', { name: 'Delete' }).count(), 0, 'built-in roles are not offered for deletion');
    await assertAccessible(page, 'roles');

    const form = newRole(page);
    await form.getByLabel('Role name').fill('support');
    await form.getByLabel('Role description').fill('Help desk');
    await form.getByRole('checkbox', { name: 'users:read' }).check();
    await form.getByRole('checkbox', { name: 'audit:read' }).check();
    await form.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('status').filter({ hasText: 'Role “support” created.' }).waitFor();
    assert.deepEqual(await card(page, 'support').getByRole('list', { name: 'Permissions of support' }).getByRole('listitem').allTextContents(), ['audit:read', 'users:read']);
    const created = await role('support');
    assert.equal(created.description, 'Help desk');
    assert.deepEqual(created.permissions.map((p: any) => p.name), ['audit:read', 'users:read'], 'exactly the two permissions checked');
    assert.equal(await form.getByLabel('Role name').inputValue(), '', 'the form is empty again');
    await assertAccessible(page, 'roles-created');

    // Refusals: a taken name (NameTakenError) and a bad one (ValidationError, under its field).
    await form.getByLabel('Role name').fill('support');
    await form.getByRole('button', { name: 'Create role' }).click();
    const taken = dataOf(await gql(CREATE_ROLE, { input: { name: 'support' } })).createRole;
    assert.equal(taken.code, 'NAME_TAKEN');
    await form.getByRole('alert').filter({ hasText: taken.message }).waitFor();
    await form.getByLabel('Role name').fill('Help Desk');
    await form.getByRole('button', { name: 'Create role' }).click();
    const invalid = dataOf(await gql(CREATE_ROLE, { input: { name: 'Help Desk' } })).createRole;
    assert.equal(invalid.__typename, 'ValidationError');
    await form.getByRole('alert').filter({ hasText: invalid.message }).waitFor();
    const nameField = form.getByLabel('Role name');
    assert.equal(await nameField.getAttribute('aria-invalid'), 'true');
    const problemId = (await nameField.getAttribute('aria-describedby'))!.split(' ').find((id) => id.endsWith('-errors'))!;
    assert.equal(await form.locator(`[id="${problemId}"]`).textContent(), invalid.fields[0].messages.join(' '), 'the field problem is under the field and read with it');
    await assertAccessible(page, 'roles-create-refused');

    // Edit: rename, new description, one permission out and one in.
    await card(page, 'support').getByRole('button', { name: 'Edit role support' }).click();
    const editing = page.getByRole('article', { name: 'Edit role “support”' });
    assert.equal(await editing.getByLabel('Role name').evaluate((input) => input === document.activeElement), true, 'focus moves into the form');
    await editing.getByLabel('Role name').fill('helpdesk');
    await editing.getByLabel('Role description').fill('Help desk team');
    await editing.getByRole('checkbox', { name: 'audit:read' }).uncheck();
    await editing.getByRole('checkbox', { name: 'users:write' }).check();
    await editing.getByRole('button', { name: 'Save role' }).click();
    await page.getByRole('status').filter({ hasText: 'Role “helpdesk” saved.' }).waitFor();
    assert.equal(await role('support'), undefined);
    const edited = await role('helpdesk');
    assert.equal(edited.id, created.id);
    assert.equal(edited.description, 'Help desk team');
    assert.deepEqual(edited.permissions.map((p: any) => p.name), ['users:read', 'users:write']);
    assert.ok(await card(page, 'helpdesk').getByRole('button', { name: 'Edit role helpdesk' }).evaluate((b) => b === document.activeElement), 'focus back on Edit');

    // Renaming onto a taken name is refused with the server's message; nothing changes.
    await card(page, 'helpdesk').getByRole('button', { name: 'Edit role helpdesk' }).click();
    const again = page.getByRole('article', { name: 'Edit role “helpdesk”' });
    await again.getByLabel('Role name').fill('admin');
    await again.getByRole('button', { name: 'Save role' }).click();
    const renamed = dataOf(await gql(UPDATE_ROLE, { input: { name: 'helpdesk', newName: 'admin' } })).updateRole;
    assert.equal(renamed.code, 'NAME_TAKEN');
    await again.getByRole('alert').filter({ hasText: renamed.message }).waitFor();
    await assertAccessible(page, 'roles-edit-refused');
    await again.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await role('helpdesk')).name, 'helpdesk');

    // A built-in role keeps its name; admin's permissions are not offered for editing.
    await card(page, 'admin').getByRole('button', { name: 'Edit role admin' }).click();
    const adminForm = page.getByRole('article', { name: 'Edit role “admin”' });
    assert.equal(await adminForm.getByLabel('Role name').isDisabled(), true);
    assert.equal(await adminForm.getByRole('checkbox').count(), 0);
    await adminForm.getByRole('button', { name: 'Cancel' }).click();

    // Delete: cancelled first (nothing changes), then confirmed.
    await card(page, 'helpdesk').getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the role “helpdesk”?' });
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /No account holds it\./);
    const before = await accessSnapshot(server);
    await assertAccessible(page, 'roles-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(await accessSnapshot(server), before, 'cancel changes nothing');
    assert.ok(await card(page, 'helpdesk').isVisible());

    await card(page, 'helpdesk').getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete role' }).click();
    await page.getByRole('status').filter({ hasText: 'Role “helpdesk” deleted.' }).waitFor();
    assert.equal(await card(page, 'helpdesk').count(), 0);
    assert.equal(await role('helpdesk'), undefined);
    assert.deepEqual(errors(), []);
    await close();
  });

  test('an admin creates and deletes a permission; a taken name is refused; built-in ones cannot be deleted', async () => {
    const { page, errors, close } = await asAdmin('/roles');
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Permissions', exact: true }) });
    const table = section.getByRole('table');
    await table.waitFor();
    const builtInRow = table.getByRole('row').filter({ has: page.getByText('users:read', { exact: true }) });
    assert.equal(await builtInRow.getByRole('button', { name: 'Delete' }).count(), 0, 'built-in permissions are not offered for deletion');

    await section.getByLabel('Permission name').fill('reports:read');
    await section.getByLabel('Permission description').fill('Read the reports.');
    await section.getByRole('button', { name: 'Create permission' }).click();
    await page.getByRole('status').filter({ hasText: 'Permission “reports:read” created.' }).waitFor();
    const row = table.getByRole('row').filter({ has: page.getByText('reports:read', { exact: true }) });
    assert.equal(await row.getByRole('cell', { name: 'Read the reports.' }).count(), 1);
    assert.ok((await permissionNames()).includes('reports:read'));
    assert.equal(await newRole(page).getByRole('checkbox', { name: 'reports:read' }).count(), 1, 'offered to new roles at once');

    await section.getByLabel('Permission name').fill('reports:read');
    await section.getByRole('button', { name: 'Create permission' }).click();
    const taken = dataOf(await gql(CREATE_PERMISSION, { input: { name: 'reports:read' } })).createPermission;
    assert.equal(taken.code, 'NAME_TAKEN');
    await section.getByRole('alert').filter({ hasText: taken.message }).waitFor();
    await assertAccessible(page, 'permissions-refused');

    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the permission “reports:read”?' });
    await dialog.waitFor();
    const before = await accessSnapshot(server);
    await assertAccessible(page, 'permissions-delete-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(await accessSnapshot(server), before, 'Escape cancels: nothing changes');

    await row.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete permission' }).click();
    await page.getByRole('status').filter({ hasText: 'Permission “reports:read” deleted.' }).waitFor();
    assert.equal(await row.count(), 0);
    assert.ok(!(await permissionNames()).includes('reports:read'));
    assert.deepEqual(errors(), []);
    await close();
  });

  test('a viewer with roles:read only sees roles and permissions but is offered no change, and no audit log', async () => {
    dataOf(await gql(CREATE_ROLE, { input: { name: 'auditor', description: 'Reads the access model.', permissions: ['roles:read'] } }));
    const { userId } = await createConfirmedUser(server, READER);
    assert.equal(dataOf(await gql(ASSIGN_ROLES, { userId, roles: ['auditor'] })).assignRoles.__typename, 'User');

    const { page, errors, close } = await openConsole(browser, server.origin, '/roles');
    await signIn(page, READER, STRONG_PASSWORD);
    await card(page, 'auditor').waitFor();
    assert.match((await card(page, 'auditor').textContent()) ?? '', /1 account holds this role\./);
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Roles' }).count(), 1);
    assert.equal(await nav.getByRole('link', { name: 'Audit log' }).count(), 0, 'no audit link without audit:read');
    for (const name of [/^Edit/, /^Delete/, 'Create role', 'Create permission']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button`);
    }
    assert.equal(await page.getByRole('heading', { name: 'New role' }).count(), 0);
    assert.ok(await page.getByRole('table').getByText('database:write', { exact: true }).isVisible());
    await assertAccessible(page, 'roles-read-only');
    await page.setViewportSize({ width: 390, height: 800 });
    await assertAccessible(page, 'roles-read-only-390');

    // Opened anyway, the audit log shows the server's refusal.
    await page.goto(`${server.origin}/admin/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const refused = await server.gql(AUDIT_LOG, {}, { token: (await login(server, READER)).token });
    assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    await page.getByRole('alert').filter({ hasText: refused.body.errors![0]!.message }).waitFor();
    assert.equal(await page.getByRole('table').count(), 0);
    await assertAccessible(page, 'audit-refused');
    assert.deepEqual(errors(), []);
    await close();
  });

  test('a viewer with roles:write is offered only the permissions it holds to grant', async () => {
    dataOf(await gql(CREATE_ROLE, { input: { name: 'access-manager', permissions: ['roles:read', 'roles:write'] } }));
    ({ userId: managerId } = await createConfirmedUser(server, 'manager@example.com'));
    dataOf(await gql(ASSIGN_ROLES, { userId: managerId, roles: ['access-manager'] }));

    const { page, errors, close } = await openConsole(browser, server.origin, '/roles');
    await signIn(page, 'manager@example.com', STRONG_PASSWORD);
    const form = newRole(page);
    const held = form.getByRole('checkbox', { name: 'roles:read' });
    const notHeld = form.getByRole('checkbox', { name: 'database:write' });
    await held.waitFor();
    assert.equal(await held.isEnabled(), true);
    assert.equal(await notHeld.isDisabled(), true, 'a permission the viewer does not hold is not offered');
    const noteId = (await notHeld.getAttribute('aria-describedby'))!;
    assert.match((await form.locator(`[id="${noteId}"]`).textContent()) ?? '', /You do not hold it, so you cannot grant it\./);
    await assertAccessible(page, 'roles-manager');

    await form.getByLabel('Role name').fill('delegate');
    await held.check();
    await form.getByRole('button', { name: 'Create role' }).click();
    await card(page, 'delegate').waitFor();
    assert.deepEqual((await role('delegate')).permissions.map((p: any) => p.name), ['roles:read']);
    assert.deepEqual(errors(), []);
    await close();
  });

  test('the admin at 390 px: the roles page still works', async () => {
    const { page, close } = await asAdmin('/roles', { width: 390, height: 800 });
    await card(page, 'admin').waitFor();
    assert.ok(await newRole(page).getByRole('button', { name: 'Create role' }).isVisible());
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling (${width} px)`);
    await assertAccessible(page, 'roles-390');
    await close();
  });

  test('the audit log lists the changes, filters them through the URL, pages forward and back, and has an empty state', async () => {
    // More permission.create events than one page holds.
    for (let i = 1; i <= 30; i++) {
      assert.equal(dataOf(await gql(CREATE_PERMISSION, { input: { name: `bulk:p${String(i).padStart(2, '0')}` } })).createPermission.__typename, 'Permission');
    }
    const { page, errors, close } = await asAdmin('/audit');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await rows(page).first().waitFor();
    assert.equal(await rows(page).count(), 25, 'a full first page');
    // Newest first: this sign-in, then the bulk permissions from the last one down.
    assert.deepEqual(await actionsShown(page), ['auth.login', ...Array(24).fill('permission.create')]);
    assert.deepEqual(await shownNames(page), Array.from({ length: 24 }, (_, i) => `bulk:p${String(30 - i).padStart(2, '0')}`));
    await assertAccessible(page, 'audit');

    // The earlier tests' changes are there: filter by action through the form.
    await page.getByLabel('Action').fill('role.update');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/\/admin\/audit\?action=role\.update$/);
    await page.getByText('Page 1: 1 event matching the filters, newest first.').waitFor();
    const update = rows(page).first();
    assert.deepEqual(await facts(update), {
      name: 'helpdesk',
      'renamed from': 'support',
      description: 'Help desk team',
      'permissions added': 'users:write',
      'permissions removed': 'audit:read',
    });
    assert.match((await update.locator('td[data-label="Actor"]').textContent()) ?? '', new RegExp(ADMIN));
    for (const [action, names] of [
      ['role.create', ['delegate', 'access-manager', 'auditor', 'support']],
      ['permission.delete', ['reports:read']],
    ] as const) {
      await page.getByLabel('Action').fill(action);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText(`Page 1: ${names.length === 1 ? '1 event' : `${names.length} events`} matching the filters, newest first.`).waitFor();
      assert.deepEqual(await shownNames(page), names, action);
    }

    // A link to a filtered view opens the same view; an actor's link narrows it to that actor.
    await page.goto(`${server.origin}/admin/audit?action=role.create`);
    await page.getByText('Page 1: 4 events matching the filters, newest first.').waitFor();
    assert.equal(await page.getByLabel('Action').inputValue(), 'role.create');
    await rows(page).first().locator('td[data-label="Actor"]').getByRole('link', { name: 'manager@example.com (show only this actor)' }).click();
    await page.waitForURL((url) => url.searchParams.get('actor') === managerId && url.searchParams.get('action') === 'role.create');
    await page.getByText('Page 1: 1 event matching the filters, newest first.').waitFor();
    assert.deepEqual(await shownNames(page), ['delegate']);
    assert.equal(await page.getByLabel('Actor ID').inputValue(), managerId);

    // Back restores the previous filters, in the form too.
    await page.goBack();
    await page.getByText('Page 1: 4 events matching the filters, newest first.').waitFor();
    assert.equal(await page.getByLabel('Actor ID').inputValue(), '');
    assert.equal(await page.getByLabel('Action').inputValue(), 'role.create');

    // Paging: 31 permission.create events (30 here, one in the permissions test) over two pages.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL(/\/admin\/audit$/);
    await page.getByLabel('Action').fill('permission.create');
    await page.keyboard.press('Enter');
    await page.getByText('Page 1: 25 events matching the filters, newest first.').waitFor();
    const expected = (await events({ action: 'permission.create' })).map((e: any) => JSON.parse(e.details).name);
    assert.equal(expected.length, 31);
    const first = await shownNames(page);
    assert.deepEqual(first, expected.slice(0, 25));
    assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2: 6 events matching the filters, newest first.').waitFor();
    assert.deepEqual(await shownNames(page), expected.slice(25));
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true, 'the last page');
    assert.equal(await page.getByText('Page 2: 6 events', { exact: false }).evaluate((p) => p === document.activeElement), true, 'focus on the new page');
    await assertAccessible(page, 'audit-page-2');
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1: 25 events matching the filters, newest first.').waitFor();
    assert.deepEqual(await shownNames(page), first);

    // A time range: an event an hour later, and a filter from half an hour later.
    server.clock.advance(60 * 60 * 1000);
    dataOf(await gql(CREATE_PERMISSION, { input: { name: 'late:one' } }));
    const halfHourAgo = new Date(server.clock.now().getTime() - 30 * 60 * 1000).toISOString();
    const local = await page.evaluate((iso) => {
      const d = new Date(iso);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    }, halfHourAgo);
    await page.getByLabel('From').fill(local);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Page 1: 1 event matching the filters, newest first.').waitFor();
    assert.deepEqual(await shownNames(page), ['late:one']);
    assert.ok(new URL(page.url()).searchParams.get('since'), 'the time range is in the URL');

    // Empty state: nothing until the distant past.
    await page.goto(`${server.origin}/admin/audit?until=2000-01-01T00:00:00.000Z`);
    await page.getByText('No events match these filters.').waitFor();
    assert.equal(await page.getByRole('table').count(), 0);
    await assertAccessible(page, 'audit-empty');

    // A hand-made bad time in the URL shows the server's refusal, not a blank page.
    await page.goto(`${server.origin}/admin/audit?since=yesterday`);
    const badTime = await gql(AUDIT_LOG, { first: 25, filter: { since: 'yesterday' } });
    assert.equal(badTime.body.errors?.length, 1);
    await page.getByRole('alert').filter({ hasText: badTime.body.errors![0]!.message }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Clear filters' }).isVisible());

    // 390 px: each event is a card, nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${server.origin}/admin/audit?action=role.update`);
    await rows(page).first().waitFor();
    assert.ok(await rows(page).first().locator('td[data-label="Target"]').isVisible(), 'the target stays visible on a phone');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling (${width} px)`);
    await assertAccessible(page, 'audit-390');
    assert.deepEqual(errors(), []);
    await close();
  });
});
