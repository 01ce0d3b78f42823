// Non-browser sign-in (a one-time code redeemed with completeOAuthLogin), linking a provider to a
// signed-in account, unlinking, and accounts without a password.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { Passkey } from '../../src/passkeys/entities.ts';
import { linkIn } from '../helpers/smtp.ts';
import { APP_CHALLENGE, APP_VERIFIER, auditActions, Browser, signInWithBrowser, startLogin, startOAuthTest, VIEWER, viewerOf, type OAuthTest } from './oauth-helpers.ts';

const COMPLETE = `mutation($code: String!, $codeVerifier: String!) {
  completeOAuthLogin(input: { code: $code, codeVerifier: $codeVerifier }) {
    __typename
    ... on CreatedSession { token user { email } }
    ... on Error { code message }
  }
}`;
const LINK = `mutation($provider: String!, $redirectTo: String) {
  linkOAuthAccount(input: { provider: $provider, redirectTo: $redirectTo }) {
    __typename ... on OAuthStart { url redirectTo } ... on ValidationError { fields { field messages } }
  }
}`;
const UNLINK = `mutation($provider: String!) {
  unlinkOAuthAccount(input: { provider: $provider }) {
    __typename ... on User { linkedAccounts { provider } } ... on Error { code message }
  }
}`;
const MOBILE = 'com.example.app:/oauth/done';

describe('OAuth: one-time codes, linking and unlinking', () => {
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

  test('CODE mode: the app receives login_code, redeemable once for a session token', async () => {
    t.idp.signInAs({ sub: 'mo', email: 'mo@example.com', email_verified: true });
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser, { redirectTo: MOBILE, mode: 'CODE', codeChallenge: APP_CHALLENGE });
    assert.equal(ended.url.protocol, 'com.example.app:');
    assert.equal(ended.url.pathname, '/oauth/done');
    const code = ended.params.get('login_code')!;
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(browser.cookie(server.url, 'gatehouse_session'), undefined, 'no cookie in CODE mode');

    const redeemed = await server.gql(COMPLETE, { code, codeVerifier: APP_VERIFIER });
    assert.equal(redeemed.body.data.completeOAuthLogin.__typename, 'CreatedSession');
    assert.equal(redeemed.body.data.completeOAuthLogin.user.email, 'mo@example.com');
    const token = redeemed.body.data.completeOAuthLogin.token;
    assert.equal((await server.gql(`{ viewer { email } }`, {}, { token })).body.data.viewer.email, 'mo@example.com');

    const again = await server.gql(COMPLETE, { code, codeVerifier: APP_VERIFIER });
    assert.equal(again.body.data.completeOAuthLogin.code, 'INVALID_TOKEN');
    const bogus = await server.gql(COMPLETE, { code: 'not-a-code', codeVerifier: APP_VERIFIER });
    assert.equal(bogus.body.data.completeOAuthLogin.code, 'INVALID_TOKEN');
    const logins = (await auditActions(server, adminToken, 'auth.login')).filter((e: any) => e.actorEmail === 'mo@example.com');
    assert.deepEqual(JSON.parse(logins[0].details), { method: 'oauth', provider: 'oidc' });
  });

  test('a login code expires after 60 seconds', async () => {
    const ended = await signInWithBrowser(server, new Browser(), { redirectTo: MOBILE, mode: 'CODE', codeChallenge: APP_CHALLENGE });
    server.clock.advance(60_001);
    const late = await server.gql(COMPLETE, { code: ended.params.get('login_code'), codeVerifier: APP_VERIFIER });
    assert.equal(late.body.data.completeOAuthLogin.code, 'TOKEN_EXPIRED');
  });

  test('a login code redeems only with the verifier of the app that started the sign-in; a wrong one uses it up', async () => {
    t.idp.signInAs({ sub: 'mo', email: 'mo@example.com', email_verified: true });
    const ended = await signInWithBrowser(server, new Browser(), { redirectTo: MOBILE, mode: 'CODE', codeChallenge: APP_CHALLENGE });
    const code = ended.params.get('login_code')!;
    // Another app that intercepted the redirect has the code but not the verifier.
    const stolen = await server.gql(COMPLETE, { code, codeVerifier: `x${APP_VERIFIER.slice(1)}` });
    assert.equal(stolen.body.data.completeOAuthLogin.code, 'INVALID_TOKEN');
    const rightful = await server.gql(COMPLETE, { code, codeVerifier: APP_VERIFIER });
    assert.equal(rightful.body.data.completeOAuthLogin.code, 'INVALID_TOKEN', 'a code is never tried twice');
    const malformed = await server.gql(COMPLETE, { code: 'c'.repeat(43), codeVerifier: 'short' });
    assert.equal(malformed.body.data.completeOAuthLogin.code, 'INVALID_TOKEN');
  });

  test('CODE mode needs a codeChallenge; cookie mode takes none', async () => {
    for (const codeChallenge of [undefined, 'too-short', `${APP_CHALLENGE.slice(1)}=`]) {
      const { result } = await startLogin(server, { redirectTo: MOBILE, mode: 'CODE', codeChallenge });
      assert.equal(result.__typename, 'ValidationError', String(codeChallenge));
      assert.equal(result.fields[0].field, 'codeChallenge');
    }
    const { result } = await startLogin(server, { mode: 'COOKIE', codeChallenge: APP_CHALLENGE });
    assert.equal(result.__typename, 'ValidationError');
    assert.equal(result.fields[0].field, 'codeChallenge');
  });

  test('CODE mode needs an allowed redirectTo (there is no default app URL configured)', async () => {
    const { result } = await startLogin(server, { redirectTo: 'https://evil.example.net/', mode: 'CODE', codeChallenge: APP_CHALLENGE });
    assert.equal(result.__typename, 'ValidationError');
    assert.equal(result.fields[0].field, 'redirectTo');
  });

  test('a signed-in user links a provider; it shows in linkedAccounts and signs them in afterwards', async () => {
    const lena = await createConfirmedUser(server, 'lena@example.com');
    // Her browser is signed in (the session cookie of `login`).
    const browser = new Browser();
    browser.setCookie(server.url, 'gatehouse_session', lena.token);
    const start = await server.gql(LINK, { provider: 'oidc', redirectTo: 'https://app.example.com/auth/settings' }, { token: lena.token });
    assert.equal(start.body.data.linkOAuthAccount.__typename, 'OAuthStart');
    // The provider account has another email: linking does not go by email.
    t.idp.signInAs({ sub: 'lena-idp', email: 'lena.private@example.org', email_verified: false, preferred_username: 'lena' });
    const ended = await browser.open(start.body.data.linkOAuthAccount.url);
    assert.equal(ended.url.href, 'https://app.example.com/auth/settings?linked=oidc');
    const viewer = (await server.gql(VIEWER, {}, { token: lena.token })).body.data.viewer;
    assert.deepEqual(viewer.linkedAccounts.map((a: any) => [a.provider, a.subject, a.login]), [['oidc', 'lena-idp', 'lena']]);
    const links = (await auditActions(server, adminToken, 'oauth.link')).filter((e: any) => e.targetId === lena.userId);
    assert.equal(JSON.parse(links[0].details).via, 'signed_in');

    const fresh = new Browser();
    await signInWithBrowser(server, fresh);
    assert.equal((await viewerOf(server, fresh)).id, lena.userId);

    const twice = await server.gql(LINK, { provider: 'oidc' }, { token: lena.token });
    assert.equal(twice.body.data.linkOAuthAccount.fields[0].field, 'provider');
  });

  test('a link URL opened in a browser not signed in as that user is refused (no linking someone else’s identity)', async () => {
    const kim = await createConfirmedUser(server, 'kim@example.com');
    const start = await server.gql(LINK, { provider: 'oidc', redirectTo: 'https://app.example.com/auth/settings' }, { token: kim.token });
    t.idp.signInAs({ sub: 'victim-idp', email: 'victim@example.com', email_verified: true });
    const victimBrowser = new Browser();
    const ended = await victimBrowser.open(start.body.data.linkOAuthAccount.url);
    assert.equal(ended.url.searchParams.get('error'), 'link_session_required');
    const viewer = (await server.gql(VIEWER, {}, { token: kim.token })).body.data.viewer;
    assert.deepEqual(viewer.linkedAccounts, []);
    const failures = (await auditActions(server, adminToken, 'oauth.link_failed')).filter((e: any) => e.targetId === kim.userId);
    assert.equal(JSON.parse(failures[0].details).reason, 'link_session_required');
  });

  test('an identity already linked to another account cannot be linked again', async () => {
    const ivy = await createConfirmedUser(server, 'ivy@example.com');
    const browser = new Browser();
    browser.setCookie(server.url, 'gatehouse_session', ivy.token);
    const start = await server.gql(LINK, { provider: 'oidc', redirectTo: 'https://app.example.com/auth/settings' }, { token: ivy.token });
    t.idp.signInAs({ sub: 'lena-idp', email: 'lena.private@example.org', email_verified: false });
    const ended = await browser.open(start.body.data.linkOAuthAccount.url);
    assert.equal(ended.url.searchParams.get('error'), 'identity_in_use');
  });

  test('linkOAuthAccount: signed-in sessions only (not anonymous, not an access token)', async () => {
    assert.deepEqual(errorCodes(await server.gql(LINK, { provider: 'oidc' })), ['UNAUTHENTICATED']);
    const owner = await login(server, 'lena@example.com');
    const created = await server.gql(`mutation { createAccessToken(input: { name: "ci" }) { ... on CreatedAccessToken { token } } }`, {}, { token: owner.token });
    const pat = created.body.data.createAccessToken.token;
    assert.deepEqual(errorCodes(await server.gql(LINK, { provider: 'oidc' }, { token: pat })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(UNLINK, { provider: 'oidc' })), ['UNAUTHENTICATED']);
  });

  test('unlinking is refused when it would leave no way to sign in; a password makes it possible', async () => {
    t.idp.signInAs({ sub: 'olga-idp', email: 'olga@example.com', email_verified: true });
    const browser = new Browser();
    await signInWithBrowser(server, browser);
    const olga = await viewerOf(server, browser);
    assert.equal(olga.hasPassword, false);
    const cookie = browser.cookieHeader(server.url);

    const refused = await server.gql(UNLINK, { provider: 'oidc' }, { cookie });
    assert.equal(refused.body.data.unlinkOAuthAccount.__typename, 'LastSignInMethodError');
    assert.equal(refused.body.data.unlinkOAuthAccount.code, 'LAST_SIGN_IN_METHOD');
    const notLinked = await server.gql(UNLINK, { provider: 'github' }, { cookie });
    assert.equal(notLinked.body.data.unlinkOAuthAccount.__typename, 'ValidationError');

    // No password: the password paths say how to get one, rather than "incorrect".
    const change = await server.gql(
      `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { __typename ... on Error { code message } } }`,
      { c: 'anything at all', n: STRONG_PASSWORD },
      { cookie },
    );
    assert.equal(change.body.data.changePassword.code, 'INVALID_CREDENTIALS');
    assert.match(change.body.data.changePassword.message, /no password yet.*password reset/);
    const reauth = await server.gql(`mutation { reauthenticate(input: { password: "x" }) { __typename ... on Error { message } } }`, {}, { cookie });
    assert.match(reauth.body.data.reauthenticate.message, /no password yet/);
    assert.equal((await server.gql(`mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { __typename } }`, { e: 'olga@example.com', p: '' })).body.data.login.__typename, 'InvalidCredentialsError');

    // A password through the reset mail, then unlinking works.
    await server.gql(`mutation { requestPasswordReset(input: { email: "olga@example.com" }) { __typename } }`);
    await server.gatehouse.services.background.settle();
    const mail = await server.mail.waitFor('olga@example.com', /Reset/);
    const token = new URL(linkIn(mail)).searchParams.get('token');
    const reset = await server.gql(`mutation($t: String!, $p: String!) { resetPassword(input: { token: $t, newPassword: $p }) { __typename } }`, { t: token, p: STRONG_PASSWORD });
    assert.equal(reset.body.data.resetPassword.__typename, 'AccountStatus');
    const session = await login(server, 'olga@example.com');
    const unlinked = await server.gql(UNLINK, { provider: 'oidc' }, { token: session.token });
    assert.deepEqual(unlinked.body.data.unlinkOAuthAccount, { __typename: 'User', linkedAccounts: [] });
    const audit = (await auditActions(server, adminToken, 'oauth.unlink')).filter((e: any) => e.targetId === olga.id);
    assert.equal(JSON.parse(audit[0].details).subject, 'olga-idp');
  });

  test('a passkey keeps an account without a password reachable, so its only provider can be unlinked', async () => {
    t.idp.signInAs({ sub: 'pia-idp', email: 'pia@example.com', email_verified: true });
    const browser = new Browser();
    await signInWithBrowser(server, browser);
    const pia = await viewerOf(server, browser);
    const cookie = browser.cookieHeader(server.url);
    assert.equal((await server.gql(UNLINK, { provider: 'oidc' }, { cookie })).body.data.unlinkOAuthAccount.__typename, 'LastSignInMethodError');
    // The passkey row as registration stores it (registering one needs a browser: test/passkeys).
    const em = server.gatehouse.services.orm.em.fork();
    em.create(Passkey, {
      user: pia.id,
      credentialId: 'cGlhLXBhc3NrZXk',
      publicKey: Buffer.from('not used here'),
      counter: 0,
      transports: ['internal'],
      deviceType: 'multiDevice',
      backedUp: true,
      name: 'Laptop',
      createdAt: server.clock.now(),
      lastUsedAt: null,
    });
    await em.flush();
    const unlinked = await server.gql(UNLINK, { provider: 'oidc' }, { cookie });
    assert.deepEqual(unlinked.body.data.unlinkOAuthAccount, { __typename: 'User', linkedAccounts: [] });
  });

  test('an admin with users:read sees a user’s linked accounts; another user does not', async () => {
    const lena = await login(server, 'lena@example.com');
    const id = (await server.gql(`{ viewer { id } }`, {}, { token: lena.token })).body.data.viewer.id;
    const q = `query($id: ID!) { user(id: $id) { linkedAccounts { provider subject } hasPassword } }`;
    const asAdmin = await server.gql(q, { id }, { token: adminToken });
    assert.deepEqual(asAdmin.body.data.user, { linkedAccounts: [{ provider: 'oidc', subject: 'lena-idp' }], hasPassword: true });
    const kim = await login(server, 'kim@example.com');
    assert.deepEqual(errorCodes(await server.gql(q, { id }, { token: kim.token })), ['FORBIDDEN']);
  });
});
