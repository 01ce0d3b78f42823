// The authenticator registry: positions and duplicate names (unit level), the chain each backend
// builds, and end to end with two deployer authenticators — one at position 0 (before the
// built-in bearer authenticator), one appended (tried only when every earlier one says "not mine").
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { User } from '../../src/accounts/entities.ts';
import { AuthenticatorRegistry, NOT_MINE, type AuthDeps, type AuthOutcome, type Authenticator, type AuthRequest } from '../../src/auth/authenticators.ts';
import { createAuthenticatorRegistry } from '../../src/auth/registry.ts';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertUnauthenticated, CREATE_TOKEN, dataOf, LogCapture, VIEWER, viewerEmail, withAuthorization } from '../tokens/token-helpers.ts';

/** An authenticator that answers a fixed outcome and records that it was asked. */
function fixed(name: string, outcome: AuthOutcome, calls: string[]): Authenticator {
  return {
    name,
    async authenticate() {
      calls.push(name);
      return outcome;
    },
  };
}

const REQUEST: AuthRequest = { headers: new Headers(), ip: '127.0.0.1' };
const DEPS = {} as AuthDeps;
const config = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'test', ...env });

describe('AuthenticatorRegistry (unit)', () => {
  test('add: default last; a position inserts before what is there; out-of-range positions clamp', () => {
    const calls: string[] = [];
    const registry = new AuthenticatorRegistry();
    registry.add(fixed('a', NOT_MINE, calls)).add(fixed('b', NOT_MINE, calls)).add(fixed('c', NOT_MINE, calls));
    assert.deepEqual(registry.names(), ['a', 'b', 'c']);
    registry.add(fixed('first', NOT_MINE, calls), 0);
    assert.deepEqual(registry.names(), ['first', 'a', 'b', 'c']);
    registry.add(fixed('middle', NOT_MINE, calls), 2);
    assert.deepEqual(registry.names(), ['first', 'a', 'middle', 'b', 'c']);
    registry.add(fixed('far', NOT_MINE, calls), 99);
    registry.add(fixed('negative', NOT_MINE, calls), -3);
    assert.deepEqual(registry.names(), ['negative', 'first', 'a', 'middle', 'b', 'c', 'far']);
  });

  test('a duplicate name is refused and changes nothing', () => {
    const registry = new AuthenticatorRegistry().add(fixed('ldap', NOT_MINE, [])).add(fixed('other', NOT_MINE, []));
    assert.throws(() => registry.add(fixed('ldap', NOT_MINE, []), 0), /An authenticator named "ldap" is already registered/);
    assert.deepEqual(registry.names(), ['ldap', 'other']);
  });

  test('authenticate: in order; the first answer other than "not mine" decides and later ones are not asked', async () => {
    const calls: string[] = [];
    const invalid: AuthOutcome = { kind: 'invalid', message: 'no' };
    const registry = new AuthenticatorRegistry()
      .add(fixed('pass-1', NOT_MINE, calls))
      .add(fixed('refuses', invalid, calls))
      .add(fixed('never', { kind: 'stale-cookie' }, calls))
      .add(fixed('pass-0', NOT_MINE, calls), 0);
    assert.deepEqual(await registry.authenticate(REQUEST, DEPS), invalid);
    assert.deepEqual(calls, ['pass-0', 'pass-1', 'refuses']);

    const none: string[] = [];
    const empty = new AuthenticatorRegistry().add(fixed('x', NOT_MINE, none)).add(fixed('y', NOT_MINE, none));
    assert.deepEqual(await empty.authenticate(REQUEST, DEPS), NOT_MINE);
    assert.deepEqual(none, ['x', 'y']);
  });

  test('each backend registers its built-ins the same way; extras go at their positions, before the final refusal', () => {
    const early = fixed('early', NOT_MINE, []);
    const late = fixed('late', NOT_MINE, []);
    const extras = [{ authenticator: early, position: 0 }, late];
    assert.deepEqual(createAuthenticatorRegistry(config(), extras).names(), [
      'early',
      'bearer',
      'basic-token',
      'cookie',
      'late',
      'unrecognised-authorization',
    ]);
    assert.deepEqual(createAuthenticatorRegistry(config({ AUTH_BACKEND: 'basic' }), extras).names(), [
      'early',
      'basic-token',
      'basic-password',
      'late',
      'unrecognised-authorization',
    ]);
    // A far position still leaves the refusal of unrecognised headers last.
    assert.deepEqual(createAuthenticatorRegistry(config(), [{ authenticator: late, position: 1000 }]).names().at(-1), 'unrecognised-authorization');
  });

  test('an extra authenticator cannot take the name of a built-in one', () => {
    assert.throws(() => createAuthenticatorRegistry(config(), [fixed('bearer', NOT_MINE, [])]), /"bearer" is already registered/);
    assert.throws(() => createAuthenticatorRegistry(config({ AUTH_BACKEND: 'basic' }), [fixed('basic-password', NOT_MINE, [])]), /already registered/);
  });
});

/**
 * A deployer-style authenticator: `<header>: <email>` signs that (enabled) user in; an unknown
 * email is refused. Records every call.
 */
function headerAuthenticator(name: string, header: string, calls: string[]): Authenticator {
  return {
    name,
    async authenticate(request, { em }) {
      calls.push(name);
      const email = request.headers.get(header);
      if (email === null) return NOT_MINE;
      const user = await em.findOne(User, { emailKey: email.toLowerCase() });
      if (!user || user.disabled) return { kind: 'invalid', message: `${name}: no such user.` };
      return { kind: 'authenticated', user, credential: { kind: 'password', via: name } };
    },
  };
}

describe('deployer authenticators end to end (session backend)', () => {
  let server: TestServer;
  let bobSession: string;
  const calls: string[] = [];
  const headers = (values: Record<string, string>) => ({ headers: values });

  before(async () => {
    server = await startTestServer({}, {
      authenticators: [
        { authenticator: headerAuthenticator('x-test-user', 'x-test-user', calls), position: 0 },
        headerAuthenticator('x-late-user', 'x-late-user', calls),
      ],
    });
    await createConfirmedUser(server, 'auth.alice@example.com');
    bobSession = (await createConfirmedUser(server, 'auth.bob@example.com')).token;
  });
  after(() => server.close());
  beforeEach(() => {
    calls.length = 0;
  });

  test('position 0 runs before the built-in bearer authenticator and decides', async () => {
    const res = await server.gql(VIEWER, {}, headers({ 'x-test-user': 'auth.alice@example.com', authorization: `Bearer ${bobSession}` }));
    assert.equal(dataOf(res).viewer.email, 'auth.alice@example.com');
    assert.deepEqual(calls, ['x-test-user']);
    // Even a malformed Authorization header is never looked at once it has decided.
    assert.equal(await viewerEmail(server, headers({ 'x-test-user': 'auth.alice@example.com', authorization: 'Bearer' })), 'auth.alice@example.com');
  });

  test('an appended authenticator is not asked when a built-in one decides', async () => {
    const res = await server.gql(VIEWER, {}, headers({ 'x-late-user': 'auth.alice@example.com', authorization: `Bearer ${bobSession}` }));
    assert.equal(dataOf(res).viewer.email, 'auth.bob@example.com');
    assert.deepEqual(calls, ['x-test-user']);

    calls.length = 0;
    assertUnauthenticated(await server.gql(VIEWER, {}, headers({ 'x-late-user': 'auth.alice@example.com', authorization: 'Bearer gth_nope' })));
    assert.deepEqual(calls, ['x-test-user']);
  });

  test('an appended authenticator runs when every earlier one says "not mine"', async () => {
    assert.equal(await viewerEmail(server, headers({ 'x-late-user': 'auth.alice@example.com' })), 'auth.alice@example.com');
    assert.deepEqual(calls, ['x-test-user', 'x-late-user']);
    // Without any credentials both are asked and the request is anonymous.
    calls.length = 0;
    assert.equal(dataOf(await server.gql(VIEWER)).viewer, null);
    assert.deepEqual(calls, ['x-test-user', 'x-late-user']);
  });

  test('"invalid" refuses the request with 401, even for a public query', async () => {
    for (const [header, query] of [
      ['x-test-user', VIEWER],
      ['x-test-user', '{ validationRules }'],
      ['x-late-user', VIEWER],
    ] as const) {
      const message = assertUnauthenticated(await server.gql(query, {}, headers({ [header]: 'nobody@example.com' })));
      assert.equal(message, `${header}: no such user.`);
    }
  });

  test('a user signed in by a deployer authenticator (not a token) may create an access token', async () => {
    const res = await server.gql(CREATE_TOKEN, { input: { name: 'via header' } }, headers({ 'x-test-user': 'auth.alice@example.com' }));
    const created = dataOf(res).createAccessToken;
    assert.equal(created.__typename, 'CreatedAccessToken', JSON.stringify(created));
    assert.equal(await viewerEmail(server, { token: created.token }), 'auth.alice@example.com');
    // Which still cannot mint another.
    assert.deepEqual(errorCodes(await server.gql(CREATE_TOKEN, { input: { name: 'again' } }, { token: created.token })), ['FORBIDDEN']);
  });
});

describe('deployer authenticators end to end (basic backend)', () => {
  let server: TestServer;
  const calls: string[] = [];
  before(async () => {
    server = await startTestServer(
      { AUTH_BACKEND: 'basic', REQUIRE_EMAIL_CONFIRMATION: 'false' },
      { authenticators: [{ authenticator: headerAuthenticator('x-test-user', 'x-test-user', calls), position: 0 }] },
    );
    const em = server.gatehouse.services.orm.em.fork();
    const now = server.clock.now();
    em.create(User, { email: 'auth.basic@example.com', emailKey: 'auth.basic@example.com', passwordHash: null, disabled: false, createdAt: now, updatedAt: now });
    await em.flush();
  });
  after(() => server.close());

  test('a position-0 authenticator signs a request in without HTTP Basic; without it the Basic challenge stays', async () => {
    assert.equal(await viewerEmail(server, { headers: { 'x-test-user': 'auth.basic@example.com' } }), 'auth.basic@example.com');
    assertUnauthenticated(await server.gql(VIEWER), 'Basic realm="Gatehouse", charset="UTF-8"');
    assertUnauthenticated(await server.gql(VIEWER, {}, withAuthorization('Basic !!!')), 'Basic realm="Gatehouse", charset="UTF-8"');
  });
});

describe('a deployer authenticator that fails (e.g. its directory is down)', () => {
  let server: TestServer;
  const log = new LogCapture();
  const failing: Authenticator = {
    name: 'flaky-directory',
    async authenticate(request) {
      if (request.headers.get('x-directory-user') === null) return NOT_MINE;
      throw new Error('connect ECONNREFUSED ldap://directory.internal:389');
    },
  };
  before(async () => {
    server = await startTestServer({}, { authenticators: [{ authenticator: failing, position: 0 }], logger: pino({ level: 'error' }, log) });
  });
  after(() => server.close());

  test('answers a masked 500 that reveals nothing, logs the cause, and leaves other requests alone', async () => {
    const res = await server.gql(VIEWER, {}, { headers: { 'x-directory-user': 'someone@example.com' } });
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    assert.match(log.text, /ECONNREFUSED ldap:\/\/directory\.internal/);
    assert.equal(dataOf(await server.gql(VIEWER)).viewer, null);
  });
});
