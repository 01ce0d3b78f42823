// OAuth sign-in that lands on an account with a second factor goes through the same step as a
// password: no session until verifySecondFactor, in cookie mode and in code mode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, type TestServer } from '../helpers/server.ts';
import { APP_CHALLENGE, APP_URL, APP_VERIFIER, Browser, signInWithBrowser, startOAuthTest, type OAuthTest } from '../oauth/oauth-helpers.ts';
import { enableTotp, totpCode, VERIFY } from './mfa-helpers.ts';

const COMPLETE = `mutation($code: String!, $codeVerifier: String!) {
  completeOAuthLogin(input: { code: $code, codeVerifier: $codeVerifier }) {
    __typename
    ... on CreatedSession { token }
    ... on SecondFactorRequired { challenge factors }
    ... on Error { code message }
  }
}`;
const MOBILE = 'com.example.app:/oauth/done';

describe('OAuth sign-in of an account with a second factor', () => {
  let t: OAuthTest;
  let server: TestServer;
  let secret: string;

  before(async () => {
    t = await startOAuthTest();
    server = t.server;
    // A local account with TOTP; the provider reports the same verified address, so sign-in links to it.
    const { token } = await createConfirmedUser(server, 'oauth.mfa@example.com');
    ({ secret } = await enableTotp(server, token));
    t.idp.signInAs({ sub: 'oauth-mfa', email: 'oauth.mfa@example.com', email_verified: true });
  });
  after(() => t.close());

  test('cookie mode: the app receives second_factor=<challenge> and no cookie; verifySecondFactor signs in', async () => {
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser, { redirectTo: APP_URL });
    assert.equal(ended.url.origin + ended.url.pathname, new URL(APP_URL).origin + new URL(APP_URL).pathname);
    assert.equal(browser.cookie(server.url, 'gatehouse_session'), undefined, 'no session before the second factor');
    const challenge = ended.params.get('second_factor');
    assert.match(challenge ?? '', /^gh2f_[A-Za-z0-9_.-]{40,400}$/);
    const done = await server.gql(VERIFY, { input: { challenge, totp: totpCode(server, secret) } });
    assert.equal(done.body.data.verifySecondFactor.__typename, 'CreatedSession', JSON.stringify(done.body));
    assert.equal(done.body.data.verifySecondFactor.user.email, 'oauth.mfa@example.com');
  });

  test('code mode: completeOAuthLogin answers SecondFactorRequired, and the code is used up', async () => {
    server.clock.advance(30_000);
    const ended = await signInWithBrowser(server, new Browser(), { redirectTo: MOBILE, mode: 'CODE', codeChallenge: APP_CHALLENGE });
    const code = ended.params.get('login_code')!;
    const step = (await server.gql(COMPLETE, { code, codeVerifier: APP_VERIFIER })).body.data.completeOAuthLogin;
    assert.equal(step.__typename, 'SecondFactorRequired');
    assert.deepEqual(step.factors, ['TOTP', 'RECOVERY_CODE']);
    assert.equal((await server.gql(COMPLETE, { code, codeVerifier: APP_VERIFIER })).body.data.completeOAuthLogin.code, 'INVALID_TOKEN');
    const done = await server.gql(VERIFY, { input: { challenge: step.challenge, totp: totpCode(server, secret) } });
    assert.equal(done.body.data.verifySecondFactor.__typename, 'CreatedSession');
  });
});
