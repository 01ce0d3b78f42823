// User.roles, User.permissions and User.isAdmin: visible to the account itself and to holders of
// users:read, refused to anyone else; and Role.userCount, reached through them, needs roles:read.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { CREATE_PERMISSION, createRoleInDb, dataOf, grantRoles, VIEWER_ACCESS } from './access-helpers.ts';

/** assignRoles answers with the User: the one path (besides `viewer`) to another account here. */
const ASSIGN_AND_READ = `mutation($userId: ID!, $roles: [String!]!) {
  assignRoles(input: { userId: $userId, roles: $roles }) { __typename ... on User { roles { name } permissions isAdmin } }
}`;

describe('User.roles, User.permissions, User.isAdmin', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let plain: { token: string; userId: string };

  before(async () => {
    server = await startTestServer();
    admin = await createConfirmedUser(server, 'ua.admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
    plain = await createConfirmedUser(server, 'ua.plain@example.com');
  });
  after(() => server.close());

  test('a plain account sees its own: the user role, no permissions, not admin', async () => {
    const viewer = dataOf(await server.gql(VIEWER_ACCESS, {}, { token: plain.token })).viewer;
    assert.deepEqual(viewer, { id: plain.userId, roles: [{ name: 'user' }], permissions: [], isAdmin: false });
  });

  test('an admin holds every permission, including ones created later', async () => {
    dataOf(await server.gql(CREATE_PERMISSION, { input: { name: 'billing:read' } }, { token: admin.token }));
    const viewer = dataOf(await server.gql(VIEWER_ACCESS, {}, { token: admin.token })).viewer;
    assert.deepEqual(viewer.roles, [{ name: 'admin' }, { name: 'user' }]);
    assert.equal(viewer.isAdmin, true);
    assert.deepEqual(viewer.permissions, ['audit:read', 'billing:read', 'database:read', 'database:write', 'maintenance:write', 'organizations:create', 'organizations:read', 'organizations:write', 'roles:read', 'roles:write', 'users:impersonate', 'users:read', 'users:write', 'webhooks:read', 'webhooks:write']);
  });

  test("a custom role's permissions are the account's, merged across roles", async () => {
    const holder = await createConfirmedUser(server, 'ua.holder@example.com');
    await createRoleInDb(server, 'ua-one', ['roles:read', 'audit:read']);
    await createRoleInDb(server, 'ua-two', ['audit:read', 'users:read']);
    await grantRoles(server, holder.userId, 'ua-one', 'ua-two');
    const viewer = dataOf(await server.gql(VIEWER_ACCESS, {}, { token: holder.token })).viewer;
    assert.deepEqual(viewer.roles.map((r: any) => r.name), ['ua-one', 'ua-two', 'user']);
    assert.deepEqual(viewer.permissions, ['audit:read', 'roles:read', 'users:read']);
    assert.equal(viewer.isAdmin, false);
  });

  test("another account's roles are refused without users:read and shown with it", async () => {
    const target = await createConfirmedUser(server, 'ua.target@example.com');
    // Both may assign roles (roles:write); only the second may read user accounts.
    const writer = await createConfirmedUser(server, 'ua.writer@example.com');
    await createRoleInDb(server, 'ua-writer', ['roles:write']);
    await grantRoles(server, writer.userId, 'ua-writer');
    const reader = await createConfirmedUser(server, 'ua.reader@example.com');
    await createRoleInDb(server, 'ua-writer-reader', ['roles:write', 'users:read']);
    await grantRoles(server, reader.userId, 'ua-writer-reader');

    for (const field of ['roles { name }', 'permissions', 'isAdmin']) {
      const query = `mutation($userId: ID!) { assignRoles(input: { userId: $userId, roles: [] }) { ... on User { ${field} } } }`;
      const refused = await server.gql(query, { userId: target.userId }, { token: writer.token });
      assert.deepEqual(errorCodes(refused), ['FORBIDDEN'], field);
      assert.equal(refused.body.errors![0]!.path!.at(-1), field.split(' ')[0]);
    }

    const shown = dataOf(await server.gql(ASSIGN_AND_READ, { userId: target.userId, roles: [] }, { token: reader.token })).assignRoles;
    assert.deepEqual(shown, { __typename: 'User', roles: [{ name: 'user' }], permissions: [], isAdmin: false });
    // The admin holds users:read like every permission.
    const byAdmin = dataOf(await server.gql(ASSIGN_AND_READ, { userId: reader.userId, roles: ['ua-writer-reader'] }, { token: admin.token })).assignRoles;
    assert.deepEqual(byAdmin, {
      __typename: 'User',
      roles: [{ name: 'ua-writer-reader' }, { name: 'user' }],
      permissions: ['roles:write', 'users:read'],
      isAdmin: false,
    });
  });

  test('through user(id): a holder of users:read alone sees them, a plain user is refused', async () => {
    const target = await createConfirmedUser(server, 'ua.looked-up@example.com');
    await grantRoles(server, target.userId, 'admin');
    const userReader = await createConfirmedUser(server, 'ua.user-reader@example.com');
    await createRoleInDb(server, 'ua-user-reader', ['users:read']);
    await grantRoles(server, userReader.userId, 'ua-user-reader');
    const query = `query($id: ID!) { user(id: $id) { roles { name } permissions isAdmin } }`;

    const seen = dataOf(await server.gql(query, { id: target.userId }, { token: userReader.token })).user;
    assert.deepEqual(seen.roles, [{ name: 'admin' }, { name: 'user' }]);
    assert.equal(seen.isAdmin, true);
    assert.ok(seen.permissions.includes('roles:write'));
    assert.deepEqual(errorCodes(await server.gql(query, { id: target.userId }, { token: plain.token })), ['FORBIDDEN']);
  });

  test('the fields show the roles assigned earlier in the same operation', async () => {
    const target = await createConfirmedUser(server, 'ua.same-op@example.com');
    const result = dataOf(await server.gql(ASSIGN_AND_READ, { userId: target.userId, roles: ['admin'] }, { token: admin.token })).assignRoles;
    assert.equal(result.isAdmin, true);
    assert.ok(result.permissions.includes('users:write'));
  });

  test('a role reached through User.roles shows its permissions but not its user count without roles:read', async () => {
    await createRoleInDb(server, 'ua-described', ['audit:read']);
    const holder = await createConfirmedUser(server, 'ua.counter@example.com');
    await grantRoles(server, holder.userId, 'ua-described');
    const own = dataOf(await server.gql(`{ viewer { roles { name permissions { name } } } }`, {}, { token: holder.token })).viewer;
    assert.deepEqual(own.roles, [
      { name: 'ua-described', permissions: [{ name: 'audit:read' }] },
      { name: 'user', permissions: [] },
    ]);
    const counted = await server.gql(`{ viewer { roles { name userCount } } }`, {}, { token: holder.token });
    assert.deepEqual([...new Set(errorCodes(counted))], ['FORBIDDEN']);
  });

  test('anonymous: viewer is null, so nothing of the kind is reachable', async () => {
    const res = await server.gql(VIEWER_ACCESS);
    assert.deepEqual(dataOf(res), { viewer: null });
  });
});
