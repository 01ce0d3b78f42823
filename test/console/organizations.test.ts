// The console's organization pages in Chromium against the real server: an admin lists and searches
// every organization, opens one, sees its members, invites an address (the mail reaches the real
// SMTP server), revokes that invitation, removes a member, and deletes the organization; a refused
// invitation shows the server's field message. axe-core and a screenshot on each page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { addMemberByInvitation, createOrg, dataOf, MEMBERS, organizationSnapshot } from '../organizations/org-helpers.ts';
import { assertAccessible, launchChromium, openConsole, signIn } from './console-page.ts';

const ADMIN = 'root@orgs-console.test';

describe('console: organizations', () => {
  let server: TestServer;
  let browser: Browser;
  let admin: string;
  let orgId: string;
  let member: { token: string; userId: string; email: string };

  before(async () => {
    server = await startTestServer({ ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: STRONG_PASSWORD });
    ({ token: admin } = await login(server, ADMIN));
    const owner = await createConfirmedUser(server, 'owner@orgs-console.test');
    member = { ...(await createConfirmedUser(server, 'member@orgs-console.test')), email: 'member@orgs-console.test' };
    orgId = await createOrg(server, owner.token, 'Console Co', 'console-co');
    await createOrg(server, owner.token, 'Elsewhere Ltd', 'elsewhere');
    await addMemberByInvitation(server, owner.token, orgId, member);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('list, search, open; invite, revoke, remove a member; delete', async () => {
    const { page, errors, close } = await openConsole(browser, server.origin, '/organizations');
    try {
      await signIn(page, ADMIN, STRONG_PASSWORD);
      await page.getByRole('heading', { name: 'Organizations' }).waitFor();
      await page.getByRole('link', { name: 'Console Co' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Elsewhere Ltd' }).count(), 1);
      await assertAccessible(page, 'organizations');
      await page.getByLabel('Search organizations').fill('console');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: 'Elsewhere Ltd' }).waitFor({ state: 'detached' });
      await page.getByRole('link', { name: 'Console Co' }).click();

      await page.getByRole('heading', { name: 'Console Co', level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'Members (2)' }).waitFor();
      assert.ok(await page.getByRole('cell', { name: member.email, exact: true }).isVisible());
      await assertAccessible(page, 'organization');

      // A refusal shows the server's message beside the field, and sends nothing.
      server.mail.take();
      // The browser takes an address without a dot in its domain; the server does not.
      await page.getByLabel('Email').fill('guest@localhost');
      await page.getByRole('button', { name: 'Send invitation' }).click();
      await page.getByRole('alert').filter({ hasText: 'Some fields need a change' }).waitFor();
      await page.getByText('Enter a valid email address').waitFor();
      assert.deepEqual(server.mail.take(), []);

      await page.getByLabel('Email').fill('guest@orgs-console.test');
      await page.getByLabel('Role').selectOption('admin');
      await page.getByRole('button', { name: 'Send invitation' }).click();
      await page.getByRole('status').filter({ hasText: 'Invited guest@orgs-console.test.' }).waitFor();
      const mail = await server.mail.waitFor('guest@orgs-console.test', /invited to join Console Co/);
      assert.match(mail.text, /accept-invitation\?token=/);
      await page.getByRole('cell', { name: 'guest@orgs-console.test', exact: true }).waitFor();

      await page.getByRole('button', { name: 'Revoke guest@orgs-console.test' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
      await page.getByRole('status').filter({ hasText: 'Revoked the invitation to guest@orgs-console.test.' }).waitFor();
      await page.getByText('No pending invitations.').waitFor();

      await page.getByRole('button', { name: `Remove ${member.email}` }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
      await page.getByRole('heading', { name: 'Members (1)' }).waitFor();
      assert.equal(dataOf(await server.gql(MEMBERS, { id: orgId }, { token: admin })).organization.memberCount, 1);

      await page.getByRole('button', { name: 'Delete organization' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete organization' }).click();
      await page.getByRole('heading', { name: 'Organizations' }).waitFor();
      await page.getByRole('status').filter({ hasText: 'Deleted the organization Console Co.' }).waitFor();
      const left = (await organizationSnapshot(server)) as { organizations: Array<{ slug: string }> };
      assert.deepEqual(left.organizations.map((o) => o.slug), ['elsewhere']);
      assert.deepEqual(errors(), []);
    } finally {
      await close();
    }
  });
});
