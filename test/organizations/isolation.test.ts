// A member of organization A never reads or changes organization B: a probe over every field of the
// Organization type (read from the schema, so a field added later is probed too) and every mutation
// that names an organization, each answered FORBIDDEN with no data and no change, the same for an
// unknown id. The same probe as B's owner passes, so it can fail. And a personal access token limited
// to one organization sees no other, and holds no global permission it does not list.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getNamedType, isInputObjectType, isNonNullType, isObjectType, isScalarType, isEnumType, type GraphQLObjectType } from 'graphql';
import { schema } from '../../src/schema.ts';
import { answeredNothing, createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { addMemberByInvitation, createOrg, dataOf, ORG, organizationSnapshot, VIEWER_ORGS } from './org-helpers.ts';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** `field` or `field { __typename }`, with the fewest arguments it takes. */
function selection(type: GraphQLObjectType, name: string): string {
  const field = type.getFields()[name]!;
  const named = getNamedType(field.type);
  const leaf = isScalarType(named) || isEnumType(named);
  return leaf ? name : `${name} { __typename }`;
}

/** Every mutation whose input names an organization (`input.organizationId`). */
function organizationMutations(): Array<{ name: string; inputType: string; required: Record<string, string> }> {
  const found = [];
  for (const field of Object.values(schema.getMutationType()!.getFields())) {
    const input = field.args.find((a) => a.name === 'input');
    const type = input && getNamedType(input.type);
    if (!type || !isInputObjectType(type) || !type.getFields()['organizationId']) continue;
    const required = Object.fromEntries(
      Object.values(type.getFields())
        .filter((f) => isNonNullType(f.type) && f.name !== 'organizationId')
        .map((f) => [f.name, getNamedType(f.type).name]),
    );
    found.push({ name: field.name, inputType: type.name, required });
  }
  return found;
}

describe('organization isolation', () => {
  let server: TestServer;
  let a: { token: string; userId: string };
  let b: { token: string; userId: string };
  let bMember: { token: string; userId: string };
  let orgA: string;
  let orgB: string;

  before(async () => {
    server = await startTestServer();
    a = await createConfirmedUser(server, 'a@iso.test');
    b = await createConfirmedUser(server, 'b@iso.test');
    bMember = await createConfirmedUser(server, 'b.member@iso.test');
    orgA = await createOrg(server, a.token, 'Org A', 'org-a');
    orgB = await createOrg(server, b.token, 'Org B', 'org-b');
    await addMemberByInvitation(server, b.token, orgB, { token: bMember.token, email: 'b.member@iso.test' });
    // Something to find in B, if anything leaked: a pending invitation.
    dataOf(await server.gql(`mutation($id: ID!) { inviteToOrganization(input: { organizationId: $id, email: "pending@iso.test" }) { __typename } }`, { id: orgB }, { token: b.token }));
  });
  after(() => server.close());

  const organizationType = () => schema.getType('Organization') as GraphQLObjectType;

  test('every field of Organization: FORBIDDEN for a member of another organization, the same for an unknown id', async () => {
    const fields = Object.keys(organizationType().getFields());
    assert.ok(fields.length >= 10 && fields.includes('members') && fields.includes('invitations'), fields.join(', '));
    for (const name of fields) {
      const query = `query($id: ID!) { organization(id: $id) { ${selection(organizationType(), name)} } }`;
      for (const id of [orgB, UNKNOWN_ID]) {
        const res = await server.gql(query, { id }, { token: a.token });
        assert.deepEqual(errorCodes(res), ['FORBIDDEN'], `${name} of ${id === orgB ? 'B' : 'an unknown id'}: ${JSON.stringify(res.body)}`);
        assert.ok(answeredNothing(res), `${name} returned data`);
      }
      // Control: B's owner reads the field (so the probe can tell a refusal from a broken query).
      const own = await server.gql(query, { id: orgB }, { token: b.token });
      assert.equal(own.body.errors, undefined, `${name} as B's owner: ${JSON.stringify(own.body.errors)}`);
    }
  });

  test('every mutation naming an organization: FORBIDDEN (setActiveOrganization: NOT_FOUND) for another organization, changing nothing', async () => {
    const mutations = organizationMutations();
    const names = mutations.map((m) => m.name).sort();
    for (const expected of ['deleteOrganization', 'inviteToOrganization', 'removeMember', 'setMemberRole', 'transferOwnership', 'updateOrganization']) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    }
    const value = (field: string, type: string) =>
      field === 'userId' ? bMember.userId : field === 'email' ? 'probe@iso.test' : field === 'role' ? 'admin' : type === 'ID' ? bMember.userId : 'probe';
    for (const mutation of mutations) {
      const input = { organizationId: orgB, ...Object.fromEntries(Object.entries(mutation.required).map(([field, type]) => [field, value(field, type)])) };
      const query = `mutation($input: ${mutation.inputType}!) { ${mutation.name}(input: $input) { __typename } }`;
      for (const organizationId of [orgB, UNKNOWN_ID]) {
        const before = await organizationSnapshot(server);
        const res = await server.gql(query, { input: { ...input, organizationId } }, { token: a.token });
        if (mutation.name === 'createAccessToken') {
          // Not an organization's operation: a token limited to one the viewer is not in is a form error.
          assert.equal(res.body.data?.createAccessToken?.__typename, 'ValidationError', JSON.stringify(res.body));
        } else {
          const expected = mutation.name === 'setActiveOrganization' ? 'NOT_FOUND' : 'FORBIDDEN';
          assert.deepEqual(errorCodes(res), [expected], `${mutation.name}: ${JSON.stringify(res.body)}`);
          assert.ok(answeredNothing(res));
        }
        assert.deepEqual(await organizationSnapshot(server), before, `${mutation.name} changed something`);
      }
    }
  });

  test('the viewer lists only their own organizations', async () => {
    const viewer = dataOf(await server.gql(VIEWER_ORGS, {}, { token: a.token })).viewer;
    assert.deepEqual(viewer.organizations.map((o: any) => o.id), [orgA]);
  });
});

describe('access tokens limited to one organization', () => {
  let server: TestServer;
  let user: { token: string; userId: string };
  let orgA: string;
  let orgB: string;
  const CREATE = `mutation($input: CreateAccessTokenInput!) {
    createAccessToken(input: $input) { __typename ... on CreatedAccessToken { token accessToken { organizationId permissions } } ... on ValidationError { fields { field messages } } }
  }`;

  before(async () => {
    server = await startTestServer();
    user = await createConfirmedUser(server, 'both@tok.test');
    await grantRoles(server, user.userId, 'admin');
    orgA = await createOrg(server, user.token, 'Tok A', 'tok-a');
    orgB = await createOrg(server, user.token, 'Tok B', 'tok-b');
  });
  after(() => server.close());

  test('it acts in its organization only, sees no other, and holds no global permission it does not list', async () => {
    const created = dataOf(await server.gql(CREATE, { input: { name: 'ci for A', organizationId: orgA } }, { token: user.token })).createAccessToken;
    assert.deepEqual(created.accessToken.organizationId, orgA);
    const token = created.token as string;
    assert.equal(dataOf(await server.gql(ORG, { id: orgA }, { token })).organization.viewerRole.name, 'owner');
    // The owner (and a site admin) holds B, but this token does not.
    for (const query of [ORG, `query($id: ID!) { organization(id: $id) { members { __typename } } }`]) {
      const res = await server.gql(query, { id: orgB }, { token });
      assert.deepEqual(errorCodes(res), ['FORBIDDEN']);
    }
    const before = await organizationSnapshot(server);
    const rename = await server.gql(`mutation($id: ID!) { updateOrganization(input: { organizationId: $id, name: "Hijacked" }) { __typename } }`, { id: orgB }, { token });
    assert.deepEqual(errorCodes(rename), ['FORBIDDEN']);
    assert.deepEqual(await organizationSnapshot(server), before);
    const viewer = dataOf(await server.gql(VIEWER_ORGS, {}, { token })).viewer;
    assert.deepEqual(viewer.organizations.map((o: any) => o.id), [orgA]);
    assert.equal(viewer.activeOrganization.id, orgA);
    // Global permissions: none unless listed (the owner is a site admin).
    assert.deepEqual(errorCodes(await server.gql(`{ users(first: 1) { edges { node { id } } } }`, {}, { token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(`{ organizations(first: 5) { edges { node { id } } } }`, {}, { token })), ['FORBIDDEN']);
    const isAdmin = dataOf(await server.gql(`{ viewer { isAdmin permissions } }`, {}, { token })).viewer;
    assert.deepEqual(isAdmin, { isAdmin: false, permissions: [] });
  });

  test('it neither creates nor joins another organization', async () => {
    const created = dataOf(await server.gql(CREATE, { input: { name: 'no escape', organizationId: orgA } }, { token: user.token })).createAccessToken;
    const before = await organizationSnapshot(server);
    const create = await server.gql(`mutation { createOrganization(input: { name: "Escape", slug: "escape" }) { __typename } }`, {}, { token: created.token });
    assert.deepEqual(errorCodes(create), ['FORBIDDEN']);
    const accept = await server.gql(`mutation { acceptInvitation(input: { token: "${'x'.repeat(43)}" }) { __typename } }`, {}, { token: created.token });
    assert.deepEqual(errorCodes(accept), ['FORBIDDEN']);
    const join = await server.gql(`mutation($id: ID!) { joinOrganization(input: { organizationId: $id }) { __typename } }`, { id: orgB }, { token: created.token });
    assert.deepEqual(errorCodes(join), ['FORBIDDEN']);
    assert.deepEqual(await organizationSnapshot(server), before);
  });

  test('listed global permissions still work; a session sees every organization', async () => {
    const created = dataOf(await server.gql(CREATE, { input: { name: 'A reader', organizationId: orgA, permissions: ['users:read'] } }, { token: user.token })).createAccessToken;
    assert.equal(dataOf(await server.gql(`{ users(first: 1) { edges { node { id } } } }`, {}, { token: created.token })).users.edges.length, 1);
    const viewer = dataOf(await server.gql(VIEWER_ORGS, {}, { token: user.token })).viewer;
    assert.deepEqual(viewer.organizations.map((o: any) => o.id).sort(), [orgA, orgB].sort());
  });

  test('a token can only be limited to an organization its owner is in; the organization going deletes the token', async () => {
    const stranger = await createConfirmedUser(server, 'stranger@tok.test');
    for (const organizationId of [orgA, UNKNOWN_ID]) {
      const refused = dataOf(await server.gql(CREATE, { input: { name: 'nope', organizationId } }, { token: stranger.token })).createAccessToken;
      assert.deepEqual(refused.fields.map((f: any) => f.field), ['organizationId']);
    }
    const doomed = await createOrg(server, user.token, 'Doomed', 'doomed-tok');
    const created = dataOf(await server.gql(CREATE, { input: { name: 'doomed', organizationId: doomed } }, { token: user.token })).createAccessToken;
    assert.equal(dataOf(await server.gql(`{ viewer { id } }`, {}, { token: created.token })).viewer.id, user.userId);
    dataOf(await server.gql(`mutation($id: ID!) { deleteOrganization(input: { organizationId: $id }) { __typename } }`, { id: doomed }, { token: user.token }));
    const after = await server.gql(`{ viewer { id } }`, {}, { token: created.token });
    assert.equal(after.status, 401);
    assert.deepEqual(errorCodes(after), ['UNAUTHENTICATED']);
  });
});
