// The named providers' user-info mapping, each through a whole flow: GitHub and Discord against a
// local stand-in speaking their HTTP API, Google and Hugging Face (OpenID Connect issuers) against
// the local OpenID Connect provider put in place of their issuer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, type TestServer } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';
import { readGitHubIdentity } from '../../src/oauth/providers/github.ts';
import { ProviderFailure } from '../../src/oauth/providers/types.ts';
import { CLIENT_ID, CLIENT_SECRET } from './oidc-provider.ts';
import { STAND_IN_CLIENT, StandInProvider } from './stand-in.ts';
import { APP_URL, Browser, signInWithBrowser, startLogin, startOAuthTest, viewerOf, type OAuthTest } from './oauth-helpers.ts';

describe('named providers', () => {
  let t: OAuthTest;
  let server: TestServer;
  let standIn: StandInProvider;

  before(async () => {
    standIn = await StandInProvider.start();
    t = await startOAuthTest(
      {
        OAUTH_GITHUB_CLIENT_ID: STAND_IN_CLIENT.id,
        OAUTH_GITHUB_CLIENT_SECRET: STAND_IN_CLIENT.secret,
        OAUTH_DISCORD_CLIENT_ID: STAND_IN_CLIENT.id,
        OAUTH_DISCORD_CLIENT_SECRET: STAND_IN_CLIENT.secret,
        OAUTH_GOOGLE_CLIENT_ID: CLIENT_ID,
        OAUTH_GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
        OAUTH_HUGGINGFACE_CLIENT_ID: CLIENT_ID,
        OAUTH_HUGGINGFACE_CLIENT_SECRET: CLIENT_SECRET,
      },
      (issuer) => ({ oauthEndpoints: { ...standIn.endpoints(), google: { issuer }, huggingface: { issuer } } }),
    );
    server = t.server;
  });
  after(async () => {
    await t.close();
    await standIn.close();
  });

  const userByEmail = (email: string) => server.gatehouse.services.orm.em.fork().findOne(User, { emailKey: email.toLowerCase() });

  test('oauthProviders names every configured provider, in a fixed order', async () => {
    const res = await server.gql(`{ oauthProviders { id name } }`);
    assert.deepEqual(res.body.data.oauthProviders, [
      { id: 'github', name: 'GitHub' },
      { id: 'google', name: 'Google' },
      { id: 'discord', name: 'Discord' },
      { id: 'huggingface', name: 'Hugging Face' },
      { id: 'oidc', name: 'Test IdP' },
    ]);
  });

  test('GitHub: numeric id as subject, the primary email from /user/emails, verified as GitHub says', async () => {
    standIn.data.githubUser = { id: 583231, login: 'octocat', name: 'The Octocat', email: null, avatar_url: 'https://avatars.example/u/583231' };
    standIn.data.githubEmails = [
      { email: 'octo.secondary@example.com', primary: false, verified: true },
      { email: 'Octo@GitHub.example', primary: true, verified: true, visibility: 'private' },
    ];
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser, { provider: 'github', redirectTo: APP_URL });
    assert.equal(ended.url.href, APP_URL, ended.hops.join('\n'));
    const viewer = await viewerOf(server, browser);
    assert.equal(viewer.email, 'Octo@github.example');
    assert.equal(viewer.emailConfirmed, true);
    assert.deepEqual(viewer.linkedAccounts.map((a: any) => [a.provider, a.subject, a.login]), [['github', '583231', 'octocat']]);
    const user = await userByEmail('octo@github.example');
    assert.equal(user?.displayName, 'The Octocat');
    assert.equal(user?.avatarUrl, 'https://avatars.example/u/583231');
    // The token request: client Basic auth, the PKCE verifier, the registered callback.
    const form = standIn.lastTokenRequest!.form;
    assert.match(form.get('code_verifier')!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(form.get('redirect_uri'), `${server.origin}/auth/oauth/github/callback`);
    assert.ok(ended.hops[1]!.includes('scope=read%3Auser+user%3Aemail'), ended.hops[1]);
  });

  test('GitHub: an unverified primary email does not link to an existing account, even if another address is verified', async () => {
    await createConfirmedUser(server, 'hubert@example.com');
    standIn.data.githubUser = { id: 99, login: 'hubert-gh' };
    standIn.data.githubEmails = [
      { email: 'hubert@example.com', primary: true, verified: false },
      { email: 'other@example.com', primary: false, verified: true },
    ];
    const ended = await signInWithBrowser(server, new Browser(), { provider: 'github', redirectTo: APP_URL });
    assert.equal(ended.params.get('error'), 'account_exists');
  });

  test('GitHub: without access to /user/emails the public profile email is used, as unverified', async () => {
    standIn.data.githubUser = { id: 100, login: 'appuser', email: 'appuser@example.com' };
    standIn.data.githubEmails = 403;
    const ended = await signInWithBrowser(server, new Browser(), { provider: 'github', redirectTo: APP_URL });
    assert.equal(ended.params.get('error'), 'email_not_confirmed', 'a new account that must confirm the address');
    const user = await userByEmail('appuser@example.com');
    assert.equal(user?.emailConfirmedAt, null);
    await server.mail.waitFor('appuser@example.com', /Confirm/);
  });

  test('GitHub: a code GitHub refuses (its 200 + error answer) ends with exchange_failed', async () => {
    standIn.data.githubUser = { id: 583231, login: 'octocat' };
    const browser = new Browser();
    const { result } = await startLogin(server, { provider: 'github', redirectTo: APP_URL });
    const atCallback = await browser.open(result.url, (url) => url.pathname.endsWith('/callback'));
    const tampered = new URL(atCallback.url);
    tampered.searchParams.set('code', 'f'.repeat(32));
    const ended = await browser.open(tampered.href);
    assert.equal(ended.url.searchParams.get('error'), 'exchange_failed');
    assert.equal(await viewerOf(server, browser), null);
  });

  test('GitHub: no primary address and no profile email means no email: refused, nothing invented', async () => {
    standIn.data.githubUser = { id: 7, login: 'seven', email: null };
    standIn.data.githubEmails = [{ email: 'x@example.com', primary: false, verified: true }];
    const ended = await signInWithBrowser(server, new Browser(), { provider: 'github', redirectTo: APP_URL });
    assert.equal(ended.params.get('error'), 'email_required');
    assert.equal(await userByEmail('x@example.com'), null);
  });

  test('GitHub: a user API that refuses the token is a rejected exchange (not an outage)', async () => {
    await assert.rejects(readGitHubIdentity(`${standIn.origin}/github-api`, 'not-a-token'), (error) => error instanceof ProviderFailure && error.kind === 'rejected');
    await assert.rejects(readGitHubIdentity('http://127.0.0.1:9', 'x'), (error) => error instanceof ProviderFailure && error.kind === 'unavailable');
  });

  test('Discord: id, username, global name, and the verified flag', async () => {
    standIn.data.discordUser = { id: '80351110224678912', username: 'nelly', global_name: 'Nelly', email: 'nelly@discord.example', verified: true, avatar: '8342729096ea3675442027381ff50dfe' };
    const browser = new Browser();
    const ended = await signInWithBrowser(server, browser, { provider: 'discord', redirectTo: APP_URL });
    assert.equal(ended.url.href, APP_URL, ended.hops.join('\n'));
    const viewer = await viewerOf(server, browser);
    assert.equal(viewer.email, 'nelly@discord.example');
    assert.equal(viewer.emailConfirmed, true);
    assert.deepEqual(viewer.linkedAccounts.map((a: any) => [a.subject, a.login]), [['80351110224678912', 'nelly']]);
    const user = await userByEmail('nelly@discord.example');
    assert.equal(user?.displayName, 'Nelly');
    assert.equal(user?.avatarUrl, 'https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png');

    standIn.data.discordUser = { id: '1', username: 'unverified', email: 'unv@discord.example', verified: false };
    assert.equal((await signInWithBrowser(server, new Browser(), { provider: 'discord', redirectTo: APP_URL })).params.get('error'), 'email_not_confirmed');
    standIn.data.discordUser = { id: '2', username: 'phone-only', email: null, verified: false };
    assert.equal((await signInWithBrowser(server, new Browser(), { provider: 'discord', redirectTo: APP_URL })).params.get('error'), 'email_required');
  });

  test('Google and Hugging Face: OpenID Connect claims (sub, email, email_verified, name, picture)', async () => {
    for (const provider of ['google', 'huggingface']) {
      t.idp.signInAs({ sub: `${provider}-sub`, email: `${provider}@example.com`, email_verified: true, name: `${provider} user`, picture: `https://img.example/${provider}.png`, preferred_username: `${provider}-login` });
      const browser = new Browser();
      const ended = await signInWithBrowser(server, browser, { provider, redirectTo: APP_URL });
      assert.equal(ended.url.href, APP_URL, ended.hops.join('\n'));
      const viewer = await viewerOf(server, browser);
      assert.deepEqual(viewer.linkedAccounts.map((a: any) => [a.provider, a.subject, a.login]), [[provider, `${provider}-sub`, `${provider}-login`]]);
      const user = await userByEmail(`${provider}@example.com`);
      assert.equal(user?.displayName, `${provider} user`);
      assert.equal(user?.avatarUrl, `https://img.example/${provider}.png`);
    }
  });
});
