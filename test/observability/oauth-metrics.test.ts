// Sign-ins through OpenID Connect in /metrics: a success and a refusal counted under
// `oauth:<provider>`, with the refusal's reason, against a real provider on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser, signInWithBrowser, startOAuthTest, type OAuthTest } from '../oauth/oauth-helpers.ts';
import { scrape } from './scrape.ts';

const TOKEN = 'metrics-token-for-oauth-tests-012345';
const LOGINS = 'gatehouse_logins_total';

describe('OAuth sign-ins in /metrics', () => {
  let t: OAuthTest;
  before(async () => {
    t = await startOAuthTest({ METRICS_TOKEN: TOKEN });
  });
  after(() => t.close());

  test('a sign-in counts a success and a refused one a failure with its reason, under oauth:<provider>', async () => {
    t.idp.signInAs({ sub: 'metered-1', email: 'metered@example.com', email_verified: true });
    assert.equal((await signInWithBrowser(t.server, new Browser())).params.get('error'), null);
    t.idp.signInAs({ sub: 'no-email-metered', name: 'Nobody' });
    assert.equal((await signInWithBrowser(t.server, new Browser())).params.get('error'), 'email_required');

    const result = await scrape(t.server, TOKEN);
    assert.equal(result.value(LOGINS, { outcome: 'success', method: 'oauth:oidc' }), 1);
    assert.equal(result.value(LOGINS, { outcome: 'failure', method: 'oauth:oidc', reason: 'email_required' }), 1);
    assert.equal(result.find(LOGINS, { method: 'password' }).length, 0, 'nothing counted as a password sign-in');
    assert.doesNotMatch(result.text, /metered@example\.com/);
  });
});
