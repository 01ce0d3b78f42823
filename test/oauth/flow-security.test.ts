// What an attacker (or bad luck) can do to a flow: wrong or replayed state, a stolen callback URL
// opened in another browser, a start URL opened twice, a tampered PKCE verifier or code, slowness,
// hostile redirectTo values, an unreachable provider, maintenance mode and throttling. Each ends with
// a clear error code at the flow's target (or the default), never a session and never a 500.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { OAuthFlow } from '../../src/oauth/entities.ts';
import { generateToken } from '../../src/util/secrets.ts';
import { APP_URL, Browser, signInWithBrowser, startLogin, startOAuthTest, viewerOf, type OAuthTest } from './oauth-helpers.ts';

const atCallback = (url: URL) => url.pathname.endsWith('/callback');

describe('OAuth flow security', () => {
  let t: OAuthTest;
  let server: TestServer;
  let resultPage: string;

  before(async () => {
    // auth0 points at a port nobody listens on: its discovery fails.
    t = await startOAuthTest({ OAUTH_AUTH0_CLIENT_ID: 'x', OAUTH_AUTH0_CLIENT_SECRET: 'y', OAUTH_AUTH0_ISSUER: 'http://127.0.0.1:9/' });
    server = t.server;
    resultPage = `${server.origin}/auth/oauth/done`;
    t.idp.signInAs({ sub: 'sam', email: 'sam@example.com', email_verified: true });
  });
  after(() => t.close());

  /** Runs a flow up to (not including) the callback; returns the callback URL the provider sent the browser to. */
  async function untilCallback(browser: Browser, redirectTo: string | null = APP_URL): Promise<string> {
    const { result } = await startLogin(server, { redirectTo });
    const ended = await browser.open(result.url, atCallback);
    assert.ok(atCallback(ended.url), ended.hops.join('\n'));
    return ended.url.href;
  }

  test('the authorization request carries state, nonce and an S256 PKCE challenge; the cookies are HttpOnly and Lax', async () => {
    const { result } = await startLogin(server, { redirectTo: APP_URL });
    const res = await fetch(result.url, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const authorize = new URL(res.headers.get('location')!);
    assert.equal(authorize.origin, t.idp.issuer);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorize.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.match(authorize.searchParams.get('state')!, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(authorize.searchParams.get('nonce'));
    assert.equal(authorize.searchParams.get('redirect_uri'), `${server.origin}/auth/oauth/oidc/callback`);
    const [binding] = res.headers.getSetCookie();
    assert.match(binding!, /^gatehouse_session_oauth=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/auth\/oauth\/; HttpOnly; SameSite=Lax$/);

    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser);
    const callback = await fetch(ended.hops.find((hop) => atCallback(new URL(hop)))!, { redirect: 'manual' });
    assert.equal(callback.status, 303, 'a replayed callback without the cookie is refused with a redirect');
    assert.ok(browser.cookie(server.url, 'gatehouse_session'));
  });

  test('a callback with an unknown or missing state ends on the result page with invalid_state', async () => {
    for (const query of [`state=${generateToken()}&code=abc`, 'code=abc', 'state=short&code=abc', '']) {
      const browser = new Browser();
      const ended = await browser.open(`${server.origin}/auth/oauth/oidc/callback?${query}`);
      assert.equal(ended.url.origin + ended.url.pathname, resultPage, query);
      assert.equal(ended.url.searchParams.get('error'), 'invalid_state', query);
      assert.equal(ended.response?.status, 400);
      assert.equal(await viewerOf(server, browser), null);
    }
  });

  test('a callback URL replayed after use (same browser) is refused: the state is single-use', async () => {
    const browser = new Browser();
    const callbackUrl = await untilCallback(browser);
    const consumedBefore = t.idp.codesConsumed;
    const first = await browser.open(callbackUrl);
    assert.equal(first.url.href, APP_URL);
    assert.equal(t.idp.codesConsumed, consumedBefore + 1);
    const again = await new Browser().open(callbackUrl);
    assert.equal(again.url.searchParams.get('error'), 'invalid_state');
    browser.setCookie(server.url, 'gatehouse_session', 'x'.repeat(43));
    const sameBrowser = await browser.open(callbackUrl);
    assert.equal(sameBrowser.url.searchParams.get('error'), 'invalid_state');
  });

  test('a stolen callback URL opened in another browser is refused (browser_mismatch); the real browser still finishes', async () => {
    const victim = new Browser();
    const callbackUrl = await untilCallback(victim);
    const attacker = new Browser();
    const stolen = await attacker.open(callbackUrl);
    assert.equal(stolen.url.searchParams.get('error'), 'browser_mismatch');
    assert.equal(await viewerOf(server, attacker), null);
    // A forged binding cookie does not help either.
    attacker.setCookie(server.url, 'gatehouse_session_oauth', generateToken());
    assert.equal((await attacker.open(callbackUrl)).url.searchParams.get('error'), 'browser_mismatch');
    const finished = await victim.open(callbackUrl);
    assert.equal(finished.url.href, APP_URL);
    assert.equal((await viewerOf(server, victim)).email, 'sam@example.com');
  });

  test('a start URL works once: opened again (even by the same browser) it is refused', async () => {
    const { result } = await startLogin(server, { redirectTo: APP_URL });
    const browser = new Browser();
    await browser.open(result.url, atCallback);
    const again = await browser.open(result.url);
    assert.equal(again.url.origin + again.url.pathname, APP_URL);
    assert.equal(again.url.searchParams.get('error'), 'invalid_state');
    const unknown = await new Browser().open(`${server.origin}/auth/oauth/oidc/start?flow=${generateToken()}`);
    assert.equal(unknown.url.searchParams.get('error'), 'invalid_state');
    const wrongProvider = await new Browser().open(`${server.origin}/auth/oauth/auth0/start?flow=${new URL(result.url).searchParams.get('flow')}`);
    assert.equal(wrongProvider.url.searchParams.get('error'), 'invalid_state');
  });

  test('a PKCE verifier that does not match the challenge: the provider refuses the code (exchange_failed)', async () => {
    const browser = new Browser();
    const callbackUrl = await untilCallback(browser);
    const em = server.gatehouse.services.orm.em.fork();
    await em.nativeUpdate(OAuthFlow, { startedAt: { $ne: null } }, { codeVerifier: generateToken() });
    const consumedBefore = t.idp.codesConsumed;
    const ended = await browser.open(callbackUrl);
    assert.equal(ended.url.origin + ended.url.pathname, APP_URL);
    assert.equal(ended.url.searchParams.get('error'), 'exchange_failed');
    assert.equal(t.idp.codesConsumed, consumedBefore, 'the provider issued no tokens for the code');
    assert.equal(await viewerOf(server, browser), null);
  });

  test('a tampered authorization code is refused (exchange_failed)', async () => {
    const browser = new Browser();
    const callback = new URL(await untilCallback(browser));
    callback.searchParams.set('code', generateToken());
    const ended = await browser.open(callback.href);
    assert.equal(ended.url.searchParams.get('error'), 'exchange_failed');
    assert.equal(await viewerOf(server, browser), null);
  });

  test('a flow older than 10 minutes expires, before or after the provider', async () => {
    const { result } = await startLogin(server, { redirectTo: APP_URL });
    server.clock.advance(10 * 60_000 + 1);
    const late = await new Browser().open(result.url);
    assert.equal(late.url.searchParams.get('error'), 'flow_expired');

    const browser = new Browser();
    const callbackUrl = await untilCallback(browser);
    server.clock.advance(10 * 60_000 + 1);
    const slow = await browser.open(callbackUrl);
    assert.equal(slow.url.origin + slow.url.pathname, APP_URL);
    assert.equal(slow.url.searchParams.get('error'), 'flow_expired');
    assert.equal(await viewerOf(server, browser), null);
  });

  test('redirectTo must fall under an allow-list entry: hostile forms fall back to the default', async () => {
    const hostile = [
      'https://app.example.com.evil.com/auth/done',
      'https://app.example.com@evil.com/auth/done',
      'https://user:pw@app.example.com/auth/done',
      '//evil.com/auth/done',
      '/auth/done',
      'https://app.example.com\\@evil.com/auth/',
      'https://app.example.com/authx',
      'https://app.example.com/other',
      'http://app.example.com/auth/done',
      'https://app.example.com:8443/auth/done',
      'javascript:alert(1)//https://app.example.com/auth/',
      'https://evil.com/?next=https://app.example.com/auth/',
      ' https://app.example.com/auth/done',
      'com.example.app:/oauthx',
    ];
    for (const redirectTo of hostile) {
      const { result } = await startLogin(server, { redirectTo });
      assert.equal(result.redirectTo, resultPage, redirectTo);
    }
    const allowed = await startLogin(server, { redirectTo: 'https://APP.example.com:443/auth/x/../done?tab=1' });
    assert.equal(allowed.result.redirectTo, 'https://app.example.com/auth/done?tab=1', 'the parsed, normal form is used');
    const app = await startLogin(server, { redirectTo: 'com.example.app:/oauth/done' });
    assert.equal(app.result.redirectTo, 'com.example.app:/oauth/done');
  });

  test('an unknown or unconfigured provider: a ValidationError naming the field; its routes answer unknown_provider', async () => {
    const { result } = await startLogin(server, { provider: 'github' });
    assert.equal(result.__typename, 'ValidationError');
    assert.equal(result.fields[0].field, 'provider');
    assert.match(result.fields[0].messages[0], /Configured: auth0, oidc/);
    for (const step of ['start?flow=x', 'callback?state=x&code=y']) {
      const ended = await new Browser().open(`${server.origin}/auth/oauth/github/${step}`);
      assert.equal(ended.url.searchParams.get('error'), 'unknown_provider', step);
    }
  });

  test('an unreachable provider: the start ends with provider_unavailable at the flow’s target', async () => {
    const { result } = await startLogin(server, { provider: 'auth0', redirectTo: APP_URL });
    const ended = await new Browser().open(result.url);
    assert.equal(ended.url.origin + ended.url.pathname, APP_URL);
    assert.equal(ended.url.searchParams.get('error'), 'provider_unavailable');
  });

  test('only GET: other methods on the OAuth routes answer 405 and use nothing up', async () => {
    const { result } = await startLogin(server, { redirectTo: APP_URL });
    for (const method of ['POST', 'HEAD', 'PUT']) {
      const res = await fetch(result.url, { method, redirect: 'manual' });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET');
    }
    const ended = await new Browser().open(result.url, atCallback);
    assert.ok(atCallback(ended.url), 'the start URL still works');
  });

  test('odd requests to the OAuth routes get a redirect or a 4xx, never a 5xx', async () => {
    const state = generateToken();
    const paths = [
      `/auth/oauth/oidc/callback?state=%ZZ&code=%`,
      `/auth/oauth/oidc/callback?state=${state}&state=${generateToken()}&code=x`,
      `/auth/oauth/oidc/callback?state[]=x&code[]=y`,
      `/auth/oauth/oidc/callback?error=access_denied`,
      `/auth/oauth/oidc/callback?state=${'a'.repeat(20_000)}`,
      `/auth/oauth/oidc/start?flow=%00%01`,
      `/auth/oauth/oidc/start`,
      `/auth/oauth/OIDC/callback`,
      `/auth/oauth//callback`,
      `/auth/oauth/oidc/callback/`,
      `/auth/oauth/done?error=%E0%A4%A`,
      `/auth/oauth/done?linked=__proto__`,
    ];
    for (const path of paths) {
      const res = await fetch(`${server.origin}${path}`, { redirect: 'manual', headers: { cookie: 'gatehouse_session_oauth=%; gatehouse_session=' } });
      await res.body?.cancel();
      assert.ok(res.status < 500, `${path} answered ${res.status}`);
    }
  });

  test('callbacks spend the per-IP auth budget: over it, rate_limited', async () => {
    const browser = new Browser();
    const callbackUrl = await untilCallback(browser);
    const throttle = server.gatehouse.services.throttle;
    // Spends the whole budget at once (concurrent calls: quick on Redis too), and then some.
    const budget = server.gatehouse.services.config.throttle.authRequestsPerMinute;
    const spent = await Promise.allSettled(Array.from({ length: budget + 1 }, () => throttle.consumeIpBudget('127.0.0.1')));
    const refused = spent.filter((answer) => answer.status === 'rejected');
    assert.ok(refused.length >= 1);
    assert.match(String(refused[0]!.reason), /Too many attempts/);
    const ended = await browser.open(callbackUrl);
    assert.equal(ended.url.searchParams.get('error'), 'rate_limited');
    const start = await startLogin(server, { redirectTo: APP_URL });
    assert.deepEqual(errorCodes(start.res), ['RATE_LIMITED']);
    server.clock.advance(60_000);
    assert.equal((await browser.open(callbackUrl)).url.href, APP_URL, 'the flow was not used up by the refusal');
  });

  test('maintenance mode: only those who may run it sign in; nobody else, and no account is created', async () => {
    const admin = await createConfirmedUser(server, 'ops@example.com');
    await grantRoles(server, admin.userId, 'admin');
    const toggle = (enabled: boolean) =>
      server.gql(`mutation($e: Boolean!) { setMaintenanceMode(input: { enabled: $e }) { __typename } }`, { e: enabled }, { token: admin.token });
    await toggle(true);
    try {
      t.idp.signInAs({ sub: 'ops-idp', email: 'ops@example.com', email_verified: true });
      const adminBrowser = new Browser();
      const adminEnded = await signInWithBrowser(server, adminBrowser);
      assert.equal(adminEnded.url.href, APP_URL, 'startOAuthLogin is allowed during maintenance, like login');
      assert.equal((await viewerOf(server, adminBrowser)).email, 'ops@example.com');

      t.idp.signInAs({ sub: 'sam', email: 'sam@example.com', email_verified: true });
      assert.equal((await signInWithBrowser(server, new Browser())).params.get('error'), 'maintenance_mode');
      t.idp.signInAs({ sub: 'newbie', email: 'newbie@example.com', email_verified: true });
      assert.equal((await signInWithBrowser(server, new Browser())).params.get('error'), 'maintenance_mode');
      // The sign-in page can still show its buttons.
      const providers = await server.gql(`{ oauthProviders { id } }`);
      assert.equal(providers.body.data.oauthProviders.length, 2);
    } finally {
      await toggle(false);
      t.idp.signInAs({ sub: 'sam', email: 'sam@example.com', email_verified: true });
    }
    t.idp.signInAs({ sub: 'newbie', email: 'newbie@example.com', email_verified: true });
    assert.equal((await signInWithBrowser(server, new Browser())).params.get('error'), null);
  });
});
