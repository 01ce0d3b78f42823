// "New sign-in" emails: none for an account's first sign-in or a device it knows (same browser and
// OS family, same network), one for a new browser or network, through every way of signing in;
// SIGN_IN_NOTICES=false sends none.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { mailsTo } from '../accounts/account-helpers.ts';
import { APP_CHALLENGE, APP_VERIFIER, Browser, signInWithBrowser, startOAuthTest, type OAuthTest } from '../oauth/oauth-helpers.ts';
import { deviceLabel, networkPrefix } from '../../src/auth/sign-in-notices.ts';
import { loadConfig } from '../../src/config/index.ts';
import { KnownDevice } from '../../src/auth/entities.ts';

const NOTICE = /New sign-in/;
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const FIREFOX_LINUX_UPDATED = 'Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0';
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

const as = (userAgent: string, ip?: string) => ({ headers: { 'user-agent': userAgent, ...(ip ? { 'x-forwarded-for': ip } : {}) } });

describe('sign-in notices', () => {
  let server: TestServer;
  before(async () => {
    // Behind one proxy, so a test can sign in from other networks.
    server = await startTestServer({ TRUST_PROXY: '1' });
  });
  after(() => server.close());

  test('SIGN_IN_NOTICES is on by default', () => {
    assert.equal(loadConfig({}).signInNotices, true);
    assert.equal(loadConfig({ SIGN_IN_NOTICES: 'false' }).signInNotices, false);
  });

  test('the first sign-in of an account sends nothing, nor a second from the same browser (an updated version included)', async () => {
    const email = 'notice.first@example.com';
    await createConfirmedUser(server, email, undefined);
    assert.equal((await mailsTo(server, email, NOTICE)).length, 0);
    await login(server, email);
    assert.equal((await mailsTo(server, email, NOTICE)).length, 0);

    const other = 'notice.firefox@example.com';
    await createConfirmedUser(server, other);
    // The account's devices so far: node's fetch. Firefox is new…
    await login(server, other, undefined, as(FIREFOX_LINUX));
    assert.equal((await mailsTo(server, other, NOTICE)).length, 1);
    // …then known, also after a browser update.
    await login(server, other, undefined, as(FIREFOX_LINUX));
    await login(server, other, undefined, as(FIREFOX_LINUX_UPDATED));
    assert.equal((await mailsTo(server, other, NOTICE)).length, 1);
  });

  test('a different browser sends one notice saying when, which browser and OS, from which address, and what to do', async () => {
    const email = 'notice.chrome@example.com';
    await createConfirmedUser(server, email);
    const at = server.clock.now();
    await login(server, email, undefined, as(CHROME_WINDOWS, '198.51.100.23'));
    const mails = await mailsTo(server, email, NOTICE);
    assert.equal(mails.length, 1);
    const text = mails[0]!.text;
    assert.match(text, /Chrome on Windows/);
    assert.match(text, /198\.51\.100\.23/);
    assert.ok(text.includes(at.toISOString().replace('T', ' ').slice(0, 19)), text);
    assert.match(text, /change your password/);
  });

  test('the same browser from another network is new; another address in the same /24 is not', async () => {
    const email = 'notice.network@example.com';
    await createConfirmedUser(server, email);
    await login(server, email, undefined, as(SAFARI_IPHONE, '203.0.113.7'));
    await login(server, email, undefined, as(SAFARI_IPHONE, '203.0.113.99'));
    assert.equal((await mailsTo(server, email, NOTICE)).length, 1);
    await login(server, email, undefined, as(SAFARI_IPHONE, '192.0.2.1'));
    assert.equal((await mailsTo(server, email, NOTICE)).length, 2);
    // Only keyed hashes are stored, one per device.
    const devices = await server.gatehouse.services.orm.em.fork().find(KnownDevice, { user: { email } });
    assert.equal(devices.length, 3);
    assert.ok(devices.every((d) => /^[0-9a-f]{64}$/.test(d.deviceHash)));
  });

  test('device labels and network prefixes', () => {
    assert.equal(deviceLabel(FIREFOX_LINUX), 'Firefox on Linux');
    assert.equal(deviceLabel(SAFARI_IPHONE), 'Safari on iOS');
    assert.equal(deviceLabel('curl/8.5.0'), 'curl');
    assert.equal(deviceLabel(null), 'an unknown browser');
    assert.equal(networkPrefix('203.0.113.7'), '203.0.113');
    assert.equal(networkPrefix('::ffff:203.0.113.7'), '203.0.113');
    assert.equal(networkPrefix('2001:db8:abcd:12::1'), '2001:db8:abcd');
    assert.equal(networkPrefix('2001:db8::1'), '2001:db8:0');
  });
});

describe('sign-in notices for OAuth sign-ins', () => {
  let t: OAuthTest;
  before(async () => {
    t = await startOAuthTest();
  });
  after(() => t.close());

  test('an OAuth sign-in (code mode) from a new browser sends a notice', async () => {
    const server = t.server;
    const email = 'notice.oauth@example.com';
    await createConfirmedUser(server, email);
    t.idp.signInAs({ sub: 'notice-oauth', email, email_verified: true });
    const ended = await signInWithBrowser(server, new Browser(), { redirectTo: 'com.example.app:/oauth/done', mode: 'CODE', codeChallenge: APP_CHALLENGE });
    const redeemed = await server.gql(
      `mutation($code: String!, $codeVerifier: String!) { completeOAuthLogin(input: { code: $code, codeVerifier: $codeVerifier }) { __typename } }`,
      { code: ended.params.get('login_code'), codeVerifier: APP_VERIFIER },
      as(CHROME_WINDOWS),
    );
    assert.equal(redeemed.body.data.completeOAuthLogin.__typename, 'CreatedSession', JSON.stringify(redeemed.body));
    const mails = await mailsTo(server, email, NOTICE);
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.text, /Chrome on Windows/);
  });
});

describe('SIGN_IN_NOTICES=false', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ SIGN_IN_NOTICES: 'false' });
  });
  after(() => server.close());

  test('a new browser sends nothing', async () => {
    const email = 'notice.off@example.com';
    await createConfirmedUser(server, email);
    await login(server, email, undefined, as(CHROME_WINDOWS));
    await login(server, email, undefined, as(FIREFOX_LINUX));
    assert.equal((await mailsTo(server, email, NOTICE)).length, 0);
  });
});
