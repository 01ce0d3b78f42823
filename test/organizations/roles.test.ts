// Organization roles made over the API (createOrganizationRole, updateOrganizationRole,
// deleteOrganizationRole): what they grant in an organization, changes in effect at the next
// request, holders falling back to `member` on delete, roles declared in code protected, every
// bad input refused with nothing changed, default-deny, and a role stored by another process
// (a second connection to the database file) followed by the running server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createConfirmedUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { openDatabase } from '../../src/db/orm.ts';
import { entities } from '../../src/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { OrganizationRoleDefinition } from '../../src/organizations/entities.ts';
import { addMemberByInvitation, CODE_FIELDS, createOrg, dataOf, ERROR_FIELDS, SET_ROLE } from './org-helpers.ts';

const ROLE_FIELDS = `name description permissions builtIn custom`;
const CREATE = `mutation($input: CreateOrganizationRoleInput!) { createOrganizationRole(input: $input) { __typename ... on OrganizationRole { ${ROLE_FIELDS} } ${ERROR_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateOrganizationRoleInput!) { updateOrganizationRole(input: $input) { __typename ... on OrganizationRole { ${ROLE_FIELDS} } ${ERROR_FIELDS} } }`;
const DELETE = `mutation($name: String!) { deleteOrganizationRole(input: { name: $name }) { __typename ... on DeletedOrganizationRole { name members invitations } ${CODE_FIELDS} } }`;
const ROLES = `{ organizationRoles { ${ROLE_FIELDS} } }`;
const PROBE = `query($id: ID!) { organization(id: $id) { viewerRole { name } viewerPermissions invitations { email } } }`;
const COUNT = `query($id: ID!) { organization(id: $id) { memberCount } }`;

describe('organization roles made over the API', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let owner: { token: string; userId: string };
  let member: { token: string; userId: string };
  let orgId: string;
  const roles = async (token = owner.token) => dataOf(await server.gql(ROLES, {}, { token })).organizationRoles as Array<Record<string, unknown>>;
  const stored = () => server.gatehouse.services.orm.em.fork().find(OrganizationRoleDefinition, {}, { orderBy: { name: 'asc' } });

  before(async () => {
    server = await startTestServer({ INVITATIONS_PER_HOUR: '100' }, {}, { keepSqlite: true });
    admin = await createConfirmedUser(server, 'roles.admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
    owner = await createConfirmedUser(server, 'roles.owner@example.com');
    member = await createConfirmedUser(server, 'roles.member@example.com');
    orgId = await createOrg(server, owner.token, 'Roles Co', 'roles-co');
    await addMemberByInvitation(server, owner.token, orgId, { token: member.token, email: 'roles.member@example.com' });
  });
  after(() => server.close());

  test('a role made over the API grants its permissions in an organization; a change holds at the next request; deleting it makes holders members', async () => {
    const created = dataOf(await server.gql(CREATE, { input: { name: 'recruiter', description: 'Invites people', permissions: ['invitations:write', 'invitations:read', 'invitations:read'] } }, { token: admin.token })).createOrganizationRole;
    assert.deepEqual(created, { __typename: 'OrganizationRole', name: 'recruiter', description: 'Invites people', permissions: ['invitations:read', 'invitations:write'], builtIn: false, custom: true });
    const listed = await roles();
    assert.deepEqual(listed.map((r) => [r.name, r.custom]), [['owner', false], ['admin', false], ['member', false], ['recruiter', true]]);

    const given = dataOf(await server.gql(SET_ROLE, { id: orgId, userId: member.userId, role: 'recruiter' }, { token: owner.token })).setMemberRole;
    assert.equal(given.__typename, 'OrganizationMember', JSON.stringify(given));
    const probe = await server.gql(PROBE, { id: orgId }, { token: member.token });
    assert.deepEqual(probe.body.errors, undefined, JSON.stringify(probe.body));
    assert.equal(probe.body.data.organization.viewerRole.name, 'recruiter');
    assert.deepEqual(probe.body.data.organization.viewerPermissions, ['invitations:read', 'invitations:write']);
    // Not members:read: the member count is refused.
    assert.equal((await server.gql(COUNT, { id: orgId }, { token: member.token })).body.errors?.[0]?.extensions?.code, 'FORBIDDEN');

    const updated = dataOf(await server.gql(UPDATE, { input: { name: 'recruiter', permissions: ['members:read'], description: null } }, { token: admin.token })).updateOrganizationRole;
    assert.deepEqual([updated.permissions, updated.description], [['members:read'], '']);
    assert.equal(dataOf(await server.gql(COUNT, { id: orgId }, { token: member.token })).organization.memberCount, 2);
    assert.equal((await server.gql(PROBE, { id: orgId }, { token: member.token })).body.errors?.[0]?.extensions?.code, 'FORBIDDEN', 'invitations:read is gone');

    const deleted = dataOf(await server.gql(DELETE, { name: 'recruiter' }, { token: admin.token })).deleteOrganizationRole;
    assert.deepEqual(deleted, { __typename: 'DeletedOrganizationRole', name: 'recruiter', members: 1, invitations: 0 });
    assert.deepEqual((await roles()).map((r) => r.name), ['owner', 'admin', 'member']);
    const after = await server.gql(`query($id: ID!) { organization(id: $id) { viewerRole { name } } }`, { id: orgId }, { token: member.token });
    assert.equal(dataOf(after).organization.viewerRole.name, 'member');
    assert.deepEqual(await stored(), []);

    const audit = await server.gatehouse.services.orm.em.fork().find(AuditEvent, { targetType: 'organization_role', targetId: 'recruiter' }, { orderBy: { id: 'asc' } });
    assert.deepEqual(audit.map((row) => [row.action, row.actorId]), [
      ['organization_role.create', admin.userId],
      ['organization_role.update', admin.userId],
      ['organization_role.delete', admin.userId],
    ]);
    assert.deepEqual(audit[2]!.details, { name: 'recruiter', members: 1, invitations: 0 });
  });

  test('bad input, roles declared in code and callers without organizations:write are refused, and nothing changes', async () => {
    assert.equal(dataOf(await server.gql(CREATE, { input: { name: 'auditor', permissions: ['members:read'] } }, { token: admin.token })).createOrganizationRole.__typename, 'OrganizationRole');
    const before = JSON.stringify(await stored());
    const fieldsOf = (result: any) => result.fields?.map((f: any) => f.field);
    const cases: Array<[string, Record<string, unknown>, (result: any) => void]> = [
      [CREATE, { input: { name: 'Bad Name' } }, (r) => assert.deepEqual([r.__typename, fieldsOf(r)], ['ValidationError', ['name']])],
      [CREATE, { input: { name: 'x'.repeat(65) } }, (r) => assert.deepEqual(fieldsOf(r), ['name'])],
      [CREATE, { input: { name: 'spy', permissions: ['users:read'] } }, (r) => assert.match(JSON.stringify(r), /Unknown organization permission: users:read/)],
      [CREATE, { input: { name: 'spy', description: 'two\nlines' } }, (r) => assert.deepEqual(fieldsOf(r), ['description'])],
      [CREATE, { input: { name: 'admin' } }, (r) => assert.equal(r.code, 'NAME_TAKEN')],
      [CREATE, { input: { name: 'auditor' } }, (r) => assert.equal(r.code, 'NAME_TAKEN')],
      [UPDATE, { input: { name: 'admin', permissions: [] } }, (r) => assert.equal(r.code, 'BUILT_IN_PROTECTED')],
      [UPDATE, { input: { name: 'auditor', permissions: null } }, (r) => assert.deepEqual(fieldsOf(r), ['permissions'])],
      [UPDATE, { input: { name: 'auditor', permissions: ['nope:nope'] } }, (r) => assert.deepEqual(fieldsOf(r), ['permissions'])],
      [DELETE, { name: 'owner' }, (r) => assert.equal(r.code, 'BUILT_IN_PROTECTED')],
    ];
    for (const [document, variables, check] of cases) {
      const res = await server.gql(document, variables, { token: admin.token });
      const result = Object.values(res.body.data ?? {})[0];
      assert.ok(result, JSON.stringify(res.body));
      check(result);
    }
    for (const [document, variables] of [[UPDATE, { input: { name: 'ghost', permissions: [] } }], [DELETE, { name: 'ghost' }]] as const) {
      assert.equal((await server.gql(document, variables, { token: admin.token })).body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    }
    // Default-deny: an organization's owner is not a server admin; anonymous callers are not signed in.
    for (const [document, variables] of [[CREATE, { input: { name: 'mine' } }], [UPDATE, { input: { name: 'auditor', permissions: [] } }], [DELETE, { name: 'auditor' }]] as const) {
      assert.equal((await server.gql(document, variables, { token: owner.token })).body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.equal((await server.gql(document, variables)).body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    }
    assert.equal(JSON.stringify(await stored()), before);
    assert.deepEqual((await roles()).map((r) => r.name), ['owner', 'admin', 'member', 'auditor']);
  });

  test('a role stored by another process is followed by the running server', async () => {
    const outside = await openDatabase(join(server.dir, 'gatehouse.db'), entities);
    try {
      const em = outside.em.fork();
      const now = new Date();
      em.create(OrganizationRoleDefinition, { name: 'billing', description: 'From elsewhere', permissions: ['members:read'], createdAt: now, updatedAt: now });
      await em.flush();
    } finally {
      await outside.close();
    }
    const deadline = Date.now() + 10_000;
    let names: unknown[] = [];
    while (Date.now() < deadline) {
      names = (await roles()).map((r) => r.name);
      if (names.includes('billing')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(names.includes('billing'), `the server did not take the role stored outside: ${JSON.stringify(names)}`);
    const given = dataOf(await server.gql(SET_ROLE, { id: orgId, userId: member.userId, role: 'billing' }, { token: owner.token })).setMemberRole;
    assert.equal(given.__typename, 'OrganizationMember', JSON.stringify(given));
  });
});
