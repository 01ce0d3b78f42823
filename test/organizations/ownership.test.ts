// Ownership: an organization always has exactly one owner. Transfers sent at once: exactly one
// succeeds and exactly one owner remains. Transferring and deleting need a recent sign-in (step-up);
// refusals change nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answeredNothing, createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { OrganizationMember } from '../../src/organizations/entities.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { addMemberByInvitation, createOrg, dataOf, DELETE_ORG, organizationSnapshot, TRANSFER } from './org-helpers.ts';

const owners = async (server: TestServer, organizationId: string) =>
  (await server.gatehouse.services.orm.em.fork().find(OrganizationMember, { organization: organizationId, role: 'owner' }, { populate: ['user'] })).map((m) => m.user.email);

describe('ownership', () => {
  let server: TestServer;
  const people: Record<string, { token: string; userId: string; email: string }> = {};
  let orgId: string;

  before(async () => {
    server = await startTestServer({ STEP_UP_WINDOW: '10m' });
    for (const name of ['first', 'second', 'third']) {
      const email = `${name}@own.test`;
      people[name] = { ...(await createConfirmedUser(server, email)), email };
    }
    orgId = await createOrg(server, people.first!.token, 'Owned', 'owned');
    await addMemberByInvitation(server, people.first!.token, orgId, people.second!, 'admin');
    await addMemberByInvitation(server, people.first!.token, orgId, people.third!, 'admin');
  });
  after(() => server.close());

  test('concurrent transfers: exactly one succeeds, exactly one owner remains (several rounds)', async () => {
    for (let round = 0; round < 6; round++) {
      const [current] = await owners(server, orgId);
      const owner = Object.values(people).find((p) => p.email === current)!;
      const others = Object.values(people).filter((p) => p !== owner);
      // A fresh session each round: the previous owner's step-up window never matters here.
      const { token } = await login(server, owner.email);
      const results = await Promise.all(others.map((to) => server.gql(TRANSFER, { id: orgId, userId: to.userId }, { token })));
      const won = results.filter((r) => r.body.data?.transferOwnership?.__typename === 'Organization');
      const lost = results.filter((r) => r.body.data?.transferOwnership?.__typename !== 'Organization');
      assert.equal(won.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.body))}`);
      assert.deepEqual(errorCodes(lost[0]!), ['FORBIDDEN'], JSON.stringify(lost[0]!.body));
      assert.equal(won[0]!.body.data.transferOwnership.viewerRole.name, 'admin', 'the previous owner is an admin now');
      const now = await owners(server, orgId);
      assert.equal(now.length, 1, `round ${round}: owners ${now.join(', ')}`);
      assert.notEqual(now[0], owner.email);
    }
  });

  test('transfer refusals: to a non-member or to oneself (ValidationError), by a non-owner (FORBIDDEN); nothing changes', async () => {
    const [current] = await owners(server, orgId);
    const owner = Object.values(people).find((p) => p.email === current)!;
    const admin = Object.values(people).find((p) => p !== owner)!;
    const outsider = await createConfirmedUser(server, 'outsider@own.test');
    const { token } = await login(server, owner.email);
    for (const userId of [outsider.userId, owner.userId]) {
      const before = await organizationSnapshot(server);
      const result = dataOf(await server.gql(TRANSFER, { id: orgId, userId }, { token })).transferOwnership;
      assert.deepEqual([result.code, result.fields[0].field], ['VALIDATION_FAILED', 'userId']);
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    const before = await organizationSnapshot(server);
    const res = await server.gql(TRANSFER, { id: orgId, userId: admin.userId }, { token: admin.token });
    assert.deepEqual(errorCodes(res), ['FORBIDDEN']);
    assert.deepEqual(await organizationSnapshot(server), before);
  });

  test('transfer and delete need a recent sign-in: REAUTHENTICATION_REQUIRED after STEP_UP_WINDOW, open again after reauthenticate', async () => {
    const [current] = await owners(server, orgId);
    const owner = Object.values(people).find((p) => p.email === current)!;
    const next = Object.values(people).find((p) => p !== owner)!;
    const { token } = await login(server, owner.email);
    server.clock.advance(11 * 60_000);
    const before = await organizationSnapshot(server);
    for (const [query, variables] of [[TRANSFER, { id: orgId, userId: next.userId }], [DELETE_ORG, { id: orgId }]] as const) {
      const res = await server.gql(query, variables, { token });
      assert.deepEqual(errorCodes(res), ['REAUTHENTICATION_REQUIRED'], JSON.stringify(res.body));
      assert.ok(answeredNothing(res));
    }
    assert.deepEqual(await organizationSnapshot(server), before);
    const reauth = await server.gql(`mutation($p: String!) { reauthenticate(input: { password: $p }) { __typename } }`, { p: STRONG_PASSWORD }, { token });
    assert.equal(reauth.body.data.reauthenticate.__typename, 'Reauthenticated');
    assert.equal(dataOf(await server.gql(TRANSFER, { id: orgId, userId: next.userId }, { token })).transferOwnership.__typename, 'Organization');
    assert.deepEqual(await owners(server, orgId), [next.email]);
  });

  test('the owner cannot be deleted (their own deleteAccount, or an admin’s deleteUser) until ownership moves', async () => {
    const owner = { ...(await createConfirmedUser(server, 'deleted.owner@own.test')), email: 'deleted.owner@own.test' };
    const heir = { ...(await createConfirmedUser(server, 'heir@own.test')), email: 'heir@own.test' };
    const siteAdmin = await createConfirmedUser(server, 'site.admin@own.test');
    await grantRoles(server, siteAdmin.userId, 'admin');
    const kept = await createOrg(server, owner.token, 'Kept', 'kept');
    await addMemberByInvitation(server, owner.token, kept, heir);
    const DELETE_ACCOUNT = `mutation { deleteAccount { __typename ... on Error { code message } } }`;
    const DELETE_USER = `mutation($id: ID!) { deleteUser(input: { id: $id }) { __typename ... on Error { code message } } }`;
    const before = await organizationSnapshot(server);
    const own = dataOf(await server.gql(DELETE_ACCOUNT, {}, { token: owner.token })).deleteAccount;
    assert.equal(own.code, 'OWNER_REQUIRED', JSON.stringify(own));
    assert.match(own.message, /"Kept"/);
    assert.equal(dataOf(await server.gql(DELETE_USER, { id: owner.userId }, { token: siteAdmin.token })).deleteUser.code, 'OWNER_REQUIRED');
    assert.deepEqual(await organizationSnapshot(server), before);
    assert.equal(dataOf(await server.gql(`{ viewer { id } }`, {}, { token: owner.token })).viewer.id, owner.userId, 'the account is still there');
    dataOf(await server.gql(TRANSFER, { id: kept, userId: heir.userId }, { token: owner.token }));
    assert.equal(dataOf(await server.gql(DELETE_ACCOUNT, {}, { token: owner.token })).deleteAccount.__typename, 'DeletedUser');
    assert.deepEqual(await owners(server, kept), [heir.email]);
  });
});
