// Roles and permissions are read fresh on every request: a change made by an admin (or directly
// in the database) applies to the holder's very next request, with the same session token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { ASSIGN_ROLES, createRoleInDb, dataOf, DELETE_ROLE, grantRoles, ROLES, UPDATE_ROLE } from './access-helpers.ts';

describe('access is read fresh per request', () => {
  let server: TestServer;
  let admin: string;
  let holder: { token: string; userId: string };

  const canListRoles = async () => {
    const res = await server.gql(ROLES, {}, { token: holder.token });
    if (res.body.errors) {
      assert.deepEqual(errorCodes(res), ['FORBIDDEN']);
      return false;
    }
    return Array.isArray(res.body.data.roles);
  };
  const asAdmin = (query: string, variables: Record<string, unknown>) => server.gql(query, variables, { token: admin });

  before(async () => {
    server = await startTestServer();
    const a = await createConfirmedUser(server, 'fresh.admin@example.com');
    await grantRoles(server, a.userId, 'admin');
    admin = a.token;
    holder = await createConfirmedUser(server, 'fresh.holder@example.com');
  });
  after(() => server.close());

  test('assigning a role grants its permissions on the next request; removing it takes them away on the next', async () => {
    await createRoleInDb(server, 'role-auditor', ['roles:read']);
    assert.equal(await canListRoles(), false);
    dataOf(await asAdmin(ASSIGN_ROLES, { userId: holder.userId, roles: ['role-auditor'] }));
    assert.equal(await canListRoles(), true);
    dataOf(await asAdmin(ASSIGN_ROLES, { userId: holder.userId, roles: [] }));
    assert.equal(await canListRoles(), false);
  });

  test("changing a role's permissions applies to its holders' next request", async () => {
    await createRoleInDb(server, 'changing', ['roles:read']);
    dataOf(await asAdmin(ASSIGN_ROLES, { userId: holder.userId, roles: ['changing'] }));
    assert.equal(await canListRoles(), true);
    dataOf(await asAdmin(UPDATE_ROLE, { input: { name: 'changing', permissions: ['audit:read'] } }));
    assert.equal(await canListRoles(), false);
    dataOf(await asAdmin(UPDATE_ROLE, { input: { name: 'changing', permissions: ['audit:read', 'roles:read'] } }));
    assert.equal(await canListRoles(), true);
  });

  test('deleting a role applies to its holders at once', async () => {
    await createRoleInDb(server, 'doomed', ['roles:read']);
    dataOf(await asAdmin(ASSIGN_ROLES, { userId: holder.userId, roles: ['doomed'] }));
    assert.equal(await canListRoles(), true);
    dataOf(await asAdmin(DELETE_ROLE, { name: 'doomed' }));
    assert.equal(await canListRoles(), false);
  });

  test('losing the admin role takes effect on the next request', async () => {
    const other = await createConfirmedUser(server, 'fresh.other-admin@example.com');
    await grantRoles(server, other.userId, 'admin');
    const asOther = () => server.gql(ROLES, {}, { token: other.token });
    assert.equal(dataOf(await asOther()).roles.length > 0, true);
    assert.equal(dataOf(await asAdmin(ASSIGN_ROLES, { userId: other.userId, roles: [] })).assignRoles.__typename, 'User');
    assert.deepEqual(errorCodes(await asOther()), ['FORBIDDEN']);
  });
});
