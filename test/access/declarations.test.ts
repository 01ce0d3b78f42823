// Permissions and roles a deployer declares in TypeScript: present after start, marked builtIn,
// not deletable or renamable, and synced again (without undoing admin changes) on the next start.
import { testDatabaseEnvFor } from '../helpers/backends.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { createGatehouse } from '../../src/server.ts';
import type { AccessDeclarations } from '../../src/access/declarations.ts';
import { listRoles } from '../../src/access/service.ts';
import { createConfirmedUser, startTestServer, type TestServer } from '../helpers/server.ts';
import {
  accessSnapshot,
  ASSIGN_ROLES,
  CREATE_PERMISSION,
  dataOf,
  DELETE_PERMISSION,
  DELETE_ROLE,
  grantRoles,
  PERMISSIONS,
  ROLES,
  UPDATE_ROLE,
} from './access-helpers.ts';

const DECLARED: AccessDeclarations = {
  permissions: [
    { name: 'reports:read', description: 'Read the reports.' },
    { name: 'reports:export', description: 'Export reports as CSV.' },
  ],
  roles: [{ name: 'analyst', description: 'Reads and exports reports.', permissions: ['reports:read', 'reports:export', 'audit:read'] }],
};

describe('access declared by the deployer', () => {
  let server: TestServer;
  let admin: string;

  before(async () => {
    server = await startTestServer({}, { access: DECLARED });
    const a = await createConfirmedUser(server, 'decl.admin@example.com');
    await grantRoles(server, a.userId, 'admin');
    admin = a.token;
  });
  after(() => server.close());

  const gql = (query: string, variables: Record<string, unknown> = {}) => server.gql(query, variables, { token: admin });

  test('declared permissions and roles are present after start and marked builtIn', async () => {
    const permissions = dataOf(await gql(PERMISSIONS)).permissions;
    for (const declared of DECLARED.permissions!) {
      const found = permissions.find((p: any) => p.name === declared.name);
      assert.deepEqual({ name: found?.name, description: found?.description, builtIn: found?.builtIn }, { ...declared, builtIn: true });
    }
    const analyst = dataOf(await gql(ROLES)).roles.find((r: any) => r.name === 'analyst');
    assert.equal(analyst.builtIn, true);
    assert.equal(analyst.description, 'Reads and exports reports.');
    assert.deepEqual(analyst.permissions.map((p: any) => p.name), ['audit:read', 'reports:export', 'reports:read']);
    const admin = dataOf(await gql(ROLES)).roles.find((r: any) => r.name === 'admin');
    assert.ok(admin.permissions.some((p: any) => p.name === 'reports:export'), 'admin holds declared permissions too');
  });

  test('declared permissions and roles cannot be deleted or renamed', async () => {
    const before = await accessSnapshot(server);
    for (const name of ['reports:read', 'reports:export']) {
      assert.equal(dataOf(await gql(DELETE_PERMISSION, { name })).deletePermission.__typename, 'BuiltInProtectedError');
    }
    assert.equal(dataOf(await gql(DELETE_ROLE, { name: 'analyst' })).deleteRole.__typename, 'BuiltInProtectedError');
    assert.equal(dataOf(await gql(UPDATE_ROLE, { input: { name: 'analyst', newName: 'analysts' } })).updateRole.__typename, 'BuiltInProtectedError');
    assert.equal(dataOf(await gql(CREATE_PERMISSION, { input: { name: 'reports:read' } })).createPermission.__typename, 'NameTakenError');
    assert.deepEqual(await accessSnapshot(server), before);
  });

  test('a declared role can be assigned and grants its permissions', async () => {
    const holder = await createConfirmedUser(server, 'decl.analyst@example.com');
    dataOf(await gql(ASSIGN_ROLES, { userId: holder.userId, roles: ['analyst'] }));
    const viewer = dataOf(await server.gql(`{ viewer { permissions isAdmin } }`, {}, { token: holder.token })).viewer;
    assert.deepEqual(viewer, { permissions: ['audit:read', 'reports:export', 'reports:read'], isAdmin: false });
  });

  test('the next start syncs again: descriptions refreshed, declared permissions given back, admin additions kept', async () => {
    dataOf(await gql(UPDATE_ROLE, { input: { name: 'analyst', description: 'Edited by an admin.', permissions: ['reports:read', 'users:read'] } }));
    // A second server on the same database file, with the same declarations.
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      SMTP_URL: `smtp://127.0.0.1:${server.mail.port}`,
      LOG_LEVEL: 'silent',
      ...(await testDatabaseEnvFor(join(server.dir, 'gatehouse.db'))),
    });
    const restarted = await createGatehouse(config, { access: DECLARED });
    try {
      const role = (await listRoles({ em: restarted.services.orm.em.fork() })).find((r) => r.name === 'analyst')!;
      assert.equal(role.description, 'Reads and exports reports.');
      assert.deepEqual(role.permissions.getItems().map((p) => p.name).sort(), ['audit:read', 'reports:export', 'reports:read', 'users:read']);
    } finally {
      await restarted.close();
    }
  });
});
