// Personal access tokens end to end on the default (session) backend: creation (session only,
// shown once), use as Bearer and as Basic `__token__`, the listing, lastUsedAt written at most
// once a minute, revocation, expiry, a disabled or deleted owner, ALLOW_API_TOKENS=false,
// input validation, and who may list and revoke whose tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRoleInDb, grantRoles } from '../access/access-helpers.ts';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer, answeredNothing } from '../helpers/server.ts';
import { AccessToken } from '../../src/tokens/entities.ts';
import { Session } from '../../src/sessions/entities.ts';
import { hashToken } from '../../src/util/secrets.ts';
import {
  asTokenBasic,
  assertUnauthenticated,
  CREATE_TOKEN,
  createToken,
  dataOf,
  DELETE_USER,
  REVOKE_TOKEN,
  secretBody,
  tokensOf,
  UPDATE_USER,
  USER_TOKENS,
  VIEWER,
  VIEWER_TOKENS,
  viewerEmail,
} from './token-helpers.ts';

const DAY = 86_400_000;
const TOKEN_SHAPE = /^gth_[0-9a-f]{48}$/;

describe('personal access tokens', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };

  before(async () => {
    server = await startTestServer();
    admin = await createConfirmedUser(server, 'tok.admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
  });
  after(() => server.close());

  test('createAccessToken returns gth_ + 48 hex digits once, with its record', async () => {
    const { token: session } = await createConfirmedUser(server, 'tok.create@example.com');
    const before = server.clock.now().toISOString();
    const created = await createToken(server, session, { name: '  CI deploys  ', expiresInDays: 30 });
    assert.match(created.token, TOKEN_SHAPE);
    const record = created.accessToken;
    assert.equal(record.name, 'CI deploys');
    assert.equal(record.prefix, 'gth_');
    assert.equal(record.lastFour, created.token.slice(-4));
    assert.equal(record.createdAt, before);
    assert.equal(Date.parse(record.expiresAt!), Date.parse(before) + 30 * DAY);
    assert.equal(record.lastUsedAt, null);
    assert.equal(record.permissions, null);
    assert.equal(record.expired, false);

    // Two tokens never share a value (192 random bits each).
    const second = await createToken(server, session, { name: 'second' });
    assert.notEqual(second.token, created.token);
    assert.equal(second.accessToken.expiresAt, null);
  });

  test('the token works as Authorization: Bearer and as Basic __token__', async () => {
    const { token: session } = await createConfirmedUser(server, 'tok.use@example.com');
    const { token } = await createToken(server, session, { name: 'use' });
    assert.equal(await viewerEmail(server, { token }), 'tok.use@example.com');
    assert.equal(await viewerEmail(server, asTokenBasic(token)), 'tok.use@example.com');
    // Case-insensitive scheme, as RFC 9110 allows.
    assert.equal(await viewerEmail(server, { headers: { authorization: `bearer ${token}` } }), 'tok.use@example.com');
  });

  test('a session token that happens to start with gth_ still works as a bearer token', async () => {
    const { userId } = await createConfirmedUser(server, 'tok.lookalike@example.com');
    // What generateToken() gives about once in 17 million sessions: 43 base64url characters.
    const lookalike = `gth_${randomBytes(30).toString('base64url').slice(0, 39)}`;
    const em = server.gatehouse.services.orm.em.fork();
    const now = server.clock.now();
    await em.insert(Session, {
      id: randomUUID(),
      tokenHash: hashToken(lookalike),
      user: userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + DAY),
      ipAddress: null,
      userAgent: null,
    });
    assert.equal(await viewerEmail(server, { token: lookalike }), 'tok.lookalike@example.com');
    // A malformed gth_ value is still refused with 401.
    assertUnauthenticated(await server.gql(VIEWER, {}, { token: 'gth_short' }));
  });

  test('only a session creates tokens: a token (Bearer or Basic) is FORBIDDEN, anonymous is UNAUTHENTICATED', async () => {
    const { token: session, userId } = await createConfirmedUser(server, 'tok.mint@example.com');
    const { token } = await createToken(server, session, { name: 'minter' });
    const input = { input: { name: 'minted' } };

    for (const options of [{ token }, asTokenBasic(token)]) {
      const res = await server.gql(CREATE_TOKEN, input, options);
      assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
      assert.match(res.body.errors![0]!.message, /session/);
      assert.ok(answeredNothing(res));
    }
    const anonymous = await server.gql(CREATE_TOKEN, input);
    assert.deepEqual(errorCodes(anonymous), ['UNAUTHENTICATED']);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(AccessToken, { user: userId }), 1);
  });

  test('viewer.accessTokens lists every field but never the token, newest first', async () => {
    const { token: session, userId } = await createConfirmedUser(server, 'tok.list@example.com');
    const first = await createToken(server, session, { name: 'first', expiresInDays: 7 });
    server.clock.advance(1000);
    const second = await createToken(server, session, { name: 'second' });

    const res = await server.gql(VIEWER_TOKENS, {}, { token: session });
    const listed = dataOf(res).viewer.accessTokens;
    assert.deepEqual(listed, [second.accessToken, first.accessToken]);
    for (const token of [first.token, second.token]) {
      const text = JSON.stringify(res.body);
      assert.equal(text.includes(token), false);
      assert.equal(text.includes(secretBody(token)), false);
    }
    // The token's owner may list them with the token too; the list stays secret-free.
    const viaToken = await server.gql(VIEWER_TOKENS, {}, { token: first.token });
    assert.equal(dataOf(viaToken).viewer.id, userId);
    assert.equal(JSON.stringify(viaToken.body).includes(first.token), false);
  });

  test('lastUsedAt is set on first use, not rewritten within a minute, rewritten after it', async () => {
    const { token: session } = await createConfirmedUser(server, 'tok.lastused@example.com');
    const { token, accessToken } = await createToken(server, session, { name: 'lastused' });
    const lastUsed = async () => (await tokensOf(server, session)).find((t) => t.id === accessToken.id)!.lastUsedAt;
    assert.equal(await lastUsed(), null);

    server.clock.advance(5000);
    const firstUse = server.clock.now().getTime();
    await viewerEmail(server, { token });
    assert.equal(Date.parse((await lastUsed())!), firstUse);

    server.clock.advance(30_000);
    await viewerEmail(server, asTokenBasic(token));
    assert.equal(Date.parse((await lastUsed())!), firstUse, 'not rewritten within a minute');

    server.clock.advance(31_000);
    const later = server.clock.now().getTime();
    await viewerEmail(server, { token });
    assert.equal(Date.parse((await lastUsed())!), later, 'rewritten after 61 s');
  });

  test('revokeAccessToken: the next request with it is HTTP 401 UNAUTHENTICATED with a Bearer challenge', async () => {
    const { token: session } = await createConfirmedUser(server, 'tok.revoke@example.com');
    const { token, accessToken } = await createToken(server, session, { name: 'doomed' });
    const other = await createToken(server, session, { name: 'kept' });
    await viewerEmail(server, { token });

    assert.deepEqual(dataOf(await server.gql(REVOKE_TOKEN, { id: accessToken.id }, { token: session })), { revokeAccessToken: { id: accessToken.id } });
    const message = assertUnauthenticated(await server.gql(VIEWER, {}, { token }));
    assert.match(message, /invalid, expired or revoked/);
    assertUnauthenticated(await server.gql(VIEWER, {}, asTokenBasic(token)));
    assert.deepEqual((await tokensOf(server, session)).map((t) => t.name), ['kept']);
    assert.equal(await viewerEmail(server, { token: other.token }), 'tok.revoke@example.com');

    // Revoking it again: it is gone.
    assert.deepEqual(errorCodes(await server.gql(REVOKE_TOKEN, { id: accessToken.id }, { token: session })), ['NOT_FOUND']);
  });

  test("users:write without admin cannot revoke an admin's token (only admins act on admins)", async () => {
    const admin = await createConfirmedUser(server, 'tok.admin.target@example.com');
    await grantRoles(server, admin.userId, 'admin');
    const created = await server.gql(CREATE_TOKEN, { input: { name: 'admin ci' } }, { token: admin.token });
    const { token, accessToken } = dataOf(created).createAccessToken;
    const manager = await createConfirmedUser(server, 'tok.manager@example.com');
    await createRoleInDb(server, 'token-managers', ['users:read', 'users:write']);
    await grantRoles(server, manager.userId, 'token-managers');
    const refused = await server.gql(REVOKE_TOKEN, { id: accessToken.id }, { token: manager.token });
    assert.deepEqual(errorCodes(refused), ['FORBIDDEN']);
    assert.equal(await viewerEmail(server, { token }), 'tok.admin.target@example.com');
  });

  test('a token can revoke itself, and is refused on the next request', async () => {
    const { token: session } = await createConfirmedUser(server, 'tok.selfrevoke@example.com');
    const { token, accessToken } = await createToken(server, session, { name: 'self' });
    // Its first use in the same request as its deletion (lastUsedAt is written on that request).
    assert.deepEqual(dataOf(await server.gql(REVOKE_TOKEN, { id: accessToken.id }, { token })), { revokeAccessToken: { id: accessToken.id } });
    assertUnauthenticated(await server.gql(VIEWER, {}, { token }));
  });

  test('expiresInDays 1: works until a day has passed, then 401', async () => {
    const { token: session } = await createConfirmedUser(server, 'tok.expiry@example.com');
    const { token, accessToken } = await createToken(server, session, { name: 'short', expiresInDays: 1 });
    server.clock.advance(DAY - 1000);
    assert.equal(await viewerEmail(server, { token }), 'tok.expiry@example.com');
    server.clock.advance(1000 + 1000);
    assertUnauthenticated(await server.gql(VIEWER, {}, { token }));
    assertUnauthenticated(await server.gql(VIEWER, {}, asTokenBasic(token)));

    // The session outlives it and sees the token as expired.
    const listed = await tokensOf(server, session);
    assert.equal(listed.find((t) => t.id === accessToken.id)!.expired, true);
  });

  test('a disabled owner: the token is refused at once, and works again when re-enabled', async () => {
    const owner = await createConfirmedUser(server, 'tok.disabled@example.com');
    const { token } = await createToken(server, owner.token, { name: 'owner-disabled' });
    await viewerEmail(server, { token });

    const disabled = dataOf(await server.gql(UPDATE_USER, { input: { id: owner.userId, disabled: true } }, { token: admin.token }));
    assert.deepEqual(disabled.updateUser, { __typename: 'User', id: owner.userId, disabled: true });
    assertUnauthenticated(await server.gql(VIEWER, {}, { token }));
    assertUnauthenticated(await server.gql(VIEWER, {}, asTokenBasic(token)));

    dataOf(await server.gql(UPDATE_USER, { input: { id: owner.userId, disabled: false } }, { token: admin.token }));
    assert.equal(await viewerEmail(server, { token }), 'tok.disabled@example.com');
  });

  test('a deleted owner: the token is refused at once and its row is gone', async () => {
    const owner = await createConfirmedUser(server, 'tok.deleted@example.com');
    const { token } = await createToken(server, owner.token, { name: 'owner-deleted' });
    await viewerEmail(server, { token });

    assert.equal(dataOf(await server.gql(DELETE_USER, { id: owner.userId }, { token: admin.token })).deleteUser.__typename, 'DeletedUser');
    assertUnauthenticated(await server.gql(VIEWER, {}, { token }));
    assertUnauthenticated(await server.gql(VIEWER, {}, asTokenBasic(token)));
    assert.equal(await server.gatehouse.services.orm.em.fork().count(AccessToken, { user: owner.userId }), 0);
  });

  test('invalid input is a ValidationError naming the field, and creates nothing', async () => {
    const { token: session, userId } = await createConfirmedUser(server, 'tok.invalid@example.com');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 'two\nlines' }, 'name'],
      [{ name: 'zero', expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'negative', expiresInDays: -1 }, 'expiresInDays'],
      [{ name: 'long', expiresInDays: 5000 }, 'expiresInDays'],
      [{ name: 'unknown', permissions: ['no:such-permission'] }, 'permissions'],
      // A plain user holds none of the built-in permissions.
      [{ name: 'lacking', permissions: ['users:read'] }, 'permissions'],
    ];
    for (const [input, field] of cases) {
      const result = dataOf(await server.gql(CREATE_TOKEN, { input }, { token: session })).createAccessToken;
      assert.equal(result.__typename, 'ValidationError', `${JSON.stringify(input)} → ${JSON.stringify(result)}`);
      assert.equal(result.code, 'VALIDATION_FAILED');
      assert.deepEqual(result.fields.map((f: any) => f.field), [field], JSON.stringify(result));
      assert.ok(result.fields[0].messages.length > 0);
    }
    // The limits themselves are accepted.
    await createToken(server, session, { name: 'x'.repeat(100), expiresInDays: 3650 });
    await createToken(server, session, { name: 'one day', expiresInDays: 1 });
    assert.equal(await server.gatehouse.services.orm.em.fork().count(AccessToken, { user: userId }), 2);
  });

  test('at most 100 tokens per user: the 101st is a ValidationError on name until one is revoked', async () => {
    const { token: session, userId } = await createConfirmedUser(server, 'tok.many@example.com');
    const em = server.gatehouse.services.orm.em.fork();
    const now = server.clock.now();
    await em.insertMany(
      AccessToken,
      Array.from({ length: 99 }, (_, i) => ({
        id: randomUUID(),
        user: userId,
        name: `bulk ${i}`,
        tokenHash: randomBytes(32).toString('hex'),
        lastFour: '0000',
        permissions: null,
        createdAt: now,
        expiresAt: null,
        lastUsedAt: null,
      })),
    );
    const hundredth = await createToken(server, session, { name: 'hundredth' });
    const refused = dataOf(await server.gql(CREATE_TOKEN, { input: { name: 'one too many' } }, { token: session })).createAccessToken;
    assert.equal(refused.__typename, 'ValidationError');
    assert.deepEqual(refused.fields, [{ field: 'name', messages: ['You have 100 tokens; revoke one first.'] }]);
    dataOf(await server.gql(REVOKE_TOKEN, { id: hundredth.accessToken.id }, { token: session }));
    await createToken(server, session, { name: 'room again' });
  });

  test("a plain user cannot see or revoke another user's token: NOT_FOUND, and it keeps working", async () => {
    const alice = await createConfirmedUser(server, 'tok.alice@example.com');
    const bob = await createConfirmedUser(server, 'tok.bob@example.com');
    const bobs = await createToken(server, bob.token, { name: 'bob-ci' });

    for (const id of [bobs.accessToken.id, randomUUID(), 'not-an-id']) {
      const res = await server.gql(REVOKE_TOKEN, { id }, { token: alice.token });
      assert.deepEqual(errorCodes(res), ['NOT_FOUND'], JSON.stringify(res.body));
    }
    assert.equal(await viewerEmail(server, { token: bobs.token }), 'tok.bob@example.com');
    assert.deepEqual(errorCodes(await server.gql(USER_TOKENS, { id: bob.userId }, { token: alice.token })), ['FORBIDDEN']);
    // Bob's own token cannot reach Alice's tokens either.
    const alices = await createToken(server, alice.token, { name: 'alice-ci' });
    assert.deepEqual(errorCodes(await server.gql(REVOKE_TOKEN, { id: alices.accessToken.id }, { token: bobs.token })), ['NOT_FOUND']);
    assert.equal(await viewerEmail(server, { token: alices.token }), 'tok.alice@example.com');
  });

  test("an admin lists anyone's tokens with user(id).accessTokens and revokes them", async () => {
    const carol = await createConfirmedUser(server, 'tok.carol@example.com');
    const carols = await createToken(server, carol.token, { name: 'carol-ci', expiresInDays: 10 });

    const res = await server.gql(USER_TOKENS, { id: carol.userId }, { token: admin.token });
    assert.deepEqual(dataOf(res).user.accessTokens, [carols.accessToken]);
    assert.equal(JSON.stringify(res.body).includes(carols.token), false);

    assert.deepEqual(dataOf(await server.gql(REVOKE_TOKEN, { id: carols.accessToken.id }, { token: admin.token })), { revokeAccessToken: { id: carols.accessToken.id } });
    assertUnauthenticated(await server.gql(VIEWER, {}, { token: carols.token }));
    assert.deepEqual(await tokensOf(server, carol.token), []);
  });
});

describe('ALLOW_API_TOKENS=false', () => {
  let enabled: TestServer;
  let disabled: TestServer;
  before(async () => {
    enabled = await startTestServer();
    // A second server on the same database file, with tokens turned off.
    disabled = await startTestServer({ ALLOW_API_TOKENS: 'false', DATABASE_URL: join(enabled.dir, 'gatehouse.db') });
  });
  after(async () => {
    await disabled.close();
    await enabled.close();
  });

  test('creation is FORBIDDEN and nothing is stored', async () => {
    const { token: session, userId } = await createConfirmedUser(enabled, 'off.create@example.com');
    const res = await disabled.gql(CREATE_TOKEN, { input: { name: 'refused' } }, { token: session });
    assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
    assert.match(res.body.errors![0]!.message, /ALLOW_API_TOKENS/);
    assert.equal(await disabled.gatehouse.services.orm.em.fork().count(AccessToken, { user: userId }), 0);
  });

  test('an existing token (valid where tokens are on) is refused with 401, as is a made-up one', async () => {
    const { token: session } = await createConfirmedUser(enabled, 'off.use@example.com');
    const { token } = await createToken(enabled, session, { name: 'existing' });
    assert.equal(await viewerEmail(enabled, { token }), 'off.use@example.com');

    for (const options of [{ token }, asTokenBasic(token), { token: `gth_${randomBytes(24).toString('hex')}` }]) {
      const message = assertUnauthenticated(await disabled.gql(VIEWER, {}, options));
      assert.match(message, /turned off/);
    }
    // Sessions are unaffected.
    assert.equal(await viewerEmail(disabled, { token: session }), 'off.use@example.com');
  });
});
