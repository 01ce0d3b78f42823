// Organizations over HTTP: creating one (and its owner), editing, members and their roles, leaving,
// removal, joining by confirmed email domain, the session's active organization, the admin list,
// deletion, and the audit trail with the organization's id. Every refused input changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answeredNothing, createConfirmedUser, errorCodes, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import {
  addMemberByInvitation,
  CREATE_ORG,
  createOrg,
  dataOf,
  DELETE_ORG,
  JOIN,
  LEAVE,
  MEMBERS,
  ORG,
  organizationSnapshot,
  REMOVE_MEMBER,
  SET_ACTIVE,
  SET_ROLE,
  UPDATE_ORG,
  VIEWER_ORGS,
} from './org-helpers.ts';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('organizations', () => {
  let server: TestServer;
  let owner: { token: string; userId: string; email: string };
  let admin: { token: string; userId: string; email: string };
  let member: { token: string; userId: string; email: string };
  let outsider: { token: string; userId: string; email: string };
  let siteAdmin: { token: string; userId: string };
  let orgId: string;

  const user = async (email: string) => ({ ...(await createConfirmedUser(server, email)), email });

  before(async () => {
    server = await startTestServer();
    owner = await user('owner@acme.test');
    admin = await user('admin@acme.test');
    member = await user('member@acme.test');
    outsider = await user('outsider@other.test');
    siteAdmin = await createConfirmedUser(server, 'root@site.test');
    await grantRoles(server, siteAdmin.userId, 'admin');
    orgId = await createOrg(server, owner.token, 'Acme Labs', 'acme-labs');
    await addMemberByInvitation(server, owner.token, orgId, admin, 'admin');
    await addMemberByInvitation(server, owner.token, orgId, member);
  });
  after(() => server.close());

  test('the creator is the owner, holding every organization permission; members see their role', async () => {
    const org = dataOf(await server.gql(ORG, { id: orgId }, { token: owner.token })).organization;
    assert.equal(org.name, 'Acme Labs');
    assert.equal(org.viewerRole.name, 'owner');
    assert.ok(org.viewerPermissions.includes('organization:delete') && org.viewerPermissions.includes('ownership:transfer'));
    const asMember = dataOf(await server.gql(ORG, { id: orgId }, { token: member.token })).organization;
    assert.equal(asMember.viewerRole.name, 'member');
    assert.deepEqual(asMember.viewerPermissions, ['members:read']);
    const mine = dataOf(await server.gql(VIEWER_ORGS, {}, { token: member.token })).viewer;
    assert.deepEqual(mine.organizations.map((o: any) => [o.name, o.viewerRole.name]), [['Acme Labs', 'member']]);
  });

  test('createOrganization refuses bad input precisely and a taken slug, and changes nothing', async () => {
    const cases: Array<[Record<string, string>, string, string?]> = [
      [{ name: '', slug: 'ok-slug' }, 'VALIDATION_FAILED', 'name'],
      [{ name: 'x'.repeat(101), slug: 'ok-slug' }, 'VALIDATION_FAILED', 'name'],
      [{ name: 'Two\nlines', slug: 'ok-slug' }, 'VALIDATION_FAILED', 'name'],
      [{ name: 'Fine', slug: 'Bad Slug' }, 'VALIDATION_FAILED', 'slug'],
      [{ name: 'Fine', slug: 'a' }, 'VALIDATION_FAILED', 'slug'],
      [{ name: 'Fine', slug: 'double--hyphen' }, 'VALIDATION_FAILED', 'slug'],
      [{ name: 'Fine', slug: 'acme-labs' }, 'NAME_TAKEN'],
    ];
    for (const [input, code, field] of cases) {
      const before = await organizationSnapshot(server);
      const result = dataOf(await server.gql(CREATE_ORG, input, { token: outsider.token })).createOrganization;
      assert.equal(result.code, code, JSON.stringify({ input, result }));
      if (field) assert.deepEqual(result.fields.map((f: any) => f.field), [field]);
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    assert.deepEqual(errorCodes(await server.gql(CREATE_ORG, { name: 'Anon', slug: 'anon' })), ['UNAUTHENTICATED']);
  });

  test('members: keyset pages in the order people joined; a bad cursor is BAD_USER_INPUT', async () => {
    const first = dataOf(await server.gql(MEMBERS, { id: orgId, first: 2 }, { token: member.token })).organization;
    assert.equal(first.memberCount, 3);
    assert.deepEqual(first.members.edges.map((e: any) => e.node.email), [owner.email, admin.email]);
    assert.equal(first.members.pageInfo.hasNextPage, true);
    const next = dataOf(await server.gql(MEMBERS, { id: orgId, first: 2, after: first.members.pageInfo.endCursor }, { token: member.token })).organization;
    assert.deepEqual(next.members.edges.map((e: any) => [e.node.email, e.node.role.name]), [[member.email, 'member']]);
    assert.equal(next.members.pageInfo.hasNextPage, false);
    for (const after of ['nonsense', Buffer.from('member:x:y').toString('base64url')]) {
      assert.deepEqual(errorCodes(await server.gql(MEMBERS, { id: orgId, after }, { token: member.token })), ['BAD_USER_INPUT']);
    }
    assert.deepEqual(errorCodes(await server.gql(MEMBERS, { id: orgId, first: -1 }, { token: member.token })), ['BAD_USER_INPUT']);
  });

  test('setMemberRole: members:write needed; no owner through it; unknown roles and non-members refused; nothing changes', async () => {
    const refusals: Array<[string, Record<string, unknown>, string]> = [
      [member.token, { id: orgId, userId: outsider.userId, role: 'admin' }, 'FORBIDDEN'],
      [outsider.token, { id: orgId, userId: member.userId, role: 'admin' }, 'FORBIDDEN'],
    ];
    for (const [token, variables, code] of refusals) {
      const before = await organizationSnapshot(server);
      const res = await server.gql(SET_ROLE, variables, { token });
      assert.deepEqual(errorCodes(res), [code]);
      assert.ok(answeredNothing(res));
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    const results: Array<[Record<string, unknown>, string]> = [
      [{ id: orgId, userId: member.userId, role: 'owner' }, 'VALIDATION_FAILED'],
      [{ id: orgId, userId: member.userId, role: 'wizard' }, 'VALIDATION_FAILED'],
      [{ id: orgId, userId: owner.userId, role: 'member' }, 'OWNER_REQUIRED'],
    ];
    for (const [variables, code] of results) {
      const before = await organizationSnapshot(server);
      assert.equal(dataOf(await server.gql(SET_ROLE, variables, { token: admin.token })).setMemberRole.code, code);
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    assert.deepEqual(errorCodes(await server.gql(SET_ROLE, { id: orgId, userId: outsider.userId, role: 'member' }, { token: admin.token })), ['NOT_FOUND']);
    const promoted = dataOf(await server.gql(SET_ROLE, { id: orgId, userId: member.userId, role: 'admin' }, { token: admin.token })).setMemberRole;
    assert.equal(promoted.roleName, 'admin');
    const back = dataOf(await server.gql(SET_ROLE, { id: orgId, userId: member.userId, role: 'member' }, { token: admin.token })).setMemberRole;
    assert.equal(back.roleName, 'member');
  });

  test('updateOrganization: rename, slug, join domain of one’s own confirmed domain only', async () => {
    const refused = dataOf(await server.gql(UPDATE_ORG, { input: { organizationId: orgId, joinDomain: 'other.test' } }, { token: admin.token })).updateOrganization;
    assert.deepEqual([refused.code, refused.fields[0].field], ['VALIDATION_FAILED', 'joinDomain']);
    const bad = dataOf(await server.gql(UPDATE_ORG, { input: { organizationId: orgId, joinDomain: 'not a domain' } }, { token: admin.token })).updateOrganization;
    assert.equal(bad.code, 'VALIDATION_FAILED');
    const nulled = dataOf(await server.gql(UPDATE_ORG, { input: { organizationId: orgId, name: null } }, { token: admin.token })).updateOrganization;
    assert.deepEqual(nulled.fields.map((f: any) => f.field), ['name']);
    const updated = dataOf(await server.gql(UPDATE_ORG, { input: { organizationId: orgId, name: 'Acme', joinDomain: 'ACME.test' } }, { token: admin.token })).updateOrganization;
    assert.deepEqual([updated.name, updated.slug, updated.joinDomain], ['Acme', 'acme-labs', 'acme.test']);
    assert.deepEqual(errorCodes(await server.gql(UPDATE_ORG, { input: { organizationId: orgId, name: 'Mine' } }, { token: member.token })), ['FORBIDDEN']);
  });

  test('join by confirmed email domain: only that domain; twice is ALREADY_MEMBER; unknown ids answer like closed ones', async () => {
    const colleague = await user('colleague@acme.test');
    const viewer = dataOf(await server.gql(VIEWER_ORGS, {}, { token: colleague.token })).viewer;
    assert.deepEqual(viewer.joinableOrganizations.map((o: any) => o.id), [orgId]);
    for (const [token, id] of [[outsider.token, orgId], [colleague.token, UNKNOWN_ID]] as const) {
      const before = await organizationSnapshot(server);
      const res = await server.gql(JOIN, { id }, { token });
      assert.deepEqual(errorCodes(res), ['FORBIDDEN']);
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    assert.equal(dataOf(await server.gql(JOIN, { id: orgId }, { token: colleague.token })).joinOrganization.roleName, 'member');
    assert.equal(dataOf(await server.gql(JOIN, { id: orgId }, { token: colleague.token })).joinOrganization.code, 'ALREADY_MEMBER');
    assert.equal(dataOf(await server.gql(LEAVE, { id: orgId }, { token: colleague.token })).leaveOrganization.userId, colleague.userId);
    assert.deepEqual(errorCodes(await server.gql(ORG, { id: orgId }, { token: colleague.token })), ['FORBIDDEN']);
  });

  test('the active organization is per session, switchable, and only among one’s organizations', async () => {
    const other = await createOrg(server, member.token, 'Side Project', 'side-project');
    const otherSession = (await login(server, member.email)).token;
    assert.equal(dataOf(await server.gql(SET_ACTIVE, { id: orgId }, { token: member.token })).setActiveOrganization.organization.id, orgId);
    assert.equal(dataOf(await server.gql(SET_ACTIVE, { id: other }, { token: otherSession })).setActiveOrganization.organization.id, other);
    assert.equal(dataOf(await server.gql(VIEWER_ORGS, {}, { token: member.token })).viewer.activeOrganization.id, orgId);
    const switched = dataOf(await server.gql(VIEWER_ORGS, {}, { token: otherSession })).viewer.activeOrganization;
    assert.deepEqual([switched.id, switched.viewerRole.name], [other, 'owner']);
    // Read with the session (one statement): a rename by another request shows on the next one.
    dataOf(await server.gql(UPDATE_ORG, { input: { organizationId: other, name: 'Side Project Renamed' } }, { token: member.token }));
    assert.equal(dataOf(await server.gql(VIEWER_ORGS, {}, { token: otherSession })).viewer.activeOrganization.name, 'Side Project Renamed');
    // A mutation's result reads it afresh, with a statement of its own.
    const updated = dataOf(await server.gql(`mutation { updateProfile(input: { displayName: "Side" }) { ... on User { activeOrganization { id viewerRole { name } } } } }`, {}, { token: otherSession }));
    assert.deepEqual(updated.updateProfile.activeOrganization, { id: other, viewerRole: { name: 'owner' } });
    for (const id of [UNKNOWN_ID, await createOrg(server, outsider.token, 'Not Yours', 'not-yours')]) {
      const before = await organizationSnapshot(server);
      assert.deepEqual(errorCodes(await server.gql(SET_ACTIVE, { id }, { token: member.token })), ['NOT_FOUND']);
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    assert.equal(dataOf(await server.gql(SET_ACTIVE, { id: null }, { token: otherSession })).setActiveOrganization.organization, null);
    assert.equal(dataOf(await server.gql(VIEWER_ORGS, {}, { token: otherSession })).viewer.activeOrganization, null);
    assert.equal(dataOf(await server.gql(DELETE_ORG, { id: other }, { token: member.token })).deleteOrganization.id, other);
  });

  test('removing a member and leaving: never the owner; the removed member loses access at once', async () => {
    const temp = await user('temp@acme.test');
    await addMemberByInvitation(server, owner.token, orgId, temp);
    dataOf(await server.gql(SET_ACTIVE, { id: orgId }, { token: temp.token }));
    assert.equal(dataOf(await server.gql(REMOVE_MEMBER, { id: orgId, userId: owner.userId }, { token: admin.token })).removeMember.code, 'OWNER_REQUIRED');
    assert.equal(dataOf(await server.gql(LEAVE, { id: orgId }, { token: owner.token })).leaveOrganization.code, 'OWNER_REQUIRED');
    assert.deepEqual(errorCodes(await server.gql(REMOVE_MEMBER, { id: orgId, userId: temp.userId }, { token: member.token })), ['FORBIDDEN']);
    assert.equal(dataOf(await server.gql(REMOVE_MEMBER, { id: orgId, userId: temp.userId }, { token: admin.token })).removeMember.userId, temp.userId);
    assert.deepEqual(errorCodes(await server.gql(ORG, { id: orgId }, { token: temp.token })), ['FORBIDDEN']);
    assert.equal(dataOf(await server.gql(VIEWER_ORGS, {}, { token: temp.token })).viewer.activeOrganization, null);
    assert.deepEqual(errorCodes(await server.gql(REMOVE_MEMBER, { id: orgId, userId: temp.userId }, { token: admin.token })), ['NOT_FOUND']);
    assert.deepEqual(errorCodes(await server.gql(LEAVE, { id: orgId }, { token: temp.token })), ['FORBIDDEN']);
  });

  test('admin view: organizations:read lists and reads every organization; a plain user cannot', async () => {
    const LIST = `query($search: String) { organizations(first: 50, search: $search) { edges { node { id slug viewerRole { name } } } pageInfo { hasNextPage } } }`;
    const all = dataOf(await server.gql(LIST, {}, { token: siteAdmin.token })).organizations.edges.map((e: any) => e.node);
    assert.ok(all.some((o: any) => o.id === orgId && o.viewerRole === null));
    const found = dataOf(await server.gql(LIST, { search: 'ACME' }, { token: siteAdmin.token })).organizations.edges.map((e: any) => e.node.slug);
    assert.deepEqual(found, ['acme-labs']);
    assert.equal(dataOf(await server.gql(MEMBERS, { id: orgId }, { token: siteAdmin.token })).organization.memberCount, 3);
    assert.deepEqual(errorCodes(await server.gql(LIST, {}, { token: member.token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(ORG, { id: UNKNOWN_ID }, { token: siteAdmin.token })), ['NOT_FOUND']);
  });

  test('the audit log records organization events with the organization id', async () => {
    const events = dataOf(await server.gql(`query($filter: AuditEventFilter) { auditEvents(first: 100, filter: $filter) { edges { node { action organizationId targetId actorId } } } }`, { filter: { organizationId: orgId } }, { token: siteAdmin.token }))
      .auditEvents.edges.map((e: any) => e.node);
    const actions = new Set(events.map((e: any) => e.action));
    for (const action of ['organization.create', 'organization.invite', 'organization.accept_invitation', 'organization.member_role', 'organization.update', 'organization.join', 'organization.leave', 'organization.member_remove']) {
      assert.ok(actions.has(action), `${action} in ${[...actions].join(', ')}`);
    }
    assert.ok(events.every((e: any) => e.organizationId === orgId && e.targetId === orgId));
  });

  test('deleting an organization: owner only (or organizations:write); members lose it; unknown ids are FORBIDDEN for a stranger', async () => {
    const doomed = await createOrg(server, owner.token, 'Doomed', 'doomed');
    await addMemberByInvitation(server, owner.token, doomed, member, 'admin');
    assert.deepEqual(errorCodes(await server.gql(DELETE_ORG, { id: doomed }, { token: member.token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(DELETE_ORG, { id: UNKNOWN_ID }, { token: member.token })), ['FORBIDDEN']);
    assert.equal(dataOf(await server.gql(DELETE_ORG, { id: doomed }, { token: owner.token })).deleteOrganization.slug, 'doomed');
    assert.deepEqual(errorCodes(await server.gql(ORG, { id: doomed }, { token: member.token })), ['FORBIDDEN']);
    const byAdmin = await createOrg(server, outsider.token, 'Spam', 'spam');
    assert.equal(dataOf(await server.gql(DELETE_ORG, { id: byAdmin }, { token: siteAdmin.token })).deleteOrganization.id, byAdmin);
    assert.deepEqual(errorCodes(await server.gql(DELETE_ORG, { id: UNKNOWN_ID }, { token: siteAdmin.token })), ['NOT_FOUND']);
  });
});

describe('organizations: ORGANIZATION_CREATION=permission', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ORGANIZATION_CREATION: 'permission' });
  });
  after(() => server.close());

  test('only holders of organizations:create may create one', async () => {
    const plain = await createConfirmedUser(server, 'plain@create.test');
    const res = await server.gql(CREATE_ORG, { name: 'Nope', slug: 'nope' }, { token: plain.token });
    assert.deepEqual(errorCodes(res), ['FORBIDDEN']);
    assert.deepEqual((await organizationSnapshot(server) as any).organizations, []);
    const creator = await createConfirmedUser(server, 'creator@create.test');
    await grantRoles(server, creator.userId, 'admin');
    assert.ok(await createOrg(server, creator.token, 'Yes', 'yes'));
  });
});
