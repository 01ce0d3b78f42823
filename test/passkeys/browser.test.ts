// Passkeys in a real browser: Debian's Chromium with a CDP virtual authenticator, on a page served
// by the test that calls the API with fetch and navigator.credentials. Register with a session,
// sign in passwordless (usernameless), and the refusals a page on another origin meets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { createConfirmedUser, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { Passkey } from '../../src/passkeys/entities.ts';
import { launchChromium, moveTo, openAuthenticatorPage, servePasskeyPage, type AuthenticatorPage, type PageServer } from './passkey-page.ts';

describe('passkeys in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let site: PageServer;
  let elsewhere: PageServer;
  let api: string;
  let alice: { token: string; userId: string };
  let laptop: AuthenticatorPage;

  before(async () => {
    [site, elsewhere] = await Promise.all([servePasskeyPage(), servePasskeyPage()]);
    server = await startTestServer({
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: site.origin,
      // Both pages may call the API; only `site` may use passkeys.
      CORS_ORIGINS: `${site.origin},${elsewhere.origin}`,
    });
    api = server.url;
    browser = await launchChromium();
    alice = await createConfirmedUser(server, 'alice@example.com', undefined, { displayName: 'Alice' });
    laptop = await openAuthenticatorPage(browser, site.origin);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await site?.close();
    await elsewhere?.close();
  });

  const em = () => server.gatehouse.services.orm.em.fork();
  const register = (page: AuthenticatorPage, token: string, name: string) =>
    page.page.evaluate(([a, t, n]) => (window as any).registerPasskey(a, t, n), [api, token, name] as const);
  const passkeyLogin = (page: AuthenticatorPage) => page.page.evaluate((a) => (window as any).passkeyLogin(a), api);

  test('a signed-in user registers a passkey; it is listed, audited, and the owner is emailed', async () => {
    const result = await register(laptop, alice.token, 'Laptop');
    assert.equal(result.__typename, 'Passkey', JSON.stringify(result));
    assert.equal(result.name, 'Laptop');
    const { credentials } = await laptop.cdp.send('WebAuthn.getCredentials', { authenticatorId: laptop.authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]!.isResidentCredential, true, 'a discoverable credential');
    assert.equal(credentials[0]!.rpId, 'localhost');
    assert.equal(Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url'), result.credentialId);

    const listed = await server.gql(`{ viewer { passkeys { id name transports multiDevice createdAt lastUsedAt } } }`, {}, { token: alice.token });
    assert.deepEqual(listed.body.data.viewer.passkeys.map((p: any) => [p.id, p.name, p.lastUsedAt]), [[result.id, 'Laptop', null]]);
    assert.deepEqual(listed.body.data.viewer.passkeys[0].transports, ['internal']);
    const mail = await server.mail.waitFor('alice@example.com', /passkey was added/);
    assert.match(mail.text, /"Laptop"/);
    const audit = await em().find(AuditEvent, { action: 'passkey.register' });
    assert.deepEqual(audit.map((e) => [e.actorId, e.targetId]), [[alice.userId, result.id]]);
  });

  test('signing in without email or password: the passkey picks the account, a session is created', async () => {
    const result = await passkeyLogin(laptop);
    assert.equal(result.__typename, 'CreatedSession', JSON.stringify(result));
    assert.equal(result.user.id, alice.userId);
    const viewer = await server.gql(`{ viewer { email passkeys { lastUsedAt } } }`, {}, { token: result.token });
    assert.equal(viewer.body.data.viewer.email, 'alice@example.com');
    assert.ok(viewer.body.data.viewer.passkeys[0].lastUsedAt, 'the last use is recorded');
    const logins = await em().find(AuditEvent, { action: 'auth.login', actorId: alice.userId }, { orderBy: { id: 'desc' } });
    assert.equal(logins[0]!.details?.['method'], 'passkey');
  });

  test('the signature counter is kept: a copy of the authenticator with an older counter is refused', async () => {
    const stored = await em().findOneOrFail(Passkey, { user: alice.userId });
    assert.ok(stored.counter > 0, 'the virtual authenticator counts its signatures');
    const { credentials } = await laptop.cdp.send('WebAuthn.getCredentials', { authenticatorId: laptop.authenticatorId });
    const clone = await openAuthenticatorPage(browser, site.origin);
    try {
      await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: { ...credentials[0]!, signCount: 0 } });
      const result = await passkeyLogin(clone);
      assert.equal(result.__typename, 'PasskeyRejectedError', JSON.stringify(result));
      assert.match(result.message, /counter/);
    } finally {
      await clone.page.context().close();
    }
    // The original goes on working.
    assert.equal((await passkeyLogin(laptop)).__typename, 'CreatedSession');
  });

  test('an answer is used once: sending the same signed answer again is refused', async () => {
    const started = (await server.gql(`mutation { startPasskeyLogin { ... on PasskeyChallenge { challengeId options } } }`)).body.data.startPasskeyLogin;
    const response = await laptop.page.evaluate((options) => (window as any).answerChallenge(options), started.options);
    const FINISH = `mutation($input: FinishPasskeyLoginInput!) { finishPasskeyLogin(input: $input) { __typename ... on Error { code } } }`;
    const first = await server.gql(FINISH, { input: { challengeId: started.challengeId, response } });
    assert.equal(first.body.data.finishPasskeyLogin.__typename, 'CreatedSession');
    const replayed = await server.gql(FINISH, { input: { challengeId: started.challengeId, response } });
    assert.equal(replayed.body.data.finishPasskeyLogin.code, 'INVALID_TOKEN');
  });

  test('user verification is required: an answer signed with only user presence is refused', async () => {
    // The passkey's private key, from the virtual authenticator, signs answers the browser would not
    // make (it enforces user verification itself), to show the server checks the flag too.
    const { credentials } = await laptop.cdp.send('WebAuthn.getCredentials', { authenticatorId: laptop.authenticatorId });
    const credential = credentials[0]!;
    const key = createPrivateKey({ key: Buffer.from(credential.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
    const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
    const FINISH = `mutation($input: FinishPasskeyLoginInput!) { finishPasskeyLogin(input: $input) { __typename ... on Error { code message } } }`;
    const answer = async (flags: number, signCount: number) => {
      const started = (await server.gql(`mutation { startPasskeyLogin { ... on PasskeyChallenge { challengeId options } } }`)).body.data.startPasskeyLogin;
      const clientData = JSON.stringify({ type: 'webauthn.get', challenge: JSON.parse(started.options).challenge, origin: site.origin, crossOrigin: false });
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(signCount);
      const authenticatorData = Buffer.concat([sha256('localhost'), Buffer.from([flags]), counter]);
      // Ed25519 signs the message itself; ES256 / RS256 a SHA-256 of it.
      const signature = sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', Buffer.concat([authenticatorData, sha256(clientData)]), key);
      const id = Buffer.from(credential.credentialId, 'base64').toString('base64url');
      const response = JSON.stringify({
        id, rawId: id, type: 'public-key', clientExtensionResults: {},
        response: {
          clientDataJSON: Buffer.from(clientData).toString('base64url'),
          authenticatorData: authenticatorData.toString('base64url'),
          signature: signature.toString('base64url'),
          userHandle: Buffer.from(credential.userHandle!, 'base64').toString('base64url'),
        },
      });
      return (await server.gql(FINISH, { input: { challengeId: started.challengeId, response } })).body.data.finishPasskeyLogin;
    };
    const USER_PRESENT = 0x01;
    const USER_VERIFIED = 0x04;
    const presentOnly = await answer(USER_PRESENT, 1000);
    assert.equal(presentOnly.__typename, 'PasskeyRejectedError', JSON.stringify(presentOnly));
    assert.match(presentOnly.message, /verif/i);
    // The same answer with the flag set is accepted: the flag alone made the difference.
    assert.equal((await answer(USER_PRESENT | USER_VERIFIED, 1001)).__typename, 'CreatedSession');
  });

  test('a page on another origin (same host, other port) is refused: registering and signing in', async () => {
    // A new authenticator: the laptop's holds Alice's passkey, so the browser itself would refuse a second one.
    const other = await openAuthenticatorPage(browser, elsewhere.origin);
    try {
      const registered = await register(other, alice.token, 'Elsewhere');
      assert.equal(registered.__typename, 'PasskeyRejectedError', JSON.stringify(registered));
      assert.match(registered.message, /origin/);
    } finally {
      await other.page.context().close();
    }
    await moveTo(laptop, elsewhere.origin);
    try {
      const signedIn = await passkeyLogin(laptop);
      assert.equal(signedIn.__typename, 'PasskeyRejectedError', JSON.stringify(signedIn));
      assert.match(signedIn.message, /origin/);
    } finally {
      await moveTo(laptop, site.origin);
    }
    assert.equal(await em().count(Passkey, { user: alice.userId }), 1, 'nothing was registered');
    const failures = await em().find(AuditEvent, { action: 'auth.login_failed' });
    assert.ok(failures.some((e) => e.details?.['method'] === 'passkey' && e.details?.['reason'] === 'passkey_rejected'));
  });

  test('a deleted passkey no longer signs in', async () => {
    const bob = await createConfirmedUser(server, 'bob@example.com');
    const phone = await openAuthenticatorPage(browser, site.origin);
    try {
      const added = await register(phone, bob.token, 'Phone');
      assert.equal(added.__typename, 'Passkey');
      const deleted = await server.gql(
        `mutation($id: ID!) { deletePasskey(input: { id: $id }) { __typename ... on DeletedPasskey { id name } } }`,
        { id: added.id },
        { token: bob.token },
      );
      assert.deepEqual(deleted.body.data.deletePasskey, { __typename: 'DeletedPasskey', id: added.id, name: 'Phone' });
      const result = await passkeyLogin(phone);
      assert.equal(result.__typename, 'PasskeyRejectedError');
      assert.match(result.message, /not registered/);
    } finally {
      await phone.page.context().close();
    }
  });

  test('a passkey as the second factor of a password sign-in, and for step-up; another account’s passkey does not count', async () => {
    const carol = await createConfirmedUser(server, 'carol@example.com');
    const tablet = await openAuthenticatorPage(browser, site.origin);
    const answer = (options: string) => tablet.page.evaluate((o) => (window as any).answerChallenge(o), options);
    try {
      assert.equal((await register(tablet, carol.token, 'Tablet')).__typename, 'Passkey');
      const LOGIN = `mutation { login(input: { email: "carol@example.com", password: "${STRONG_PASSWORD}" }) {
        __typename ... on SecondFactorRequired { challenge factors passkey { challengeId options } } } }`;
      const step = (await server.gql(LOGIN)).body.data.login;
      assert.equal(step.__typename, 'SecondFactorRequired');
      assert.deepEqual(step.factors, ['PASSKEY']);
      assert.deepEqual(JSON.parse(step.passkey.options).allowCredentials.length, 1, 'only her passkey is asked for');

      const VERIFY = `mutation($input: VerifySecondFactorInput!) { verifySecondFactor(input: $input) {
        __typename ... on CreatedSession { token user { email } } ... on Error { code } } }`;
      // Alice's passkey (on the laptop) answering Carol's challenge: refused, and it uses nothing of Carol's up.
      const usernameless = (await server.gql(`mutation { startPasskeyLogin { ... on PasskeyChallenge { challengeId options } } }`)).body.data.startPasskeyLogin;
      const alicesAnswer = await laptop.page.evaluate((o) => (window as any).answerChallenge(o), usernameless.options);
      const wrong = await server.gql(VERIFY, { input: { challenge: step.challenge, passkey: { challengeId: usernameless.challengeId, response: alicesAnswer } } });
      assert.equal(wrong.body.data.verifySecondFactor.code, 'INVALID_TOKEN', JSON.stringify(wrong.body));

      const response = await answer(step.passkey.options);
      const done = await server.gql(VERIFY, { input: { challenge: step.challenge, passkey: { challengeId: step.passkey.challengeId, response } } });
      assert.equal(done.body.data.verifySecondFactor.__typename, 'CreatedSession', JSON.stringify(done.body));
      assert.equal(done.body.data.verifySecondFactor.user.email, 'carol@example.com');
      const token = done.body.data.verifySecondFactor.token;

      // Step-up with the passkey (test/mfa/step-up.test.ts covers what it opens).
      const started = (await server.gql(`mutation { startPasskeyReauthentication { ... on PasskeyChallenge { challengeId options } } }`, {}, { token })).body.data.startPasskeyReauthentication;
      const proof = await answer(started.options);
      const reauth = await server.gql(
        `mutation($input: ReauthenticateInput!) { reauthenticate(input: $input) { __typename ... on Error { code message } } }`,
        { input: { passkey: { challengeId: started.challengeId, response: proof } } },
        { token },
      );
      assert.equal(reauth.body.data.reauthenticate.__typename, 'Reauthenticated', JSON.stringify(reauth.body));
    } finally {
      await tablet.page.context().close();
    }
  });
});
