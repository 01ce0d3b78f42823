// Who may call the roles-and-permissions operations: every operation as anonymous
// (UNAUTHENTICATED), a plain user (FORBIDDEN), a holder of roles:read only (reads yes, writes
// FORBIDDEN) and an admin (works). A refused write changes nothing, and the refusal comes before
// any argument is looked up (a wrong id answers the same as a right one).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer, answeredNothing } from '../helpers/server.ts';
import {
  accessSnapshot,
  ASSIGN_ROLES,
  CREATE_PERMISSION,
  CREATE_ROLE,
  createRoleInDb,
  dataOf,
  DELETE_PERMISSION,
  DELETE_ROLE,
  grantRoles,
  PERMISSIONS,
  ROLES,
  UPDATE_ROLE,
} from './access-helpers.ts';

interface Operation {
  name: string;
  write: boolean;
  query: string;
  variables: () => Promise<Record<string, unknown>>;
  /** What an allowed caller gets back: the field's __typename, or for reads a check of the data. */
  expect: (data: any) => void;
}

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('roles and permissions: authorization matrix', () => {
  let server: TestServer;
  let anonymous: string | undefined;
  let plain: string;
  let plainId: string;
  let reader: string;
  let admin: string;

  before(async () => {
    server = await startTestServer();
    const a = await createConfirmedUser(server, 'matrix.admin@example.com');
    await grantRoles(server, a.userId, 'admin');
    admin = a.token;
    const p = await createConfirmedUser(server, 'matrix.plain@example.com');
    plain = p.token;
    plainId = p.userId;
    const r = await createConfirmedUser(server, 'matrix.reader@example.com');
    await createRoleInDb(server, 'role-reader', ['roles:read']);
    await grantRoles(server, r.userId, 'role-reader');
    reader = r.token;
    anonymous = undefined;
    // Targets of the writes: each operation has its own, so the admin pass can run them all.
    for (const n of ['update', 'delete']) await createRoleInDb(server, `matrix-${n}`, []);
    const created = await server.gql(CREATE_PERMISSION, { input: { name: 'matrix:delete' } }, { token: admin });
    assert.equal(dataOf(created).createPermission.__typename, 'Permission');
  });
  after(() => server.close());

  const operations: Operation[] = [
    {
      name: 'roles',
      write: false,
      query: ROLES,
      variables: async () => ({}),
      expect: (data) => assert.ok(data.roles.some((r: any) => r.name === 'admin' && r.builtIn)),
    },
    {
      name: 'permissions',
      write: false,
      query: PERMISSIONS,
      variables: async () => ({}),
      expect: (data) => assert.ok(data.permissions.some((p: any) => p.name === 'roles:write' && p.builtIn)),
    },
    {
      name: 'createRole',
      write: true,
      query: CREATE_ROLE,
      variables: async () => ({ input: { name: 'matrix-created', permissions: ['users:read'] } }),
      expect: (data) => assert.equal(data.createRole.__typename, 'Role'),
    },
    {
      name: 'updateRole',
      write: true,
      query: UPDATE_ROLE,
      variables: async () => ({ input: { name: 'matrix-update', description: 'Changed.', permissions: ['audit:read'] } }),
      expect: (data) => assert.equal(data.updateRole.__typename, 'Role'),
    },
    {
      name: 'deleteRole',
      write: true,
      query: DELETE_ROLE,
      variables: async () => ({ name: 'matrix-delete' }),
      expect: (data) => assert.equal(data.deleteRole.__typename, 'DeletedRole'),
    },
    {
      name: 'createPermission',
      write: true,
      query: CREATE_PERMISSION,
      variables: async () => ({ input: { name: 'matrix:created', description: 'Made by the matrix.' } }),
      expect: (data) => assert.equal(data.createPermission.__typename, 'Permission'),
    },
    {
      name: 'deletePermission',
      write: true,
      query: DELETE_PERMISSION,
      variables: async () => ({ name: 'matrix:delete' }),
      expect: (data) => assert.equal(data.deletePermission.__typename, 'DeletedPermission'),
    },
    {
      name: 'assignRoles',
      write: true,
      query: ASSIGN_ROLES,
      // A refused caller trying to make the plain user an admin: the most tempting write of all.
      variables: async () => ({ userId: plainId, roles: ['user', 'admin'] }),
      expect: (data) => assert.equal(data.assignRoles.__typename, 'User'),
    },
  ];

  const callers = () => [
    { who: 'anonymous', token: anonymous, code: 'UNAUTHENTICATED', reads: false },
    { who: 'a plain user', token: plain, code: 'FORBIDDEN', reads: false },
    { who: 'a holder of roles:read only', token: reader, code: 'FORBIDDEN', reads: true },
  ];

  for (const op of operations) {
    test(`${op.name}: refused callers get the exact code, and nothing changes`, async () => {
      for (const caller of callers()) {
        if (!op.write && caller.reads) continue;
        const before = await accessSnapshot(server);
        const res = await server.gql(op.query, await op.variables(), { token: caller.token });
        assert.deepEqual(errorCodes(res), [caller.code], `${op.name} as ${caller.who}: ${JSON.stringify(res.body)}`);
        assert.ok(answeredNothing(res), `${op.name} as ${caller.who} returned data`);
        assert.deepEqual(await accessSnapshot(server), before, `${op.name} as ${caller.who} changed something`);
      }
    });
  }

  test('reads work for a holder of roles:read', async () => {
    for (const op of operations.filter((o) => !o.write)) {
      op.expect(dataOf(await server.gql(op.query, await op.variables(), { token: reader })));
    }
  });

  test('the refusal comes before the arguments are looked up: unknown names and ids answer the same', async () => {
    const unknown: Array<[string, Record<string, unknown>]> = [
      [UPDATE_ROLE, { input: { name: 'no-such-role', description: 'x' } }],
      [DELETE_ROLE, { name: 'no-such-role' }],
      [DELETE_PERMISSION, { name: 'no:such' }],
      [ASSIGN_ROLES, { userId: UNKNOWN_ID, roles: ['nonexistent'] }],
    ];
    for (const [query, variables] of unknown) {
      assert.deepEqual(errorCodes(await server.gql(query, variables)), ['UNAUTHENTICATED']);
      assert.deepEqual(errorCodes(await server.gql(query, variables, { token: plain })), ['FORBIDDEN']);
      assert.deepEqual(errorCodes(await server.gql(query, variables, { token: reader })), ['FORBIDDEN']);
      // The admin passes the rule and only then learns the id is unknown.
      assert.deepEqual(errorCodes(await server.gql(query, variables, { token: admin })), ['NOT_FOUND']);
    }
  });

  test('an admin can do every operation', async () => {
    for (const op of operations) {
      op.expect(dataOf(await server.gql(op.query, await op.variables(), { token: admin })));
    }
    const roles = dataOf(await server.gql(ROLES, {}, { token: admin })).roles.map((r: any) => r.name);
    assert.ok(roles.includes('matrix-created'));
    assert.ok(!roles.includes('matrix-delete'));
  });
});
