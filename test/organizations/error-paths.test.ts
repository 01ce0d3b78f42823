// The remaining error paths a user can hit in organizations, each with its precise answer and no
// change: a taken slug on rename, handing out or taking away a role with permissions one lacks,
// accepting as a member already, backward paging, an over-long search, a token choosing an active
// organization; and what the global organizations:write may do (any join domain, any transfer).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answeredNothing, createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { Organization, OrganizationInvitation, OrganizationMember } from '../../src/organizations/entities.ts';
import {
  ACCEPT,
  addMemberByInvitation,
  CREATE_ORG,
  INVITE,
  createOrg,
  dataOf,
  inviteAndReadToken,
  MEMBERS,
  organizationSnapshot,
  REMOVE_MEMBER,
  SET_ACTIVE,
  SET_ROLE,
  TRANSFER,
  UPDATE_ORG,
} from './org-helpers.ts';

describe('organization error paths', () => {
  let server: TestServer;
  let owner: { token: string; userId: string; email: string };
  let admin: { token: string; userId: string; email: string };
  let payer: { token: string; userId: string; email: string };
  let siteAdmin: { token: string; userId: string };
  let orgId: string;
  const user = async (email: string) => ({ ...(await createConfirmedUser(server, email)), email });

  before(async () => {
    server = await startTestServer({}, {
      organizations: {
        permissions: [{ name: 'billing:manage', description: 'Change the plan.' }],
        roles: [{ name: 'billing', description: 'Pays the bills.', permissions: ['billing:manage', 'members:read'] }],
      },
    });
    owner = await user('owner@paths.test');
    admin = await user('admin@paths.test');
    payer = await user('payer@paths.test');
    siteAdmin = await createConfirmedUser(server, 'root@paths.test');
    await grantRoles(server, siteAdmin.userId, 'admin');
    orgId = await createOrg(server, owner.token, 'Paths', 'paths');
    await createOrg(server, owner.token, 'Other', 'other-paths');
    await addMemberByInvitation(server, owner.token, orgId, admin, 'admin');
    await addMemberByInvitation(server, owner.token, orgId, payer, 'billing');
  });
  after(() => server.close());

  test('renaming to a taken slug is NAME_TAKEN; a null slug is a field error; nothing changes', async () => {
    for (const [input, code, field] of [
      [{ organizationId: orgId, slug: 'other-paths' }, 'NAME_TAKEN', null],
      [{ organizationId: orgId, slug: null }, 'VALIDATION_FAILED', 'slug'],
      [{ organizationId: orgId, slug: 'Not OK' }, 'VALIDATION_FAILED', 'slug'],
    ] as const) {
      const before = await organizationSnapshot(server);
      const result = dataOf(await server.gql(UPDATE_ORG, { input }, { token: owner.token })).updateOrganization;
      assert.equal(result.code, code, JSON.stringify(result));
      if (field) assert.deepEqual(result.fields.map((f: any) => f.field), [field]);
      assert.deepEqual(await organizationSnapshot(server), before);
    }
  });

  test('an admin neither gives nor takes away a role holding a permission they lack (FORBIDDEN); the owner may', async () => {
    for (const [query, variables] of [
      [SET_ROLE, { id: orgId, userId: admin.userId, role: 'billing' }],
      [SET_ROLE, { id: orgId, userId: payer.userId, role: 'member' }],
      [REMOVE_MEMBER, { id: orgId, userId: payer.userId }],
    ] as const) {
      const before = await organizationSnapshot(server);
      const res = await server.gql(query, variables, { token: admin.token });
      assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
      assert.ok(answeredNothing(res));
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    const changed = dataOf(await server.gql(SET_ROLE, { id: orgId, userId: payer.userId, role: 'member' }, { token: owner.token })).setMemberRole;
    assert.equal(changed.roleName, 'member');
    dataOf(await server.gql(SET_ROLE, { id: orgId, userId: payer.userId, role: 'billing' }, { token: owner.token }));
  });

  test('accepting while a member already is ALREADY_MEMBER, and leaves the link unused', async () => {
    const token = await inviteAndReadToken(server, owner.token, orgId, admin.email);
    const before = await organizationSnapshot(server);
    assert.equal(dataOf(await server.gql(ACCEPT, { token }, { token: admin.token })).acceptInvitation.code, 'ALREADY_MEMBER');
    assert.deepEqual(await organizationSnapshot(server), before);
  });

  test('members pages forward only; the admin list refuses an over-long search (BAD_USER_INPUT)', async () => {
    const BACKWARD = `query($id: ID!) { organization(id: $id) { members(last: 2) { edges { node { id } } } } }`;
    assert.deepEqual(errorCodes(await server.gql(BACKWARD, { id: orgId }, { token: owner.token })), ['BAD_USER_INPUT']);
    const SEARCH = `query($s: String) { organizations(first: 5, search: $s) { edges { node { id } } } }`;
    assert.deepEqual(errorCodes(await server.gql(SEARCH, { s: 'x'.repeat(101) }, { token: siteAdmin.token })), ['BAD_USER_INPUT']);
    const zero = dataOf(await server.gql(MEMBERS, { id: orgId, first: 0 }, { token: owner.token })).organization.members;
    assert.deepEqual([zero.edges, zero.pageInfo.hasNextPage], [[], true]);
  });

  test('an access token has no active organization to choose (FORBIDDEN)', async () => {
    const created = await server.gql(
      `mutation { createAccessToken(input: { name: "t" }) { ... on CreatedAccessToken { token } } }`,
      {},
      { token: owner.token },
    );
    const token = dataOf(created).createAccessToken.token;
    const res = await server.gql(SET_ACTIVE, { id: orgId }, { token });
    assert.deepEqual(errorCodes(res), ['FORBIDDEN']);
  });

  test('organizations:write acts in any organization: a join domain of any domain, and a transfer', async () => {
    const updated = dataOf(await server.gql(UPDATE_ORG, { input: { organizationId: orgId, joinDomain: 'paths.example' } }, { token: siteAdmin.token })).updateOrganization;
    assert.equal(updated.joinDomain, 'paths.example');
    const transferred = dataOf(await server.gql(TRANSFER, { id: orgId, userId: admin.userId }, { token: siteAdmin.token })).transferOwnership;
    assert.equal(transferred.__typename, 'Organization');
    assert.equal(transferred.viewerRole, null, 'the site admin is not a member');
    const roles = dataOf(await server.gql(MEMBERS, { id: orgId }, { token: owner.token })).organization.members.edges.map((e: any) => [e.node.email, e.node.roleName]);
    assert.deepEqual(roles.sort(), [[admin.email, 'owner'], [owner.email, 'admin'], [payer.email, 'billing']].sort());
  });

  test('bounds: at most 200 memberships per account, 500 pending invitations per organization (field errors, nothing written)', async () => {
    const busy = await user('busy@paths.test');
    const em = server.gatehouse.services.orm.em.fork();
    const now = server.clock.now();
    // Set-up around the API: 200 organizations the account is in.
    for (let i = 0; i < 200; i++) {
      const organization = em.create(Organization, { name: `Bulk ${i}`, slug: `bulk-${i}`, joinDomain: null, createdAt: now, updatedAt: now });
      em.create(OrganizationMember, { organization, user: busy.userId, role: 'member', createdAt: now });
    }
    await em.flush();
    const before = await organizationSnapshot(server);
    const refused = dataOf(await server.gql(CREATE_ORG, { name: 'One more', slug: 'one-more' }, { token: busy.token })).createOrganization;
    assert.deepEqual([refused.code, refused.fields[0].field], ['VALIDATION_FAILED', 'name']);
    assert.deepEqual(await organizationSnapshot(server), before);

    const organization = await em.findOneOrFail(Organization, { id: orgId });
    for (let i = 0; i < 500; i++) {
      em.create(OrganizationInvitation, {
        organization, email: `p${i}@paths.test`, emailKey: `p${i}@paths.test`, role: 'member', tokenHash: `${'0'.repeat(58)}${String(i).padStart(6, '0')}`,
        invitedBy: null, createdAt: now, expiresAt: new Date(now.getTime() + 86_400_000), acceptedAt: null, revokedAt: null,
      });
    }
    await em.flush();
    const full = await organizationSnapshot(server);
    const tooMany = dataOf(await server.gql(INVITE, { id: orgId, email: 'one.more@paths.test' }, { token: owner.token })).inviteToOrganization;
    assert.deepEqual([tooMany.code, tooMany.fields[0].field], ['VALIDATION_FAILED', 'email']);
    assert.deepEqual(await organizationSnapshot(server), full);
  });
});
