// Signing in with a real OpenID Connect provider on loopback, driven as a browser would: start URL →
// provider → callback → app. Who the user becomes follows the rules of the issue: linked identity,
// then a provider-verified email of a confirmed account, then a new account, never a made-up email.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, login, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { linkIn } from '../helpers/smtp.ts';
import { User } from '../../src/accounts/entities.ts';
import { APP_URL, auditActions, Browser, signInWithBrowser, startOAuthTest, viewerOf, type OAuthTest } from './oauth-helpers.ts';

describe('OAuth sign-in with a local OpenID Connect provider', () => {
  let t: OAuthTest;
  let server: TestServer;
  let adminToken: string;

  before(async () => {
    t = await startOAuthTest();
    server = t.server;
    const admin = await createConfirmedUser(server, 'admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
    adminToken = admin.token;
  });
  after(() => t.close());

  const userByEmail = (email: string) => server.gatehouse.services.orm.em.fork().findOne(User, { emailKey: email.toLowerCase() });

  test('oauthProviders lists the configured providers to anyone', async () => {
    const res = await server.gql(`{ oauthProviders { id name } }`);
    assert.deepEqual(res.body.data.oauthProviders, [{ id: 'oidc', name: 'Test IdP' }]);
  });

  test('a new user with a verified email: confirmed account, signed in by cookie, sent to redirectTo', async () => {
    t.idp.signInAs({ sub: 'new-1', email: 'Nina@Example.COM', email_verified: true, name: 'Nina N', preferred_username: 'nina' });
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser);
    assert.equal(ended.url.href, APP_URL, ended.hops.join('\n'));
    assert.equal(ended.params.get('error'), null);
    const viewer = await viewerOf(server, browser);
    assert.equal(viewer.email, 'Nina@example.com', 'the normal form: domain lower-cased');
    assert.equal(viewer.emailConfirmed, true);
    assert.equal(viewer.hasPassword, false);
    assert.deepEqual(
      viewer.linkedAccounts.map((a: any) => [a.provider, a.subject, a.login, a.email]),
      [['oidc', 'new-1', 'nina', 'Nina@Example.COM']],
    );
    const user = await userByEmail('nina@example.com');
    assert.equal(user?.displayName, 'Nina N');
    // Audited: the account creation and the sign-in, both by the new account.
    const registered = (await auditActions(server, adminToken, 'account.register')).find((e: any) => e.targetId === viewer.id);
    assert.deepEqual(JSON.parse(registered.details), { method: 'oauth', provider: 'oidc', emailVerified: true });
    const logins = (await auditActions(server, adminToken, 'auth.login')).filter((e: any) => e.targetId === viewer.id);
    assert.equal(logins.length, 1);
    assert.deepEqual(JSON.parse(logins[0].details), { method: 'oauth', provider: 'oidc' });
  });

  test('a returning user is found by provider + subject, even after their email changed at the provider', async () => {
    t.idp.signInAs({ sub: 'new-1', email: 'nina.other@example.com', email_verified: true });
    const browser = new Browser();
    await signInWithBrowser(server, browser);
    const viewer = await viewerOf(server, browser);
    assert.equal(viewer.email, 'Nina@example.com', 'the same account; the local email is not changed');
    assert.equal(viewer.linkedAccounts[0].email, 'nina.other@example.com', 'what the provider reported last');
    assert.equal(await server.gatehouse.services.orm.em.fork().count(User, { emailKey: 'nina.other@example.com' }), 0);
  });

  test('a verified email of a confirmed local account links to it and signs in', async () => {
    const local = await createConfirmedUser(server, 'paula@example.com');
    t.idp.signInAs({ sub: 'paula-idp', email: 'PAULA@example.com', email_verified: true });
    const browser = new Browser();
    await signInWithBrowser(server, browser);
    const viewer = await viewerOf(server, browser);
    assert.equal(viewer.id, local.userId);
    assert.equal(viewer.hasPassword, true);
    assert.deepEqual(viewer.linkedAccounts.map((a: any) => a.subject), ['paula-idp']);
    const links = (await auditActions(server, adminToken, 'oauth.link')).filter((e: any) => e.targetId === local.userId);
    assert.equal(JSON.parse(links[0].details).via, 'email');
    // The password still works.
    await login(server, 'paula@example.com');
  });

  test('an unverified email of an existing account is refused: nothing linked, no session', async () => {
    const local = await createConfirmedUser(server, 'victor@example.com');
    t.idp.signInAs({ sub: 'attacker-1', email: 'victor@example.com', email_verified: false });
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser);
    assert.equal(ended.url.origin + ended.url.pathname, APP_URL);
    assert.equal(ended.params.get('error'), 'account_exists');
    assert.match(ended.params.get('error_description')!, /already exists.*not verified/);
    assert.equal(await viewerOf(server, browser), null);
    const owner = await login(server, 'victor@example.com');
    const viewer = (await server.gql(`{ viewer { linkedAccounts { subject } } }`, {}, { token: owner.token })).body.data.viewer;
    assert.deepEqual(viewer.linkedAccounts, []);
    const failures = (await auditActions(server, adminToken, 'auth.login_failed')).filter((e: any) => e.actorEmail === 'victor@example.com' && e.details?.includes('oauth'));
    assert.equal(JSON.parse(failures[0].details).reason, 'account_exists');
    assert.ok(local.userId);
  });

  test('a verified email of an unconfirmed local account is refused, not linked silently', async () => {
    const registered = await server.gql(`mutation($input: RegisterInput!) { register(input: $input) { __typename } }`, {
      input: { email: 'uma@example.com', password: STRONG_PASSWORD },
    });
    assert.equal(registered.body.data.register.__typename, 'AccountStatus');
    t.idp.signInAs({ sub: 'uma-idp', email: 'uma@example.com', email_verified: true });
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser);
    assert.equal(ended.params.get('error'), 'account_not_confirmed');
    assert.match(ended.params.get('error_description')!, /forgot password/);
    assert.equal(await viewerOf(server, browser), null);
    const em = server.gatehouse.services.orm.em.fork();
    const uma = await em.findOneOrFail(User, { emailKey: 'uma@example.com' });
    assert.equal(uma.emailConfirmedAt, null, 'still unconfirmed');
  });

  test('a new user with an unverified email gets an unconfirmed account and a confirmation mail; signs in once confirmed', async () => {
    t.idp.signInAs({ sub: 'quinn-idp', email: 'quinn@example.com', email_verified: false });
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser);
    assert.equal(ended.params.get('error'), 'email_not_confirmed');
    assert.equal(await viewerOf(server, browser), null);
    const quinn = await userByEmail('quinn@example.com');
    assert.ok(quinn, 'the account exists, with the address the provider gave');
    assert.equal(quinn.emailConfirmedAt, null);
    const mail = await server.mail.waitFor('quinn@example.com', /Confirm/);
    assert.equal((await fetch(linkIn(mail))).status, 200);
    const again = await signInWithBrowser(server, browser);
    assert.equal(again.params.get('error'), null);
    assert.equal((await viewerOf(server, browser)).email, 'quinn@example.com');
  });

  test('a provider that shares no email: refused with a clear message, no account invented', async () => {
    const before = await server.gatehouse.services.orm.em.fork().count(User, {});
    t.idp.signInAs({ sub: 'no-email-1', name: 'Nobody' });
    const ended = await signInWithBrowser(server, new Browser());
    assert.equal(ended.params.get('error'), 'email_required');
    assert.match(ended.params.get('error_description')!, /shares no email address/);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(User, {}), before);
  });

  test('a disabled account is refused, whether found by link or by email', async () => {
    t.idp.signInAs({ sub: 'dora-idp', email: 'dora@example.com', email_verified: true });
    const browser = new Browser();
    await signInWithBrowser(server, browser);
    const dora = await viewerOf(server, browser);
    const em = server.gatehouse.services.orm.em.fork();
    await em.nativeUpdate(User, { id: dora.id }, { disabled: true });
    const ended = await signInWithBrowser(server, new Browser());
    assert.equal(ended.params.get('error'), 'account_disabled');

    const local = await createConfirmedUser(server, 'dan@example.com');
    await em.nativeUpdate(User, { id: local.userId }, { disabled: true });
    t.idp.signInAs({ sub: 'dan-idp', email: 'dan@example.com', email_verified: true });
    assert.equal((await signInWithBrowser(server, new Browser())).params.get('error'), 'account_disabled');
    const links = await server.gql(`query($id: ID!) { user(id: $id) { linkedAccounts { subject } } }`, { id: local.userId }, { token: adminToken });
    assert.deepEqual(links.body.data.user.linkedAccounts, [], 'not linked either');
  });

  test('an unconfirmed account made through a provider is confirmed once the provider verifies that very address', async () => {
    t.idp.signInAs({ sub: 'vera-idp', email: 'vera@example.com', email_verified: false });
    assert.equal((await signInWithBrowser(server, new Browser())).params.get('error'), 'email_not_confirmed');
    t.idp.signInAs({ sub: 'vera-idp', email: 'vera@example.com', email_verified: true });
    const browser = new Browser();
    assert.equal((await signInWithBrowser(server, browser)).params.get('error'), null);
    assert.equal((await viewerOf(server, browser)).emailConfirmed, true);
  });

  test('two first sign-ins of one identity at once make one account, and both sign in', async () => {
    t.idp.signInAs({ sub: 'twin-idp', email: 'twin@example.com', email_verified: true });
    const browsers = [new Browser(), new Browser()];
    const callbacks: string[] = [];
    for (const browser of browsers) {
      const start = await server.gql(`mutation { startOAuthLogin(input: { provider: "oidc", redirectTo: "${APP_URL}" }) { ... on OAuthStart { url } } }`);
      callbacks.push((await browser.open(start.body.data.startOAuthLogin.url, (url) => url.pathname.endsWith('/callback'))).url.href);
    }
    t.idp.holdClaims(2);
    const ends = await Promise.all(browsers.map((browser, i) => browser.open(callbacks[i]!)));
    assert.deepEqual(ends.map((end) => end.url.href), [APP_URL, APP_URL]);
    const viewers = await Promise.all(browsers.map((browser) => viewerOf(server, browser)));
    assert.equal(viewers[0].id, viewers[1].id);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(User, { emailKey: 'twin@example.com' }), 1);
  });

  test('without redirectTo (or with one not on the allow-list) the flow ends on Gatehouse’s own result page', async () => {
    t.idp.signInAs({ sub: 'new-1', email: 'nina.other@example.com', email_verified: true });
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser, { redirectTo: null });
    assert.equal(ended.url.href, `${server.origin}/auth/oauth/done`);
    assert.equal(ended.response?.status, 200);
    assert.match(await ended.response!.text(), /You are signed in/);
    assert.ok(await viewerOf(server, browser));
    const refused = await signInWithBrowser(server, new Browser(), { redirectTo: 'https://evil.example.net/steal' });
    assert.equal(refused.start.redirectTo, `${server.origin}/auth/oauth/done`);
    assert.equal(refused.url.href, `${server.origin}/auth/oauth/done`);
  });

  test('the provider answers access_denied: the app gets error=access_denied', async () => {
    t.idp.next = { error: 'access_denied', description: 'User cancelled' };
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser);
    assert.equal(ended.url.origin + ended.url.pathname, APP_URL);
    assert.equal(ended.params.get('error'), 'access_denied');
    assert.equal(await viewerOf(server, browser), null);
    t.idp.next = { error: 'server_error' };
    assert.equal((await signInWithBrowser(server, new Browser())).params.get('error'), 'provider_error');
  });

  test('the result page shows our message for an error code, never text from the URL', async () => {
    const res = await fetch(`${server.origin}/auth/oauth/done?error=account_exists&error_description=${encodeURIComponent('<b>call 555</b>')}`);
    const html = await res.text();
    assert.equal(res.status, 400);
    assert.match(html, /already exists/);
    assert.doesNotMatch(html, /555/);
    const unknown = await (await fetch(`${server.origin}/auth/oauth/done?error=%3Cscript%3E`)).text();
    assert.doesNotMatch(unknown, /<script>/);
  });
});
