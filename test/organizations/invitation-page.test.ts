// The page the invitation email links to (/auth/accept-invitation), over HTTP against the real server
// and SMTP catcher: GET shows the organization and role (never the invited address) without using
// the link; the POST joins only for the invited account's session and only from an allowed Origin
// (forced-join CSRF); every failure is a precise 4xx page (or 503 in maintenance) that changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { linkIn } from '../helpers/smtp.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { setMaintenance } from '../maintenance/maintenance-helpers.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { OrganizationInvitation } from '../../src/organizations/entities.ts';
import { AlreadyMemberError, InvitationEmailMismatchError } from '../../src/organizations/errors.ts';
import { InvalidTokenError, TokenExpiredError } from '../../src/errors.ts';
import { escapeHtml } from '../../src/util/html.ts';
import { createOrg, dataOf, INVITE, inviteAndReadToken, organizationSnapshot, REVOKE_INVITATION, VIEWER_ORGS } from './org-helpers.ts';

const PATH = '/auth/accept-invitation';
const EVIL = 'https://evil.example';
const INVALID = escapeHtml(new InvalidTokenError().message);
const EXPIRED = escapeHtml(new TokenExpiredError().message);
const MISMATCH = escapeHtml(new InvitationEmailMismatchError().message);

interface Page {
  status: number;
  headers: Headers;
  html: string;
}

async function pageOf(res: Response): Promise<Page> {
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/** The page shows `text` (already escaped) verbatim. */
function assertShows(page: Page, text: string): void {
  assert.ok(page.html.includes(text), `expected ${JSON.stringify(text)} in ${page.html}`);
}

/** Signs in over GraphQL and returns the session cookie (name=value) the login set. */
async function sessionCookie(server: TestServer, email: string): Promise<string> {
  const cookies = (await login(server, email)).response.headers.getSetCookie();
  assert.equal(cookies.length, 1, 'login sets one cookie');
  return cookies[0]!.split(';')[0]!;
}

function open(server: TestServer, token: string | null, cookie?: string): Promise<Page> {
  const url = new URL(PATH, server.origin);
  if (token !== null) url.searchParams.set('token', token);
  return fetch(url, { headers: cookie ? { cookie } : {} }).then(pageOf);
}

interface Submit {
  cookie?: string;
  /** The Origin header; null sends none. Default: the server's own. */
  origin?: string | null;
  headers?: Record<string, string>;
  body?: string;
}

/** Posts the page's form the way its button does (token in the body). */
function submit(server: TestServer, token: string, options: Submit = {}): Promise<Page> {
  const origin = options.origin === undefined ? server.origin : options.origin;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...options.headers };
  if (origin !== null) headers.origin = origin;
  if (options.cookie) headers.cookie = options.cookie;
  return fetch(new URL(PATH, server.origin), { method: 'POST', headers, body: options.body ?? new URLSearchParams({ token }).toString() }).then(pageOf);
}

/** The viewer's organizations and roles, read over GraphQL with a bearer token. */
async function organizationsOf(server: TestServer, token: string): Promise<Array<[string, string]>> {
  const viewer = dataOf(await server.gql(VIEWER_ORGS, {}, { token })).viewer;
  return viewer.organizations.map((o: any) => [o.id, o.viewerRole.name]);
}

describe('the invitation page', () => {
  let server: TestServer;
  let owner: { token: string; userId: string };
  let orgId: string;

  before(async () => {
    // Sessions outlive the week the expiry test moves the clock by.
    server = await startTestServer({ INVITATIONS_PER_HOUR: '100', SESSION_TTL: '365d', SESSION_IDLE_TTL: '365d' });
    owner = await createConfirmedUser(server, 'owner@page.test');
    orgId = await createOrg(server, owner.token, 'Page <Co> & "Sons"', 'page-co');
  });
  after(() => server.close());

  test('the emailed link opens the page (no 404): organization and role, escaped, and the link is not used', async () => {
    server.mail.take();
    dataOf(await server.gql(INVITE, { id: orgId, email: 'linked@page.test', role: 'admin' }, { token: owner.token }));
    const link = linkIn(await server.mail.waitFor('linked@page.test', /invited to join/));
    assert.equal(link.pathname, PATH);
    const before = await organizationSnapshot(server);
    const page = await pageOf(await fetch(link));
    assert.equal(page.status, 200, page.html);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.html, /Page &lt;Co&gt; &amp; &quot;Sons&quot;/);
    assert.ok(!page.html.includes('<Co>'), 'the organization name is escaped');
    assert.match(page.html, /<strong>admin<\/strong>/);
    // Signed out: how to go on, and not whom the invitation was for.
    assert.match(page.html, /sign in<\/a> with the email address this invitation was sent to/);
    assert.match(page.html, /href="\/admin\/"/);
    assert.ok(!page.html.includes('linked@page.test'), 'the invited address is not shown');
    assert.ok(!page.html.includes('<form'), 'no button for someone not signed in');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'.*frame-ancestors 'none'/);
    assert.deepEqual(await organizationSnapshot(server), before, 'opening the link changes nothing');
  });

  test('a stale session cookie reads as signed out, and the page clears it (a live one is left alone)', async () => {
    const token = await inviteAndReadToken(server, owner.token, orgId, 'stale@page.test', 'member');
    const sessionCookies = (page: Page) => page.headers.getSetCookie().filter((c) => c.startsWith('gatehouse_session='));
    const stale = await open(server, token, `gatehouse_session=${'s'.repeat(43)}`);
    assert.equal(stale.status, 200, stale.html);
    assert.match(stale.html, /sign in<\/a> with the email address this invitation was sent to/);
    const [cleared, ...more] = sessionCookies(stale);
    assert.deepEqual(more, [], 'one Set-Cookie for the session cookie');
    assert.match(cleared!, /^gatehouse_session=;/);
    assert.ok(Date.parse(/Expires=([^;]+)/i.exec(cleared!)![1]!) < Date.now(), cleared);
    // A POST with it clears it too (and joins nothing).
    const posted = await submit(server, token, { cookie: `gatehouse_session=${'s'.repeat(43)}` });
    assert.equal(posted.status, 401, posted.html);
    assert.match(sessionCookies(posted)[0] ?? '', /^gatehouse_session=;/);

    await createConfirmedUser(server, 'stale@page.test');
    const live = await open(server, token, await sessionCookie(server, 'stale@page.test'));
    assert.equal(live.status, 200, live.html);
    assert.deepEqual(sessionCookies(live), [], 'a live session cookie is not touched');
  });

  test('signed in as the invited address: who is signed in and the button; its POST joins with the role, once', async () => {
    const invitee = await createConfirmedUser(server, 'joiner@page.test');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'Joiner@Page.test', 'admin');
    const cookie = await sessionCookie(server, 'joiner@page.test');
    const shown = await open(server, token, cookie);
    assert.equal(shown.status, 200, shown.html);
    assert.match(shown.html, /You are signed in as <strong>joiner@page\.test<\/strong>/);
    assertShows(shown, `<form method="post" action="${PATH}">`);
    assertShows(shown, `name="token" value="${token}"`);
    assert.match(shown.html, /Accept the invitation<\/button>/);
    // The button's POST must carry the Origin: same-origin still sends no Referer elsewhere.
    assert.equal(shown.headers.get('referrer-policy'), 'same-origin');
    assert.deepEqual(await organizationsOf(server, invitee.token), [], 'showing the button joins nothing');

    const accepted = await submit(server, token, { cookie });
    assert.equal(accepted.status, 200, accepted.html);
    assert.match(accepted.html, /You are now a member of <strong>Page &lt;Co&gt; &amp; &quot;Sons&quot;<\/strong> with the role <strong>admin<\/strong>/);
    assert.deepEqual(await organizationsOf(server, invitee.token), [[orgId, 'admin']]);
    const em = server.gatehouse.services.orm.em.fork();
    const audited = await em.find(AuditEvent, { action: 'organization.accept_invitation', actorId: invitee.userId });
    assert.equal(audited.length, 1, 'acceptInvitation wrote its audit row');

    const reused = await submit(server, token, { cookie });
    assert.equal(reused.status, 400);
    assertShows(reused, INVALID);
    const reopened = await open(server, token, cookie);
    assert.equal(reopened.status, 400);
    assertShows(reopened, INVALID);
    assert.deepEqual(await organizationsOf(server, invitee.token), [[orgId, 'admin']]);
  });

  test('forced join: a POST without Origin, with a foreign or opaque one is a 403 and joins nothing', async () => {
    const invitee = await createConfirmedUser(server, 'victim@page.test');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'victim@page.test');
    const cookie = await sessionCookie(server, 'victim@page.test');
    for (const origin of [null, EVIL, 'null', `${server.origin}.evil.example`]) {
      const before = await organizationSnapshot(server);
      const refused = await submit(server, token, { cookie, origin });
      assert.equal(refused.status, 403, `${origin}: ${refused.html}`);
      assert.match(refused.html, /must be sent from this server’s own page/);
      assert.deepEqual(await organizationSnapshot(server), before, String(origin));
    }
    assert.deepEqual(await organizationsOf(server, invitee.token), []);
    // The same session from the server's own origin joins: the refusals were the Origin's.
    assert.equal((await submit(server, token, { cookie })).status, 200);
    assert.deepEqual(await organizationsOf(server, invitee.token), [[orgId, 'member']]);
  });

  test('signed out, a POST is refused with how to sign in, and the link still works afterwards', async () => {
    const token = await inviteAndReadToken(server, owner.token, orgId, 'later@page.test');
    const before = await organizationSnapshot(server);
    for (const cookie of [undefined, 'gatehouse_session=not-a-session']) {
      const refused = await submit(server, token, { cookie });
      assert.equal(refused.status, 401, refused.html);
      assert.match(refused.html, /Sign in with the address the invitation was sent to/);
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    const invitee = await createConfirmedUser(server, 'later@page.test');
    assert.equal((await submit(server, token, { cookie: await sessionCookie(server, 'later@page.test') })).status, 200);
    assert.deepEqual(await organizationsOf(server, invitee.token), [[orgId, 'member']]);
  });

  test('signed in as another address: the mismatch, no button, no invited address; its POST joins nothing', async () => {
    const other = await createConfirmedUser(server, 'other@page.test');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'intended@page.test');
    const cookie = await sessionCookie(server, 'other@page.test');
    const shown = await open(server, token, cookie);
    assert.equal(shown.status, 200);
    assert.match(shown.html, /You are signed in as <strong>other@page\.test<\/strong>/);
    assertShows(shown, MISMATCH);
    assert.ok(!shown.html.includes('<form'), 'no button for another account');
    assert.ok(!shown.html.includes('intended@page.test'), 'the invited address is not shown');
    const before = await organizationSnapshot(server);
    const refused = await submit(server, token, { cookie });
    assert.equal(refused.status, 400);
    assertShows(refused, MISMATCH);
    assert.deepEqual(await organizationSnapshot(server), before);
    assert.deepEqual(await organizationsOf(server, other.token), []);
  });

  test('already a member: the page says so instead of a button, and the POST answers ALREADY_MEMBER', async () => {
    const token = await inviteAndReadToken(server, owner.token, orgId, 'owner@page.test');
    const cookie = await sessionCookie(server, 'owner@page.test');
    const shown = await open(server, token, cookie);
    assertShows(shown, escapeHtml(new AlreadyMemberError().message));
    assert.ok(!shown.html.includes('<form'));
    const before = await organizationSnapshot(server);
    const refused = await submit(server, token, { cookie });
    assert.equal(refused.status, 400);
    assertShows(refused, escapeHtml(new AlreadyMemberError().message));
    assert.deepEqual(await organizationSnapshot(server), before);
  });

  test('a revoked invitation is an invalid link, on the page and in the POST', async () => {
    await createConfirmedUser(server, 'revoked@page.test');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'revoked@page.test');
    dataOf(await server.gql(REVOKE_INVITATION, { id: orgId, email: 'revoked@page.test' }, { token: owner.token }));
    const cookie = await sessionCookie(server, 'revoked@page.test');
    const shown = await open(server, token, cookie);
    assert.equal(shown.status, 400);
    assertShows(shown, INVALID);
    assert.ok(!shown.html.includes('<form'));
    const before = await organizationSnapshot(server);
    const refused = await submit(server, token, { cookie });
    assert.equal(refused.status, 400);
    assertShows(refused, INVALID);
    assert.deepEqual(await organizationSnapshot(server), before);
  });

  test('a token limited to another organization cannot accept (403), even from the right account', async () => {
    const invitee = await createConfirmedUser(server, 'limited@page.test');
    const ownOrg = await createOrg(server, invitee.token, 'Limited Own', 'limited-own');
    const CREATE = `mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { __typename ... on CreatedAccessToken { token } } }`;
    const limited = dataOf(await server.gql(CREATE, { input: { name: 'own only', organizationId: ownOrg } }, { token: invitee.token })).createAccessToken.token;
    const token = await inviteAndReadToken(server, owner.token, orgId, 'limited@page.test');
    const before = await organizationSnapshot(server);
    const refused = await submit(server, token, { headers: { authorization: `Bearer ${limited}` } });
    assert.equal(refused.status, 403, refused.html);
    assert.match(refused.html, /A token limited to one organization cannot join/);
    assert.deepEqual(await organizationSnapshot(server), before);
  });

  test('bad input: no or made-up token, wrong content type, no token field, oversized form, other methods: 4xx pages, nothing changed', async () => {
    await createConfirmedUser(server, 'input@page.test');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'input@page.test');
    const cookie = await sessionCookie(server, 'input@page.test');
    const before = await organizationSnapshot(server);
    for (const made of [null, '', 'garbage', 'x'.repeat(43), 'y'.repeat(5000)]) {
      const shown = await open(server, made, cookie);
      assert.equal(shown.status, 400, String(made));
      assertShows(shown, INVALID);
    }
    const cases: Array<[Submit, number, RegExp]> = [
      [{ cookie, headers: { 'content-type': 'text/plain' } }, 400, /application\/x-www-form-urlencoded/],
      [{ cookie, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }, 400, /application\/x-www-form-urlencoded/],
      [{ cookie, body: 'other=1' }, 400, /The form has no token/],
      [{ cookie, body: 'token=' }, 400, /The form has no token/],
      [{ cookie, body: new URLSearchParams({ token: 'garbage' }).toString() }, 400, new RegExp(INVALID)],
      [{ cookie, body: new URLSearchParams({ token, pad: 'z'.repeat(17 * 1024) }).toString() }, 413, /larger than 16 KiB/],
    ];
    for (const [options, status, message] of cases) {
      const refused = await submit(server, token, options);
      assert.equal(refused.status, status, `${JSON.stringify(options.headers)} ${options.body?.slice(0, 40)}: ${refused.html}`);
      assert.match(refused.html, message);
    }
    const put = await fetch(new URL(PATH, server.origin), { method: 'PUT', headers: { cookie, origin: server.origin } });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, POST');
    assert.deepEqual(await organizationSnapshot(server), before);
    // Nothing was used up: the link still works.
    assert.equal((await submit(server, token, { cookie })).status, 200);
  });

  test('during maintenance the POST is refused (503, the message) like the mutation; an admin may still; off again it works', async () => {
    const admin = await createConfirmedUser(server, 'site.admin@page.test');
    await grantRoles(server, admin.userId, 'admin');
    const invitee = await createConfirmedUser(server, 'paused@page.test');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'paused@page.test');
    const adminToken = await inviteAndReadToken(server, owner.token, orgId, 'site.admin@page.test');
    const cookie = await sessionCookie(server, 'paused@page.test');
    await setMaintenance(server, admin.token, { enabled: true, message: 'Moving house' });
    try {
      assert.equal((await open(server, token, cookie)).status, 200, 'the page still shows');
      const before = await organizationSnapshot(server);
      const refused = await submit(server, token, { cookie });
      assert.equal(refused.status, 503, refused.html);
      assert.match(refused.html, /Moving house/);
      assert.deepEqual(await organizationSnapshot(server), before);
      assert.equal((await submit(server, adminToken, { cookie: await sessionCookie(server, 'site.admin@page.test') })).status, 200);
    } finally {
      await setMaintenance(server, admin.token, { enabled: false });
    }
    assert.equal((await submit(server, token, { cookie })).status, 200);
    assert.deepEqual(await organizationsOf(server, invitee.token), [[orgId, 'member']]);
  });

  // Last: moves the clock by more than the invitations' week.
  test('an expired link: the expiry message on the page and in the POST; nothing changes', async () => {
    await createConfirmedUser(server, 'expired@page.test');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'expired@page.test');
    const cookie = await sessionCookie(server, 'expired@page.test');
    const em = server.gatehouse.services.orm.em.fork();
    const invitation = await em.findOneOrFail(OrganizationInvitation, { emailKey: 'expired@page.test', revokedAt: null });
    server.clock.advance(invitation.expiresAt.getTime() - server.clock.now().getTime() + 1000);
    const shown = await open(server, token, cookie);
    assert.equal(shown.status, 400);
    assertShows(shown, EXPIRED);
    const before = await organizationSnapshot(server);
    const refused = await submit(server, token, { cookie });
    assert.equal(refused.status, 400);
    assertShows(refused, EXPIRED);
    assert.deepEqual(await organizationSnapshot(server), before);
  });
});

describe('the invitation page under MFA_REQUIRED_ROLES', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ MFA_REQUIRED_ROLES: 'admin' });
  });
  after(() => server.close());

  test('a holder of a required role without a second factor is refused (MFA_ENROLLMENT_REQUIRED), like the mutation', async () => {
    const owner = await createConfirmedUser(server, 'owner@mfa-page.test');
    const orgId = await createOrg(server, owner.token, 'MFA Co', 'mfa-co');
    const admin = await createConfirmedUser(server, 'admin@mfa-page.test');
    await grantRoles(server, admin.userId, 'admin');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'admin@mfa-page.test');
    const before = await organizationSnapshot(server);
    const refused = await submit(server, token, { cookie: await sessionCookie(server, 'admin@mfa-page.test') });
    assert.equal(refused.status, 403, refused.html);
    assert.match(refused.html, /require.*second factor/);
    assert.deepEqual(await organizationSnapshot(server), before);
  });
});
