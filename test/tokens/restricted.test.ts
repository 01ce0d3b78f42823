// Permission-restricted access tokens: a token holds only the permissions it lists that its owner
// holds now (so it follows the owner's losses at once), and no role or admin standing of its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, startTestServer, type GqlResponse, type TestServer } from '../helpers/server.ts';
import { Permission, Role } from '../../src/access/entities.ts';
import { User } from '../../src/accounts/entities.ts';
import { AccessToken } from '../../src/tokens/entities.ts';
import { ASSIGN_ROLES, CREATE_ROLE, createRoleInDb, grantRoles, ROLES } from '../access/access-helpers.ts';
import { AUDIT_EVENTS, CREATE_TOKEN, createToken, dataOf, DELETE_USER, REVOKE_TOKEN, USER_TOKENS, viewerEmail } from './token-helpers.ts';

const USERS = `{ users(first: 5) { edges { node { id email } } } }`;

/** True when the query ran, false when it was FORBIDDEN (anything else fails the test). */
function allowed(res: GqlResponse): boolean {
  if (res.body.errors) {
    assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
    return false;
  }
  assert.equal(res.status, 200);
  return true;
}

describe('permission-restricted tokens', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };

  /** Replaces a role's permissions directly in the database (an admin's edit, without the API under test). */
  async function setRolePermissions(name: string, permissions: string[]): Promise<void> {
    const em = server.gatehouse.services.orm.em.fork();
    const role = await em.findOneOrFail(Role, { name }, { populate: ['permissions'] });
    role.permissions.set(await em.find(Permission, { name: { $in: permissions } }));
    await em.flush();
  }

  before(async () => {
    server = await startTestServer();
    admin = await createConfirmedUser(server, 'rtok.admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
  });
  after(() => server.close());

  test('a token limited to [roles:read] reads roles but not the audit log its owner may read', async () => {
    await createRoleInDb(server, 'rtok-auditor', ['roles:read', 'audit:read']);
    const owner = await createConfirmedUser(server, 'rtok.auditor@example.com');
    await grantRoles(server, owner.userId, 'rtok-auditor');
    assert.equal(allowed(await server.gql(AUDIT_EVENTS, {}, { token: owner.token })), true);

    const limited = await createToken(server, owner.token, { name: 'roles only', permissions: ['roles:read'] });
    assert.deepEqual(limited.accessToken.permissions, ['roles:read']);
    const full = await createToken(server, owner.token, { name: 'everything' });

    assert.equal(allowed(await server.gql(ROLES, {}, { token: limited.token })), true);
    assert.equal(allowed(await server.gql(AUDIT_EVENTS, {}, { token: limited.token })), false);
    // The same through Basic __token__.
    const basic = { headers: { authorization: `Basic ${Buffer.from(`__token__:${limited.token}`).toString('base64')}` } };
    assert.equal(allowed(await server.gql(AUDIT_EVENTS, {}, basic)), false);
    // An unrestricted token carries everything its owner holds.
    assert.equal(allowed(await server.gql(AUDIT_EVENTS, {}, { token: full.token })), true);
    // Self-service stays: the restricted token still identifies its owner.
    assert.equal(await viewerEmail(server, { token: limited.token }), 'rtok.auditor@example.com');
  });

  test('when the owner loses a permission the token loses it on the next request, and regains it with the owner', async () => {
    await createRoleInDb(server, 'rtok-changing', ['roles:read', 'audit:read']);
    const owner = await createConfirmedUser(server, 'rtok.changing@example.com');
    await grantRoles(server, owner.userId, 'rtok-changing');
    const { token } = await createToken(server, owner.token, { name: 'follows owner', permissions: ['roles:read'] });
    assert.equal(allowed(await server.gql(ROLES, {}, { token })), true);

    await setRolePermissions('rtok-changing', ['audit:read']);
    assert.equal(allowed(await server.gql(ROLES, {}, { token })), false);
    assert.equal(allowed(await server.gql(ROLES, {}, { token: owner.token })), false);
    // What the owner still holds is not the token's either.
    assert.equal(allowed(await server.gql(AUDIT_EVENTS, {}, { token })), false);
    assert.equal(allowed(await server.gql(AUDIT_EVENTS, {}, { token: owner.token })), true);

    await setRolePermissions('rtok-changing', ['audit:read', 'roles:read']);
    assert.equal(allowed(await server.gql(ROLES, {}, { token })), true);

    // Losing the role altogether: the same.
    dataOf(await server.gql(ASSIGN_ROLES, { userId: owner.userId, roles: [] }, { token: admin.token }));
    assert.equal(allowed(await server.gql(ROLES, {}, { token })), false);
  });

  test('a token limited to no permissions at all still signs its owner in, and may do nothing guarded', async () => {
    await createRoleInDb(server, 'rtok-reader', ['roles:read']);
    const owner = await createConfirmedUser(server, 'rtok.none@example.com');
    await grantRoles(server, owner.userId, 'rtok-reader');
    const { token, accessToken } = await createToken(server, owner.token, { name: 'nothing', permissions: [] });
    assert.deepEqual(accessToken.permissions, []);
    assert.equal(await viewerEmail(server, { token }), 'rtok.none@example.com');
    assert.equal(allowed(await server.gql(ROLES, {}, { token })), false);
  });

  test("an admin's token limited to [users:read] lists users but has no admin standing", async () => {
    const { token } = await createToken(server, admin.token, { name: 'user reader', permissions: ['users:read'] });
    const victim = await createConfirmedUser(server, 'rtok.victim@example.com');
    const victims = await createToken(server, victim.token, { name: 'victim-ci' });

    assert.ok(dataOf(await server.gql(USERS, {}, { token })).users.edges.length > 0);
    assert.equal(dataOf(await server.gql(USER_TOKENS, { id: victim.userId }, { token })).user.accessTokens.length, 1);

    const createRole = await server.gql(CREATE_ROLE, { input: { name: 'rtok-escalated', permissions: [] } }, { token });
    assert.deepEqual(errorCodes(createRole), ['FORBIDDEN'], JSON.stringify(createRole.body));
    const deleteUser = await server.gql(DELETE_USER, { id: victim.userId }, { token });
    assert.deepEqual(errorCodes(deleteUser), ['FORBIDDEN'], JSON.stringify(deleteUser.body));
    assert.deepEqual(errorCodes(await server.gql(ROLES, {}, { token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(AUDIT_EVENTS, {}, { token })), ['FORBIDDEN']);
    // Giving itself (or anyone) roles back is just as refused.
    assert.deepEqual(errorCodes(await server.gql(ASSIGN_ROLES, { userId: victim.userId, roles: ['admin'] }, { token })), ['FORBIDDEN']);
    // Revoking other people's tokens needs users:write, which the token lacks: it sees NOT_FOUND.
    assert.deepEqual(errorCodes(await server.gql(REVOKE_TOKEN, { id: victims.accessToken.id }, { token })), ['NOT_FOUND']);
    // Nor can it mint an unrestricted token for itself.
    assert.deepEqual(errorCodes(await server.gql(CREATE_TOKEN, { input: { name: 'escape' } }, { token })), ['FORBIDDEN']);

    const em = server.gatehouse.services.orm.em.fork();
    assert.ok(await em.findOne(User, { id: victim.userId }), 'the refused deleteUser changed nothing');
    assert.equal(await em.count(Role, { name: 'rtok-escalated' }), 0);
    assert.equal(await viewerEmail(server, { token: victims.token }), 'rtok.victim@example.com');
    // The same admin's session keeps full standing.
    assert.equal(allowed(await server.gql(ROLES, {}, { token: admin.token })), true);
  });

  test('`viewer { roles permissions isAdmin }` tells what the request may do: a restricted token reports its own narrowed rights', async () => {
    const VIEWER_ACCESS = `{ viewer { isAdmin permissions roles { name } } }`;
    const { token } = await createToken(server, admin.token, { name: 'viewer check', permissions: ['users:read', 'audit:read'] });
    const narrowed = dataOf(await server.gql(VIEWER_ACCESS, {}, { token })).viewer;
    assert.deepEqual(narrowed, { isAdmin: false, permissions: ['audit:read', 'users:read'], roles: [] });
    // The same admin through a session, and through an unrestricted token, keeps full standing.
    const full = await createToken(server, admin.token, { name: 'viewer check, full' });
    for (const credential of [admin.token, full.token]) {
      const whole = dataOf(await server.gql(VIEWER_ACCESS, {}, { token: credential })).viewer;
      assert.equal(whole.isAdmin, true);
      assert.ok(whole.permissions.includes('roles:write') && whole.permissions.includes('database:write'));
      assert.deepEqual(whole.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'user']);
    }
    // Another account read through the restricted token shows that account's own rights, not the token's.
    const other = await createConfirmedUser(server, 'rtok.viewed@example.com');
    await grantRoles(server, other.userId, 'admin');
    const read = dataOf(await server.gql(`query($id: ID!) { user(id: $id) { isAdmin roles { name } } }`, { id: other.userId }, { token })).user;
    assert.equal(read.isAdmin, true);
    assert.deepEqual(read.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'user']);
  });

  test('a token cannot be given a permission its owner lacks', async () => {
    const owner = await createConfirmedUser(server, 'rtok.plain@example.com');
    const res = await server.gql(CREATE_TOKEN, { input: { name: 'more than owner', permissions: ['roles:read'] } }, { token: owner.token });
    const refused = dataOf(res).createAccessToken;
    assert.equal(refused.__typename, 'ValidationError');
    assert.deepEqual(refused.fields, [{ field: 'permissions', messages: ['A token cannot hold permissions you do not: roles:read.'] }]);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(AccessToken, { user: owner.userId }), 0);
  });
});
