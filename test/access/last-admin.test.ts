// The last active admin cannot lose the admin role through assignRoles: alone, with a disabled
// second admin, and when two admins demote each other at the same moment.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, startTestServer, type TestServer } from '../helpers/server.ts';
import type { AccessScope } from '../../src/access/service.ts';
import { assignRoles } from '../../src/accounts/roles.ts';
import { accessLoader } from '../../src/accounts/roles.ts';
import { LastAdminError } from '../../src/errors.ts';
import { accessSnapshot, ASSIGN_ROLES, dataOf, grantRoles, rolesOf, setDisabled } from './access-helpers.ts';

describe('last admin', () => {
  let server: TestServer;
  let first: { token: string; userId: string };
  let second: { token: string; userId: string };

  const demote = (by: { token: string }, userId: string) => server.gql(ASSIGN_ROLES, { userId, roles: ['user'] }, { token: by.token });

  before(async () => {
    server = await startTestServer();
    first = await createConfirmedUser(server, 'last.first@example.com');
    second = await createConfirmedUser(server, 'last.second@example.com');
    await grantRoles(server, first.userId, 'admin');
  });
  after(() => server.close());

  test('the only admin cannot drop their own admin role', async () => {
    const before = await accessSnapshot(server);
    const result = dataOf(await demote(first, first.userId)).assignRoles;
    assert.equal(result.__typename, 'LastAdminError');
    assert.equal(result.code, 'LAST_ADMIN');
    assert.deepEqual(await rolesOf(server, first.userId), ['admin', 'user']);
    assert.deepEqual(await accessSnapshot(server), before);
  });

  test('a disabled admin does not count as another admin', async () => {
    await grantRoles(server, second.userId, 'admin');
    await setDisabled(server, second.userId, true);
    assert.equal(dataOf(await demote(first, first.userId)).assignRoles.__typename, 'LastAdminError');
    assert.deepEqual(await rolesOf(server, first.userId), ['admin', 'user']);
    // A disabled admin may lose the role: the active one remains.
    assert.equal(dataOf(await demote(first, second.userId)).assignRoles.__typename, 'User');
    assert.deepEqual(await rolesOf(server, second.userId), ['user']);
    await setDisabled(server, second.userId, false);
  });

  test('with a second active admin, one may go; then the other is the last', async () => {
    await grantRoles(server, second.userId, 'admin');
    assert.equal(dataOf(await demote(first, second.userId)).assignRoles.__typename, 'User');
    assert.deepEqual(await rolesOf(server, second.userId), ['user']);
    assert.equal(dataOf(await demote(first, first.userId)).assignRoles.__typename, 'LastAdminError');
  });

  test('two admins demoting each other over HTTP at once: exactly one succeeds', async () => {
    await grantRoles(server, second.userId, 'admin');
    const results = await Promise.all([demote(first, second.userId), demote(second, first.userId)]);
    // The loser is refused either by the guard (LastAdminError) or, if the winner committed before
    // its request was authorised, by its own rule (it is no admin any more: FORBIDDEN).
    const outcomes = results.map((r) => r.body.data?.assignRoles?.__typename ?? r.body.errors?.[0]?.extensions?.code).sort();
    assert.equal(outcomes.filter((o) => o === 'User').length, 1, JSON.stringify(outcomes));
    assert.ok(outcomes.includes('LastAdminError') || outcomes.includes('FORBIDDEN'), JSON.stringify(outcomes));
    assert.equal(await adminCount(), 1);
  });

  test('the guard runs inside the writing transaction: two concurrent demotions past any rule, one wins', async () => {
    // Either may have won the race before (on PostgreSQL the order is not fixed): both are admins again.
    await grantRoles(server, first.userId, 'admin');
    await grantRoles(server, second.userId, 'admin');
    assert.equal(await adminCount(), 2);
    const results = await Promise.allSettled([
      assignRoles(operatorScope(server), first.userId, ['user']),
      assignRoles(operatorScope(server), second.userId, ['user']),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const failure = results.find((r) => r.status === 'rejected')!;
    assert.ok(failure.reason instanceof LastAdminError, String(failure.reason));
    assert.equal(await adminCount(), 1);
  });

  const adminCount = async () => {
    const roles = await Promise.all([first, second].map((u) => rolesOf(server, u.userId)));
    return roles.filter((r) => r.includes('admin')).length;
  };
});

/** What the command line passes a service: its own EntityManager and no viewer. */
function operatorScope(server: TestServer): AccessScope {
  const em = server.gatehouse.services.orm.em.fork();
  return { services: server.gatehouse.services, em, viewer: null, ip: '', userAgent: null, actorType: 'cli', loadAccess: accessLoader(em) };
}
