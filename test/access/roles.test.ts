// Managing roles and permissions as an admin: creating, renaming, describing, setting permissions,
// deleting; what built-in roles and permissions refuse; input validation; the audit trail; and that
// roles:write without admin cannot hand out more than its holder has.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import {
  accessSnapshot,
  ASSIGN_ROLES,
  auditEvents,
  CREATE_PERMISSION,
  CREATE_ROLE,
  createRoleInDb,
  dataOf,
  DELETE_PERMISSION,
  DELETE_ROLE,
  grantRoles,
  PERMISSIONS,
  ROLES,
  rolesOf,
  UPDATE_ROLE,
} from './access-helpers.ts';

const BUILT_IN_PERMISSIONS = ['audit:read', 'database:read', 'database:write', 'maintenance:write', 'organizations:create', 'organizations:read', 'organizations:write', 'roles:read', 'roles:write', 'users:impersonate', 'users:read', 'users:write', 'webhooks:read', 'webhooks:write'];

describe('roles and permissions', () => {
  let server: TestServer;
  let admin: string;
  let adminId: string;

  const gql = (query: string, variables: Record<string, unknown> = {}, token = admin) => server.gql(query, variables, { token });
  const roleNamed = async (name: string) => dataOf(await gql(ROLES)).roles.find((r: any) => r.name === name);

  before(async () => {
    server = await startTestServer();
    ({ token: admin, userId: adminId } = await createConfirmedUser(server, 'roles.admin@example.com'));
    await grantRoles(server, adminId, 'admin');
  });
  after(() => server.close());

  test('a fresh server has the built-in roles and permissions, marked builtIn', async () => {
    const permissions = dataOf(await gql(PERMISSIONS)).permissions;
    assert.deepEqual(permissions.map((p: any) => p.name), BUILT_IN_PERMISSIONS);
    assert.ok(permissions.every((p: any) => p.builtIn && p.description && p.id && p.createdAt));
    const roles = dataOf(await gql(ROLES)).roles;
    const admin = roles.find((r: any) => r.name === 'admin');
    const user = roles.find((r: any) => r.name === 'user');
    assert.equal(admin.builtIn, true);
    assert.equal(user.builtIn, true);
    assert.deepEqual(admin.permissions.map((p: any) => p.name), BUILT_IN_PERMISSIONS);
    assert.deepEqual(user.permissions, []);
    assert.ok(admin.userCount >= 1);
  });

  test('create a role with permissions, rename it, describe it, change its permissions, delete it', async () => {
    const created = dataOf(
      await gql(CREATE_ROLE, { input: { name: 'support', description: '  Helps users.  ', permissions: ['users:read', 'audit:read'] } }),
    ).createRole;
    assert.equal(created.__typename, 'Role');
    assert.deepEqual(
      { name: created.name, description: created.description, builtIn: created.builtIn, permissions: created.permissions.map((p: any) => p.name) },
      { name: 'support', description: 'Helps users.', builtIn: false, permissions: ['audit:read', 'users:read'] },
    );

    const renamed = dataOf(
      await gql(UPDATE_ROLE, { input: { name: 'support', newName: 'helpdesk', description: 'First line.', permissions: ['users:read'] } }),
    ).updateRole;
    assert.deepEqual(
      { id: renamed.id, name: renamed.name, description: renamed.description, permissions: renamed.permissions.map((p: any) => p.name) },
      { id: created.id, name: 'helpdesk', description: 'First line.', permissions: ['users:read'] },
    );
    // Omitted fields stay; an empty description clears it.
    const cleared = dataOf(await gql(UPDATE_ROLE, { input: { name: 'helpdesk', description: '' } })).updateRole;
    assert.equal(cleared.description, null);
    assert.equal(cleared.name, 'helpdesk');
    assert.deepEqual(cleared.permissions.map((p: any) => p.name), ['users:read']);

    const deleted = dataOf(await gql(DELETE_ROLE, { name: 'helpdesk' })).deleteRole;
    assert.deepEqual(deleted, { __typename: 'DeletedRole', id: created.id, name: 'helpdesk' });
    assert.equal(await roleNamed('helpdesk'), undefined);
    assert.deepEqual(errorCodes(await gql(DELETE_ROLE, { name: 'helpdesk' })), ['NOT_FOUND']);
  });

  test('create and delete a permission; admin holds a new permission at once; holders of a deleted one lose it', async () => {
    const permission = dataOf(await gql(CREATE_PERMISSION, { input: { name: 'reports:read', description: 'Read reports.' } })).createPermission;
    assert.deepEqual(
      { name: permission.name, description: permission.description, builtIn: permission.builtIn },
      { name: 'reports:read', description: 'Read reports.', builtIn: false },
    );
    assert.ok((await roleNamed('admin')).permissions.some((p: any) => p.name === 'reports:read'));
    const viewer = dataOf(await gql(`{ viewer { permissions } }`)).viewer;
    assert.ok(viewer.permissions.includes('reports:read'));

    const role = dataOf(await gql(CREATE_ROLE, { input: { name: 'reporter', permissions: ['reports:read'] } })).createRole;
    dataOf(await gql(DELETE_PERMISSION, { name: 'reports:read' }));
    assert.deepEqual((await roleNamed('reporter')).permissions, []);
    assert.ok(!(await roleNamed('admin')).permissions.some((p: any) => p.name === 'reports:read'));
    dataOf(await gql(DELETE_ROLE, { name: role.name }));
  });

  test('a description is one line of at most 500 characters, the same rule as profile and token names; a refused one changes nothing', async () => {
    for (const [description, message] of [
      ['First line.\nSecond line.', 'Use a single line without control characters.'],
      ['bell\u0007', 'Use a single line without control characters.'],
      ['x'.repeat(501), 'Use at most 500 characters.'],
    ]) {
      const refused = dataOf(await gql(CREATE_ROLE, { input: { name: 'one-liner', description } })).createRole;
      assert.equal(refused.__typename, 'ValidationError', JSON.stringify(refused));
      assert.deepEqual(refused.fields, [{ field: 'description', messages: [message] }]);
      const refusedPermission = dataOf(await gql(CREATE_PERMISSION, { input: { name: 'one:liner', description } })).createPermission;
      assert.deepEqual(refusedPermission.fields, [{ field: 'description', messages: [message] }]);
    }
    assert.equal(await roleNamed('one-liner'), undefined);
  });

  test('updateRole: null on the new name or the permission list is refused by name (only a description can be cleared)', async () => {
    const role = dataOf(await gql(CREATE_ROLE, { input: { name: 'nullable-check', description: 'Kept.', permissions: ['users:read'] } })).createRole;
    const refused = dataOf(await gql(UPDATE_ROLE, { input: { name: role.name, newName: null, permissions: null, description: null } })).updateRole;
    const message = 'This cannot be cleared: omit the field to keep its value.';
    assert.deepEqual(refused.fields, [{ field: 'newName', messages: [message] }, { field: 'permissions', messages: [message] }]);
    const kept = await roleNamed('nullable-check');
    assert.deepEqual({ description: kept.description, permissions: kept.permissions.map((p: any) => p.name) }, { description: 'Kept.', permissions: ['users:read'] });
  });

  test('an admin can delete a role and a permission they hold themselves, in the request that loaded them', async () => {
    await createRoleInDb(server, 'self-held', ['audit:read']);
    await grantRoles(server, adminId, 'self-held');
    const permission = dataOf(await gql(CREATE_PERMISSION, { input: { name: 'self:held' } })).createPermission;
    dataOf(await gql(UPDATE_ROLE, { input: { name: 'self-held', permissions: ['audit:read', 'self:held'] } }));
    // The rule check loads the admin's roles and their permissions into the request before both deletions.
    const both = `mutation($role: String!, $permission: String!) {
      deletePermission(input: { name: $permission }) { __typename }
      deleteRole(input: { name: $role }) { __typename }
    }`;
    const result = dataOf(await gql(both, { role: 'self-held', permission: permission.name }));
    assert.deepEqual(result, { deletePermission: { __typename: 'DeletedPermission' }, deleteRole: { __typename: 'DeletedRole' } });
    assert.deepEqual(await rolesOf(server, adminId), ['admin', 'user']);
    assert.ok(!dataOf(await gql(PERMISSIONS)).permissions.some((p: any) => p.name === 'self:held'));
  });

  test('built-in roles cannot be renamed or deleted; their description and (but for admin) permissions can change', async () => {
    const before = await accessSnapshot(server);
    for (const name of ['admin', 'user']) {
      const rename = dataOf(await gql(UPDATE_ROLE, { input: { name, newName: 'renamed', description: 'Not applied either.' } })).updateRole;
      assert.equal(rename.__typename, 'BuiltInProtectedError');
      assert.equal(rename.code, 'BUILT_IN_PROTECTED');
      const deletion = dataOf(await gql(DELETE_ROLE, { name })).deleteRole;
      assert.equal(deletion.__typename, 'BuiltInProtectedError');
    }
    // admin holds every permission by definition: a list stored on it would mean nothing.
    const adminPermissions = dataOf(await gql(UPDATE_ROLE, { input: { name: 'admin', permissions: ['users:read'] } })).updateRole;
    assert.equal(adminPermissions.__typename, 'BuiltInProtectedError');
    assert.deepEqual(await accessSnapshot(server), before, 'a refused change to a built-in role changed something');

    // Renaming to the same name is no rename.
    const described = dataOf(await gql(UPDATE_ROLE, { input: { name: 'admin', newName: 'admin', description: 'The operators.' } })).updateRole;
    assert.equal(described.description, 'The operators.');
    const userWithPermission = dataOf(await gql(UPDATE_ROLE, { input: { name: 'user', permissions: ['roles:read'] } })).updateRole;
    assert.deepEqual(userWithPermission.permissions.map((p: any) => p.name), ['roles:read']);
    const plain = await createConfirmedUser(server, 'roles.plain-user-role@example.com');
    assert.equal(dataOf(await gql(ROLES, {}, plain.token)).roles.length > 0, true, 'the user role now grants roles:read');
    dataOf(await gql(UPDATE_ROLE, { input: { name: 'user', permissions: [] } }));
    assert.deepEqual(errorCodes(await gql(ROLES, {}, plain.token)), ['FORBIDDEN']);
  });

  test('built-in permissions cannot be deleted', async () => {
    for (const name of BUILT_IN_PERMISSIONS) {
      const result = dataOf(await gql(DELETE_PERMISSION, { name })).deletePermission;
      assert.equal(result.__typename, 'BuiltInProtectedError', name);
    }
    assert.deepEqual(dataOf(await gql(PERMISSIONS)).permissions.map((p: any) => p.name), BUILT_IN_PERMISSIONS);
  });

  test('names are validated and unique; unknown permissions are named', async () => {
    const before = await accessSnapshot(server);
    for (const name of ['', '  ', 'Support', 'has space', 'trailing:', 'x'.repeat(65), 'ünïcode']) {
      const role = dataOf(await gql(CREATE_ROLE, { input: { name } })).createRole;
      assert.equal(role.__typename, 'ValidationError', name);
      assert.deepEqual(role.fields.map((f: any) => f.field), ['name'], name);
      const permission = dataOf(await gql(CREATE_PERMISSION, { input: { name } })).createPermission;
      assert.deepEqual(permission.fields.map((f: any) => f.field), ['name'], name);
    }
    const unknown = dataOf(await gql(CREATE_ROLE, { input: { name: 'ok-name', permissions: ['users:read', 'no:such', 'nor:this'] } })).createRole;
    assert.equal(unknown.__typename, 'ValidationError');
    assert.deepEqual(unknown.fields, [{ field: 'permissions', messages: ['Unknown permissions: "no:such", "nor:this".'] }]);
    const longDescription = dataOf(await gql(CREATE_ROLE, { input: { name: 'ok-name', description: 'x'.repeat(501) } })).createRole;
    assert.deepEqual(longDescription.fields.map((f: any) => f.field), ['description']);
    const taken = dataOf(await gql(CREATE_ROLE, { input: { name: 'admin' } })).createRole;
    assert.equal(taken.__typename, 'NameTakenError');
    assert.equal(taken.code, 'NAME_TAKEN');
    const permissionTaken = dataOf(await gql(CREATE_PERMISSION, { input: { name: 'users:read' } })).createPermission;
    assert.equal(permissionTaken.__typename, 'NameTakenError');
    assert.deepEqual(await accessSnapshot(server), before, 'refused input changed something');

    await createRoleInDb(server, 'rename-me', []);
    const renameTaken = dataOf(await gql(UPDATE_ROLE, { input: { name: 'rename-me', newName: 'user' } })).updateRole;
    assert.equal(renameTaken.__typename, 'NameTakenError');
    const badRename = dataOf(await gql(UPDATE_ROLE, { input: { name: 'rename-me', newName: 'Bad Name', permissions: ['no:such'] } })).updateRole;
    assert.deepEqual(badRename.fields.map((f: any) => f.field), ['newName', 'permissions']);
    assert.deepEqual(errorCodes(await gql(UPDATE_ROLE, { input: { name: 'no-such-role' } })), ['NOT_FOUND']);
    assert.ok(await roleNamed('rename-me'));
  });

  test('assignRoles replaces roles, always keeps `user`, names unknown roles, and 404s an unknown user', async () => {
    const target = await createConfirmedUser(server, 'roles.assign@example.com');
    await createRoleInDb(server, 'editor', []);
    await createRoleInDb(server, 'reviewer', []);

    const assigned = dataOf(await gql(ASSIGN_ROLES, { userId: target.userId, roles: ['editor', 'reviewer', 'editor'] })).assignRoles;
    assert.deepEqual(assigned, { __typename: 'User', id: target.userId });
    assert.deepEqual(await rolesOf(server, target.userId), ['editor', 'reviewer', 'user']);

    dataOf(await gql(ASSIGN_ROLES, { userId: target.userId, roles: ['reviewer'] }));
    assert.deepEqual(await rolesOf(server, target.userId), ['reviewer', 'user']);
    dataOf(await gql(ASSIGN_ROLES, { userId: target.userId, roles: [] }));
    assert.deepEqual(await rolesOf(server, target.userId), ['user']);

    const unknown = dataOf(await gql(ASSIGN_ROLES, { userId: target.userId, roles: ['editor', 'ghost'] })).assignRoles;
    assert.equal(unknown.__typename, 'ValidationError');
    assert.deepEqual(unknown.fields, [{ field: 'roles', messages: ['Unknown role: "ghost".'] }]);
    assert.deepEqual(await rolesOf(server, target.userId), ['user']);

    const missing = await gql(ASSIGN_ROLES, { userId: '00000000-0000-4000-8000-000000000000', roles: ['user'] });
    assert.deepEqual(errorCodes(missing), ['NOT_FOUND']);
    assert.equal(missing.body.errors![0]!.message, 'User not found.');
  });

  test('every change is audited with who, what and the details', async () => {
    const target = await createConfirmedUser(server, 'roles.audited@example.com');
    const role = dataOf(await gql(CREATE_ROLE, { input: { name: 'audited', permissions: ['users:read'] } })).createRole;
    dataOf(await gql(UPDATE_ROLE, { input: { name: 'audited', newName: 'audited-renamed', permissions: ['audit:read'] } }));
    dataOf(await gql(ASSIGN_ROLES, { userId: target.userId, roles: ['audited-renamed'] }));
    dataOf(await gql(ASSIGN_ROLES, { userId: target.userId, roles: [] }));
    dataOf(await gql(DELETE_ROLE, { name: 'audited-renamed' }));
    const permission = dataOf(await gql(CREATE_PERMISSION, { input: { name: 'audited:perm' } })).createPermission;
    dataOf(await gql(DELETE_PERMISSION, { name: 'audited:perm' }));

    const one = async (action: string) => {
      const events = (await auditEvents(server, action)).filter((e) => e.targetId === role.id || e.targetId === permission.id || e.targetId === target.userId);
      assert.ok(events.length >= 1, `no ${action} event`);
      for (const event of events) {
        assert.equal(event.actorType, 'user');
        assert.equal(event.actorId, adminId);
        assert.equal(event.actorEmail, 'roles.admin@example.com');
        assert.equal(event.ip, '127.0.0.1');
      }
      return events;
    };
    assert.deepEqual((await one('role.create'))[0]!.details, { name: 'audited', permissions: ['users:read'] });
    assert.deepEqual((await one('role.update'))[0]!.details, {
      name: 'audited-renamed',
      renamedFrom: 'audited',
      permissionsAdded: ['audit:read'],
      permissionsRemoved: ['users:read'],
    });
    const assignments = await one('user.roles.assign');
    assert.deepEqual(assignments.map((e) => [e.targetType, e.details]), [
      ['user', { added: ['audited-renamed'], removed: [] }],
      ['user', { added: [], removed: ['audited-renamed'] }],
    ]);
    assert.deepEqual((await one('role.delete'))[0]!.details, { name: 'audited-renamed', holders: 0 });
    assert.deepEqual((await one('permission.create'))[0]!.details, { name: 'audited:perm' });
    assert.deepEqual((await one('permission.delete'))[0]!.details, { name: 'audited:perm', roles: [] });
  });

  test('roles:write without admin cannot hand out more than its holder has', async () => {
    const manager = await createConfirmedUser(server, 'roles.manager@example.com');
    await createRoleInDb(server, 'role-manager', ['roles:write']);
    await grantRoles(server, manager.userId, 'role-manager');
    const target = await createConfirmedUser(server, 'roles.manager-target@example.com');
    await createRoleInDb(server, 'user-admin', ['users:write']);
    const asManager = (query: string, variables: Record<string, unknown>) => gql(query, variables, manager.token);

    const before = await accessSnapshot(server);
    assert.deepEqual(errorCodes(await asManager(CREATE_ROLE, { input: { name: 'sneaky', permissions: ['users:write'] } })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await asManager(UPDATE_ROLE, { input: { name: 'role-manager', permissions: ['roles:write', 'audit:read'] } })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await asManager(ASSIGN_ROLES, { userId: manager.userId, roles: ['role-manager', 'admin'] })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await asManager(ASSIGN_ROLES, { userId: target.userId, roles: ['user-admin'] })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await asManager(ASSIGN_ROLES, { userId: adminId, roles: [] })), ['FORBIDDEN'], 'removed admin');
    assert.deepEqual(await accessSnapshot(server), before);

    // What the manager does hold, it may pass on.
    assert.equal(dataOf(await asManager(CREATE_ROLE, { input: { name: 'deputy', permissions: ['roles:write'] } })).createRole.__typename, 'Role');
    // (Only __typename: the returned User's other fields need users:read or being that user.)
    const assign = `mutation($userId: ID!, $roles: [String!]!) { assignRoles(input: { userId: $userId, roles: $roles }) { __typename } }`;
    assert.equal(dataOf(await asManager(assign, { userId: target.userId, roles: ['deputy'] })).assignRoles.__typename, 'User');
    assert.deepEqual(await rolesOf(server, target.userId), ['deputy', 'user']);
  });
});
