// OAuth configuration (OAUTH_<ID>_*, the redirect allow-list) and the redirect check itself.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { allowedRedirect, parseAllowlistEntry } from '../../src/util/redirects.ts';

function refused(env: Record<string, string>, variable: string): string {
  assert.throws(() => loadConfig(env), ConfigError);
  try {
    loadConfig(env);
  } catch (error) {
    assert.match((error as Error).message, new RegExp(`\\b${variable}\\b`), (error as Error).message);
    return (error as Error).message;
  }
  return '';
}

describe('OAuth configuration', () => {
  test('no OAUTH_* variables: no providers, an empty allow-list', () => {
    assert.deepEqual(loadConfig({}).oauth, { providers: [], redirectAllowlist: [], defaultRedirect: null });
  });

  test('a provider is on with its client id and secret; Auth0 and oidc also need an issuer; oidc may be named', () => {
    const config = loadConfig({
      OAUTH_GITHUB_CLIENT_ID: 'gh-id',
      OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret',
      OAUTH_AUTH0_CLIENT_ID: 'a0',
      OAUTH_AUTH0_CLIENT_SECRET: 'a0-secret',
      OAUTH_AUTH0_ISSUER: 'https://tenant.eu.auth0.com/',
      OAUTH_OIDC_CLIENT_ID: 'kc',
      OAUTH_OIDC_CLIENT_SECRET: 'kc-secret',
      OAUTH_OIDC_ISSUER: 'https://sso.example.com/realms/main',
      OAUTH_OIDC_NAME: 'Company SSO',
    });
    assert.deepEqual(config.oauth.providers, [
      { id: 'github', name: 'GitHub', clientId: 'gh-id', clientSecret: 'gh-secret', issuer: null },
      { id: 'auth0', name: 'Auth0', clientId: 'a0', clientSecret: 'a0-secret', issuer: 'https://tenant.eu.auth0.com/' },
      { id: 'oidc', name: 'Company SSO', clientId: 'kc', clientSecret: 'kc-secret', issuer: 'https://sso.example.com/realms/main' },
    ]);
  });

  test('half a provider, a bad issuer, or an issuer for a built-in one is refused, naming the variable', () => {
    assert.match(refused({ OAUTH_GITHUB_CLIENT_ID: 'x' }, 'OAUTH_GITHUB_CLIENT_SECRET'), /required/);
    refused({ OAUTH_GOOGLE_CLIENT_SECRET: 'x' }, 'OAUTH_GOOGLE_CLIENT_ID');
    refused({ OAUTH_OIDC_CLIENT_ID: 'x', OAUTH_OIDC_CLIENT_SECRET: 'y' }, 'OAUTH_OIDC_ISSUER');
    refused({ OAUTH_OIDC_CLIENT_ID: 'x', OAUTH_OIDC_CLIENT_SECRET: 'y', OAUTH_OIDC_ISSUER: 'http://sso.example.com' }, 'OAUTH_OIDC_ISSUER');
    refused({ OAUTH_AUTH0_CLIENT_ID: 'x', OAUTH_AUTH0_CLIENT_SECRET: 'y', OAUTH_AUTH0_ISSUER: 'tenant.auth0.com' }, 'OAUTH_AUTH0_ISSUER');
    refused({ OAUTH_GITHUB_CLIENT_ID: 'x', OAUTH_GITHUB_CLIENT_SECRET: 'y', OAUTH_GITHUB_ISSUER: 'https://github.com' }, 'OAUTH_GITHUB_ISSUER');
    // http only for an issuer on this machine (a local provider).
    const local = loadConfig({ OAUTH_OIDC_CLIENT_ID: 'x', OAUTH_OIDC_CLIENT_SECRET: 'y', OAUTH_OIDC_ISSUER: 'http://127.0.0.1:8080' });
    assert.equal(local.oauth.providers[0]!.issuer, 'http://127.0.0.1:8080');
  });

  test('OAUTH_REDIRECT_ALLOWLIST: absolute URLs (web or app scheme), normalised; others refused', () => {
    const config = loadConfig({ OAUTH_REDIRECT_ALLOWLIST: 'https://App.Example.com/auth/ , com.example.app:/oauth', OAUTH_DEFAULT_REDIRECT: 'https://app.example.com/' });
    assert.deepEqual(config.oauth.redirectAllowlist, ['https://app.example.com/auth/', 'com.example.app:/oauth']);
    assert.equal(config.oauth.defaultRedirect, 'https://app.example.com/');
    for (const bad of ['/relative', '//evil.com', 'https://u:p@app.example.com/', 'https://app.example.com/?x=1', 'https://app.example.com/#x', 'javascript:alert(1)', 'data:text/html,x']) {
      refused({ OAUTH_REDIRECT_ALLOWLIST: bad }, 'OAUTH_REDIRECT_ALLOWLIST');
    }
    refused({ OAUTH_DEFAULT_REDIRECT: 'javascript:alert(1)' }, 'OAUTH_DEFAULT_REDIRECT');
  });
});

describe('allowedRedirect', () => {
  const list = ['https://app.example.com/auth/', 'https://spa.example.com/', 'com.example.app:/oauth'].map((v) => {
    const parsed = parseAllowlistEntry(v);
    assert.ok('entry' in parsed);
    return parsed.entry;
  });

  test('allows the same scheme and host with the path under the entry, in the parsed form', () => {
    assert.equal(allowedRedirect('https://app.example.com/auth/done?x=1#top', list), 'https://app.example.com/auth/done?x=1#top');
    assert.equal(allowedRedirect('https://APP.example.com:443/auth/a/../b', list), 'https://app.example.com/auth/b');
    assert.equal(allowedRedirect('https://spa.example.com/anything', list), 'https://spa.example.com/anything');
    assert.equal(allowedRedirect('com.example.app:/oauth/done', list), 'com.example.app:/oauth/done');
    assert.equal(allowedRedirect('com.example.app:/oauth', list), 'com.example.app:/oauth');
  });

  test('refuses look-alikes, credentials, other schemes and ports, path escapes and relative forms', () => {
    for (const hostile of [
      'https://app.example.com.evil.com/auth/',
      'https://app.example.com@evil.com/auth/',
      'https://evil.com@app.example.com/auth/',
      'https://evil.com#@app.example.com/auth/',
      'https://evil.com\\@app.example.com/auth/',
      'https://app.example.com\\@evil.com/auth/',
      'https://app.example.com/auth/../admin',
      'https://app.example.com/auth%2f..%2f..%2fadmin',
      'https://app.example.com/authority',
      'https://app.example.com/',
      'http://app.example.com/auth/',
      'https://app.example.com:444/auth/',
      'wss://app.example.com/auth/',
      '//app.example.com/auth/',
      '/auth/',
      'auth/done',
      '',
      'https://app.example.com/auth/\n',
      'https:\\\\app.example.com/auth/',
      'https://app.exam\tple.com/auth/',
      'javascript://app.example.com/auth/%0aalert(1)',
      'com.example.app:/oauthevil',
      'com.example.app://oauth',
      `https://app.example.com/auth/${'a'.repeat(3000)}`,
    ]) {
      assert.equal(allowedRedirect(hostile, list), null, hostile);
    }
  });
});
