// Passkeys through the API without a browser: the options handed out, who may do what, and every
// failure a client can meet before an authenticator is involved (unknown, expired, reused or
// mismatched challenges, malformed answers, names, someone else's passkey, the limit).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { answeredNothing, createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { CREATE_TOKEN } from '../tokens/token-helpers.ts';
import { loadConfig, relyingParty, ConfigError } from '../../src/config/index.ts';
import { Passkey, PasskeyChallenge } from '../../src/passkeys/entities.ts';
import { MAX_PASSKEYS_PER_USER } from '../../src/passkeys/service.ts';
import { CHALLENGE_TTL_MS } from '../../src/passkeys/challenges.ts';

const ERROR = `... on Error { code message } ... on ValidationError { fields { field messages } }`;
const START_REGISTRATION = `mutation { startPasskeyRegistration { __typename ... on PasskeyChallenge { challengeId options expiresAt } ... on Error { code message } } }`;
const FINISH_REGISTRATION = `mutation($input: FinishPasskeyRegistrationInput!) { finishPasskeyRegistration(input: $input) { __typename ... on Passkey { id name } ${ERROR} } }`;
const START_LOGIN = `mutation { startPasskeyLogin { __typename ... on PasskeyChallenge { challengeId options expiresAt } } }`;
const FINISH_LOGIN = `mutation($input: FinishPasskeyLoginInput!) { finishPasskeyLogin(input: $input) { __typename ... on CreatedSession { token } ${ERROR} } }`;
const RENAME = `mutation($input: RenamePasskeyInput!) { renamePasskey(input: $input) { __typename ... on Passkey { id name } ${ERROR} } }`;
const DELETE = `mutation($id: ID!) { deletePasskey(input: { id: $id }) { __typename ... on DeletedPasskey { id name } } }`;

const b64 = (value: string) => Buffer.from(value).toString('base64url');
/** Well-formed JSON of a credential that no authenticator made: it passes the shape check and fails verification. */
const FORGED_REGISTRATION = JSON.stringify({
  id: 'AAAA', rawId: 'AAAA', type: 'public-key', clientExtensionResults: {},
  response: { clientDataJSON: b64('{"type":"webauthn.create"}'), attestationObject: 'AAAA', transports: ['internal'] },
});
const FORGED_ASSERTION = JSON.stringify({
  id: 'AAAA', rawId: 'AAAA', type: 'public-key', clientExtensionResults: {},
  response: { clientDataJSON: b64('{"type":"webauthn.get"}'), authenticatorData: 'AAAA', signature: 'AAAA' },
});

describe('passkeys API', () => {
  let server: TestServer;
  let alice: { token: string; userId: string };
  let bob: { token: string; userId: string };

  before(async () => {
    server = await startTestServer({ WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_RP_NAME: 'Test RP' });
    alice = await createConfirmedUser(server, 'alice@example.com', undefined, { displayName: 'Alice A' });
    bob = await createConfirmedUser(server, 'bob@example.com');
  });
  after(() => server.close());

  const em = () => server.gatehouse.services.orm.em.fork();
  const startRegistration = async (token: string) => {
    const res = await server.gql(START_REGISTRATION, {}, { token });
    const started = res.body.data.startPasskeyRegistration;
    assert.equal(started.__typename, 'PasskeyChallenge', JSON.stringify(res.body));
    return started as { challengeId: string; options: string; expiresAt: string };
  };
  const finishRegistration = async (token: string, input: Record<string, unknown>) =>
    (await server.gql(FINISH_REGISTRATION, { input: { response: FORGED_REGISTRATION, name: 'Key', ...input } }, { token })).body.data.finishPasskeyRegistration;
  const startLogin = async () => (await server.gql(START_LOGIN)).body.data.startPasskeyLogin as { challengeId: string; options: string };
  const finishLogin = async (input: Record<string, unknown>) =>
    (await server.gql(FINISH_LOGIN, { input: { response: FORGED_ASSERTION, ...input } })).body.data.finishPasskeyLogin;
  /** A passkey row as registration would store it (its key is never used here). */
  const storePasskey = async (userId: string, name: string) => {
    const fork = em();
    const passkey = fork.create(Passkey, {
      user: userId, credentialId: b64(randomUUID()), publicKey: Buffer.from([1, 2, 3]), counter: 0, transports: ['internal'],
      deviceType: 'singleDevice', backedUp: false, name, createdAt: server.clock.now(), lastUsedAt: null,
    });
    await fork.flush();
    return passkey;
  };

  test('registration options: this RP, the account, a discoverable credential with user verification, no attestation', async () => {
    const started = await startRegistration(alice.token);
    const options = JSON.parse(started.options);
    assert.deepEqual(options.rp, { name: 'Test RP', id: 'localhost' });
    assert.equal(options.user.name, 'alice@example.com');
    assert.equal(options.user.displayName, 'Alice A');
    assert.equal(Buffer.from(options.user.id, 'base64url').toString(), alice.userId);
    assert.equal(options.attestation, 'none');
    assert.deepEqual(options.pubKeyCredParams.map((p: any) => p.alg), [-7, -8, -257], 'ES256, EdDSA, RS256');
    assert.equal(options.authenticatorSelection.residentKey, 'required');
    assert.equal(options.authenticatorSelection.userVerification, 'required');
    assert.equal(new Date(started.expiresAt).getTime() - server.clock.now().getTime(), CHALLENGE_TTL_MS);
    const stored = await em().findOneOrFail(PasskeyChallenge, { id: started.challengeId });
    assert.equal(stored.challenge, options.challenge);
    assert.equal(stored.purpose, 'register');
  });

  test('sign-in options: anyone, usernameless (no allowCredentials), user verification required', async () => {
    const started = await startLogin();
    const options = JSON.parse(started.options);
    assert.equal(options.rpId, 'localhost');
    assert.deepEqual(options.allowCredentials, []);
    assert.equal(options.userVerification, 'required');
  });

  test('anonymous callers are refused before anything happens', async () => {
    for (const [query, variables] of [
      [START_REGISTRATION, {}],
      [FINISH_REGISTRATION, { input: { challengeId: randomUUID(), response: '{}', name: 'x' } }],
      [RENAME, { input: { id: randomUUID(), name: 'x' } }],
      [DELETE, { id: randomUUID() }],
    ] as const) {
      const res = await server.gql(query, variables);
      assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED'], query);
      assert.ok(answeredNothing(res));
    }
  });

  test('an access token may list passkeys but not add or remove them', async () => {
    const created = await server.gql(CREATE_TOKEN, { input: { name: 'script' } }, { token: alice.token });
    const token = created.body.data.createAccessToken.token;
    assert.deepEqual(errorCodes(await server.gql(START_REGISTRATION, {}, { token })), ['FORBIDDEN']);
    const passkey = await storePasskey(alice.userId, 'Token test');
    assert.deepEqual(errorCodes(await server.gql(DELETE, { id: passkey.id }, { token })), ['FORBIDDEN']);
    const listed = await server.gql(`{ viewer { passkeys { name } } }`, {}, { token });
    assert.ok(listed.body.data.viewer.passkeys.some((p: any) => p.name === 'Token test'));
    await em().nativeDelete(Passkey, { id: passkey.id });
  });

  test('a malformed answer or a bad name is a ValidationError that leaves the challenge usable', async () => {
    const { challengeId } = await startRegistration(alice.token);
    for (const response of ['not json', '[]', '{"type":"public-key"}', JSON.stringify({ id: 'AA', rawId: 'AB', type: 'public-key', response: {} }), 'x'.repeat(70_000)]) {
      const result = await finishRegistration(alice.token, { challengeId, response });
      assert.equal(result.__typename, 'ValidationError', response.slice(0, 40));
      assert.deepEqual(result.fields.map((f: any) => f.field), ['response']);
    }
    const both = await finishRegistration(alice.token, { challengeId, response: 'nope', name: 'x'.repeat(101) });
    assert.deepEqual(both.fields.map((f: any) => f.field).sort(), ['name', 'response']);
    for (const name of ['', '   ', 'two\nlines', 'x'.repeat(101)]) {
      const result = await finishRegistration(alice.token, { challengeId, name });
      assert.equal(result.__typename, 'ValidationError', JSON.stringify(name));
      assert.deepEqual(result.fields.map((f: any) => f.field), ['name']);
    }
    // Still unused: a well-formed answer reaches verification (and is refused there), then the challenge is spent.
    const verified = await finishRegistration(alice.token, { challengeId });
    assert.equal(verified.__typename, 'PasskeyRejectedError');
    assert.equal(verified.code, 'PASSKEY_REJECTED');
    const again = await finishRegistration(alice.token, { challengeId });
    assert.equal(again.code, 'INVALID_TOKEN', 'a challenge works once');
  });

  test('unknown, expired, reused and mismatched challenges are refused', async () => {
    assert.equal((await finishRegistration(alice.token, { challengeId: randomUUID() })).code, 'INVALID_TOKEN');
    assert.equal((await finishRegistration(alice.token, { challengeId: 'not-an-id' })).code, 'INVALID_TOKEN');
    assert.equal((await finishLogin({ challengeId: randomUUID() })).code, 'INVALID_TOKEN');

    const late = await startRegistration(alice.token);
    const lateLogin = await startLogin();
    server.clock.advance(CHALLENGE_TTL_MS + 1000);
    assert.equal((await finishRegistration(alice.token, { challengeId: late.challengeId })).code, 'TOKEN_EXPIRED');
    assert.equal((await finishLogin({ challengeId: lateLogin.challengeId })).code, 'TOKEN_EXPIRED');
    assert.equal((await finishLogin({ challengeId: lateLogin.challengeId })).code, 'INVALID_TOKEN', 'used up, too');

    const alices = await startRegistration(alice.token);
    assert.equal((await finishRegistration(bob.token, { challengeId: alices.challengeId })).code, 'INVALID_TOKEN', "another account's challenge");
    const login = await startLogin();
    assert.equal((await finishRegistration(alice.token, { challengeId: login.challengeId })).code, 'INVALID_TOKEN', 'a sign-in challenge registers nothing');
    assert.equal((await finishLogin({ challengeId: alices.challengeId })).code, 'INVALID_TOKEN', 'a registration challenge signs nobody in');

    const used = await startLogin();
    assert.equal((await finishLogin({ challengeId: used.challengeId })).code, 'PASSKEY_REJECTED', 'no such passkey');
    assert.equal((await finishLogin({ challengeId: used.challengeId })).code, 'INVALID_TOKEN');
    assert.equal((await finishLogin({ challengeId: used.challengeId, response: '{' })).__typename, 'ValidationError');
  });

  test('expired challenges are cleared when new ones start', async () => {
    await startLogin();
    server.clock.advance(CHALLENGE_TTL_MS + 1000);
    await startLogin();
    assert.equal(await em().count(PasskeyChallenge, { expiresAt: { $lte: server.clock.now() } }), 0);
  });

  test('rename: one line of at most 100 characters; someone else’s passkey or an unknown id is NOT_FOUND', async () => {
    const passkey = await storePasskey(alice.userId, 'Old');
    const renamed = await server.gql(RENAME, { input: { id: passkey.id, name: '  Yubikey 5  ' } }, { token: alice.token });
    assert.deepEqual(renamed.body.data.renamePasskey, { __typename: 'Passkey', id: passkey.id, name: 'Yubikey 5' });
    const tooLong = await server.gql(RENAME, { input: { id: passkey.id, name: 'x'.repeat(101) } }, { token: alice.token });
    assert.equal(tooLong.body.data.renamePasskey.__typename, 'ValidationError');
    for (const id of [passkey.id, randomUUID(), 'nonsense']) {
      const res = await server.gql(RENAME, { input: { id, name: 'Mine now' } }, { token: id === passkey.id ? bob.token : alice.token });
      assert.deepEqual(errorCodes(res), ['NOT_FOUND'], id);
    }
    assert.deepEqual(errorCodes(await server.gql(DELETE, { id: passkey.id }, { token: bob.token })), ['NOT_FOUND']);
    assert.equal((await em().findOneOrFail(Passkey, { id: passkey.id })).name, 'Yubikey 5', 'unchanged by the refusals');
    const audit = await server.gatehouse.services.orm.em.fork().getConnection().execute(`select action from audit_events where target_id = ?`, [passkey.id]);
    assert.deepEqual(audit.map((row: any) => row.action), ['passkey.rename']);
  });

  test('delete: answers DeletedPasskey and emails the owner; User.passkeys for admins with users:read', async () => {
    const passkey = await storePasskey(bob.userId, 'Phone');
    const admin = await createConfirmedUser(server, 'admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
    const seen = await server.gql(`query($id: ID!) { user(id: $id) { passkeys { id name } } }`, { id: bob.userId }, { token: admin.token });
    assert.deepEqual(seen.body.data.user.passkeys, [{ id: passkey.id, name: 'Phone' }]);
    const others = await server.gql(`query($id: ID!) { user(id: $id) { passkeys { id } } }`, { id: bob.userId }, { token: alice.token });
    assert.deepEqual(errorCodes(others), ['FORBIDDEN']);

    const deleted = await server.gql(DELETE, { id: passkey.id }, { token: bob.token });
    assert.deepEqual(deleted.body.data.deletePasskey, { __typename: 'DeletedPasskey', id: passkey.id, name: 'Phone' });
    const mail = await server.mail.waitFor('bob@example.com', /passkey was removed/);
    assert.match(mail.text, /"Phone"/);
    assert.deepEqual(errorCodes(await server.gql(DELETE, { id: passkey.id }, { token: bob.token })), ['NOT_FOUND']);
  });

  test(`at most ${MAX_PASSKEYS_PER_USER} passkeys per account`, async () => {
    const carol = await createConfirmedUser(server, 'carol@example.com');
    for (let i = 0; i < MAX_PASSKEYS_PER_USER; i++) await storePasskey(carol.userId, `Key ${i}`);
    const res = await server.gql(START_REGISTRATION, {}, { token: carol.token });
    assert.equal(res.body.data.startPasskeyRegistration.code, 'PASSKEY_LIMIT_REACHED');
  });

  test('deleting the account deletes its passkeys', async () => {
    const dave = await createConfirmedUser(server, 'dave@example.com');
    await storePasskey(dave.userId, 'Laptop');
    const res = await server.gql(`mutation { deleteAccount { __typename } }`, {}, { token: dave.token });
    assert.equal(res.body.data.deleteAccount.__typename, 'DeletedUser', JSON.stringify(res.body));
    assert.equal(await em().count(Passkey, { user: dave.userId }), 0);
  });
});

describe('passkey settings', () => {
  test('the relying party follows PUBLIC_URL unless set', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://accounts.example.com/base' });
    assert.deepEqual(relyingParty(config), { id: 'accounts.example.com', origins: ['https://accounts.example.com'], name: 'Gatehouse' });
    const explicit = loadConfig({ PUBLIC_URL: 'https://accounts.example.com', WEBAUTHN_RP_ID: 'Example.com', WEBAUTHN_ORIGINS: 'https://example.com, https://app.example.com' });
    assert.deepEqual(relyingParty(explicit), { id: 'example.com', origins: ['https://example.com', 'https://app.example.com'], name: 'Gatehouse' });
  });

  test('an origin outside the RP id, or an RP id that is not a domain, stops the start', () => {
    assert.throws(() => loadConfig({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://evil.com' }), (e: Error) => e instanceof ConfigError && /WEBAUTHN_ORIGINS/.test(e.message));
    assert.throws(() => loadConfig({ WEBAUTHN_RP_ID: 'https://example.com' }), /WEBAUTHN_RP_ID/);
    assert.throws(() => loadConfig({ WEBAUTHN_ORIGINS: 'https://example.com/path' }), /WEBAUTHN_ORIGINS/);
  });
});
