// Admin user management end to end: creating (policy, confirmation, roles), editing, disabling
// (sessions die at once), deleting, setting passwords, ending sessions, the last-admin guard, and
// the audit trail of each.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { loginOutcome, mailsTo } from '../accounts/account-helpers.ts';
import { EmailToken } from '../../src/accounts/entities.ts';
import { accessLoader } from '../../src/accounts/roles.ts';
import * as userAdmin from '../../src/admin/users.ts';
import { LastAdminError } from '../../src/errors.ts';
import type { RequestScope } from '../../src/context.ts';
import { auditEvents, createRoleWith, dataOf, grantRole, OPS, sessionCount, storedUser } from './users-helpers.ts';

const VIEWER = `{ viewer { id } }`;
const NEW_PASSWORD = 'new admin chosen passphrase 42';

describe('admin user management', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  /** Holds users:write and users:read, but not roles:write. */
  let writer: { token: string; userId: string };

  before(async () => {
    server = await startTestServer();
    admin = await createConfirmedUser(server, 'mgr.admin@example.com');
    await grantRole(server, admin.userId, 'admin');
    writer = await createConfirmedUser(server, 'mgr.writer@example.com');
    await createRoleWith(server, 'user-manager', ['users:read', 'users:write']);
    await createRoleWith(server, 'auditor', ['audit:read']);
    await grantRole(server, writer.userId, 'user-manager');
  });
  after(() => server.close());

  async function assertSignedOut(token: string) {
    const res = await server.gql(VIEWER, {}, { token });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
  }

  async function assertSignedIn(token: string, userId: string) {
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token })).viewer.id, userId);
  }

  const create = async (input: Record<string, unknown>, token = admin.token) =>
    dataOf(await server.gql(OPS.createUser, { input }, { token })).createUser;
  const update = async (id: string, input: Record<string, unknown>, token = admin.token) =>
    dataOf(await server.gql(OPS.updateUser, { input: { id, ...input } }, { token })).updateUser;

  describe('createUser', () => {
    test('a confirmed account with a profile can sign in at once; the creation is audited without the password', async () => {
      const user = await create({ email: ' New.One@EXAMPLE.com ', password: STRONG_PASSWORD, confirmed: true, displayName: ' Ada ' });
      assert.equal(user.__typename, 'User', JSON.stringify(user));
      assert.equal(user.email, 'New.One@example.com');
      assert.equal(user.emailConfirmed, true);
      assert.equal(user.status, 'ACTIVE');
      assert.equal(user.displayName, 'Ada');
      assert.deepEqual(user.roles.map((r: { name: string }) => r.name), ['user']);
      assert.equal(await loginOutcome(server, 'new.one@example.com'), 'CreatedSession');
      assert.deepEqual(await mailsTo(server, 'New.One@example.com', /Confirm/), []);

      const [event, ...more] = await auditEvents(server, 'user.create', user.id);
      assert.equal(more.length, 0);
      assert.equal(event!.actorId, admin.userId);
      assert.deepEqual(event!.details, { email: 'New.One@example.com', confirmed: true, roles: ['user'] });
      assert.ok(!JSON.stringify(event).includes(STRONG_PASSWORD));
    });

    test('an unconfirmed account gets a confirmation link and cannot sign in until it confirms', async () => {
      const user = await create({ email: 'mgr.unconfirmed@example.com', password: STRONG_PASSWORD });
      assert.equal(user.status, 'UNCONFIRMED');
      await server.mail.waitFor('mgr.unconfirmed@example.com', /Confirm/);
      assert.equal(await loginOutcome(server, 'mgr.unconfirmed@example.com'), 'EMAIL_NOT_CONFIRMED');
    });

    test('the registration rules apply: weak password, bad email, unknown role, taken email', async () => {
      const weak = await create({ email: 'mgr.weak@example.com', password: 'password1' });
      assert.equal(weak.__typename, 'ValidationError');
      assert.deepEqual(weak.fields.map((f: { field: string }) => f.field), ['password']);
      // The name fields count against the password, as on registration.
      const named = await create({ email: 'mgr.named@example.com', password: 'zebulon quixotic', firstName: 'Zebulon', lastName: 'Quixotic' });
      assert.equal(named.__typename, 'ValidationError', JSON.stringify(named));

      const bad = await create({ email: 'not an email', password: STRONG_PASSWORD, phone: 'call me', roles: ['nope'] });
      assert.equal(bad.__typename, 'ValidationError');
      assert.deepEqual(bad.fields.map((f: { field: string }) => f.field).sort(), ['email', 'phone', 'roles']);

      const taken = await create({ email: 'MGR.WRITER@example.com', password: STRONG_PASSWORD });
      assert.equal(taken.__typename, 'EmailTakenError');
      assert.equal(taken.code, 'EMAIL_TAKEN');
      for (const email of ['mgr.weak@example.com', 'mgr.named@example.com']) assert.equal(await loginOutcome(server, email), 'INVALID_CREDENTIALS');
    });

    test('roles other than `user` need roles:write: FORBIDDEN for a user manager, and nothing is created', async () => {
      const res = await server.gql(OPS.createUser, { input: { email: 'mgr.withrole@example.com', password: STRONG_PASSWORD, roles: ['auditor'] } }, { token: writer.token });
      assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
      assert.equal(await loginOutcome(server, 'mgr.withrole@example.com'), 'INVALID_CREDENTIALS');

      const plain = await create({ email: 'mgr.plain@example.com', password: STRONG_PASSWORD, roles: ['user'], confirmed: true }, writer.token);
      assert.equal(plain.__typename, 'User', JSON.stringify(plain));

      const withRole = await create({ email: 'mgr.withrole@example.com', password: STRONG_PASSWORD, roles: ['auditor'], confirmed: true });
      assert.deepEqual(withRole.roles.map((r: { name: string }) => r.name).sort(), ['auditor', 'user']);
    });
  });

  describe('updateUser', () => {
    test('edits email and profile, keeps emails unique, and audits the changed fields', async () => {
      const { userId, token } = await createConfirmedUser(server, 'mgr.edit@example.com');
      const taken = await update(userId, { email: 'mgr.writer@EXAMPLE.com', displayName: 'Not saved' });
      assert.equal(taken.__typename, 'EmailTakenError');
      assert.equal((await storedUser(server, userId))!.displayName, null);

      const edited = await update(userId, { email: 'mgr.edited@example.com', displayName: 'Edited', bio: '' });
      assert.equal(edited.__typename, 'User', JSON.stringify(edited));
      assert.equal(edited.email, 'mgr.edited@example.com');
      assert.equal(edited.displayName, 'Edited');
      // A new mailbox is unconfirmed and gets a link; the account's sessions are untouched.
      assert.equal(edited.emailConfirmed, false);
      await server.mail.waitFor('mgr.edited@example.com', /Confirm/);
      await assertSignedIn(token, userId);

      const [event] = await auditEvents(server, 'user.update', userId);
      assert.deepEqual(event!.details, { changed: ['displayName', 'email', 'confirmed'], email: 'mgr.edited@example.com', confirmed: false });

      const confirmed = await update(userId, { confirmed: true });
      assert.equal(confirmed.emailConfirmed, true);
      // Nothing to change: no write, no audit event.
      await update(userId, { confirmed: true, displayName: 'Edited' });
      assert.equal((await auditEvents(server, 'user.update', userId)).length, 2);
    });

    test('invalid input is reported per field and changes nothing', async () => {
      const { userId } = await createConfirmedUser(server, 'mgr.invalid@example.com');
      const before = await storedUser(server, userId);
      const res = await update(userId, { email: 'nope', avatarUrl: 'ftp://x', displayName: 'Would change' });
      assert.equal(res.__typename, 'ValidationError');
      assert.deepEqual(res.fields.map((f: { field: string }) => f.field).sort(), ['avatarUrl', 'email']);
      assert.deepEqual(await storedUser(server, userId), before);
    });

    test('null clears a profile field; null on a field that cannot be cleared is refused by name and changes nothing', async () => {
      const { userId } = await createConfirmedUser(server, 'mgr.nulls@example.com');
      assert.equal((await update(userId, { displayName: 'Ada' })).__typename, 'User');
      const before = await storedUser(server, userId);
      const res = await update(userId, { email: null, confirmed: null, disabled: null, roles: null, displayName: null });
      assert.equal(res.__typename, 'ValidationError');
      const message = 'This cannot be cleared: omit the field to keep its value.';
      assert.deepEqual(res.fields, ['email', 'confirmed', 'disabled', 'roles'].map((field) => ({ field, messages: [message] })));
      assert.deepEqual(await storedUser(server, userId), before);
      const cleared = await update(userId, { displayName: null });
      assert.equal(cleared.__typename, 'User');
      assert.equal((await storedUser(server, userId))!.displayName, null);
    });

    test('changing roles needs roles:write; a refused edit changes no other field either', async () => {
      const { userId } = await createConfirmedUser(server, 'mgr.roles@example.com');
      const res = await server.gql(OPS.updateUser, { input: { id: userId, roles: ['auditor'], displayName: 'Nope' } }, { token: writer.token });
      assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
      const stored = await storedUser(server, userId);
      assert.equal(stored!.displayName, null);
      assert.deepEqual(stored!.roles.getItems().map((r) => r.name), ['user']);

      // Sending the roles it already has is no role change.
      const same = await update(userId, { roles: ['user'], displayName: 'Fine' }, writer.token);
      assert.equal(same.displayName, 'Fine');

      const granted = await update(userId, { roles: ['auditor'] });
      assert.deepEqual(granted.roles.map((r: { name: string }) => r.name).sort(), ['auditor', 'user']);
      const unknown = await update(userId, { roles: ['auditor', 'ghost'] });
      assert.equal(unknown.__typename, 'ValidationError');
      assert.deepEqual(unknown.fields, [{ field: 'roles', messages: ['Unknown role: ghost.'] }]);
    });

    test('disabling ends every session at once; the account cannot sign in until enabled', async () => {
      const { userId, token } = await createConfirmedUser(server, 'mgr.disable@example.com');
      const { token: second } = await login(server, 'mgr.disable@example.com');
      assert.equal(await sessionCount(server, userId), 2);

      const disabled = await update(userId, { disabled: true });
      assert.equal(disabled.status, 'DISABLED');
      await assertSignedOut(token);
      await assertSignedOut(second);
      assert.equal(await sessionCount(server, userId), 0);
      assert.equal(await loginOutcome(server, 'mgr.disable@example.com'), 'ACCOUNT_DISABLED');
      const [event] = await auditEvents(server, 'user.disable', userId);
      assert.deepEqual(event!.details, { sessionsEnded: 2 });
      assert.deepEqual(await auditEvents(server, 'user.update', userId), [], 'disabling alone is not a field edit');

      const enabled = await update(userId, { disabled: false });
      assert.equal(enabled.status, 'ACTIVE');
      assert.equal((await auditEvents(server, 'user.enable', userId)).length, 1);
      assert.equal(await loginOutcome(server, 'mgr.disable@example.com'), 'CreatedSession');
    });

    test('nobody can disable their own account', async () => {
      const res = await update(writer.userId, { disabled: true }, writer.token);
      assert.equal(res.__typename, 'ValidationError');
      assert.equal(res.fields[0].field, 'disabled');
      await assertSignedIn(writer.token, writer.userId);
      assert.equal((await storedUser(server, writer.userId))!.disabled, false);
    });
  });

  describe('deleteUser, setUserPassword, revokeUserSessions', () => {
    test('deleteUser removes the account with its sessions and emailed tokens', async () => {
      const { userId, token } = await createConfirmedUser(server, 'mgr.delete@example.com');
      await server.gql(`mutation { resendViewerConfirmation { __typename } }`, {}, { token });
      const deleted = dataOf(await server.gql(OPS.deleteUser, { id: userId }, { token: admin.token })).deleteUser;
      assert.deepEqual(deleted, { __typename: 'DeletedUser', id: userId, email: 'mgr.delete@example.com' });
      await assertSignedOut(token);
      assert.equal(await storedUser(server, userId), null);
      assert.equal(await sessionCount(server, userId), 0);
      assert.equal(await server.gatehouse.services.orm.em.fork().count(EmailToken, { user: userId }), 0);
      assert.deepEqual(dataOf(await server.gql(OPS.user, { id: userId }, { token: admin.token })), { user: null });
      assert.equal((await auditEvents(server, 'user.delete', userId)).length, 1);
      // The address is free again.
      assert.equal((await create({ email: 'mgr.delete@example.com', password: STRONG_PASSWORD })).__typename, 'User');
    });

    test('setUserPassword applies the password policy, then ends every session', async () => {
      const { userId, token } = await createConfirmedUser(server, 'mgr.password@example.com', STRONG_PASSWORD, { firstName: 'Hieronymus' });
      const hashBefore = (await storedUser(server, userId))!.passwordHash;
      // 'hieronymusbosch' passes on its own; it fails only because it contains the account's first name.
      for (const password of ['short', 'password123', 'hieronymusbosch']) {
        const weak = dataOf(await server.gql(OPS.setUserPassword, { id: userId, password }, { token: admin.token })).setUserPassword;
        assert.equal(weak.__typename, 'ValidationError', password);
        assert.equal(weak.fields[0].field, 'password');
      }
      assert.equal((await storedUser(server, userId))!.passwordHash, hashBefore);
      await assertSignedIn(token, userId);

      const set = dataOf(await server.gql(OPS.setUserPassword, { id: userId, password: NEW_PASSWORD }, { token: admin.token })).setUserPassword;
      assert.equal(set.__typename, 'User');
      await assertSignedOut(token);
      assert.equal(await loginOutcome(server, 'mgr.password@example.com'), 'INVALID_CREDENTIALS');
      assert.equal(await loginOutcome(server, 'mgr.password@example.com', NEW_PASSWORD), 'CreatedSession');
      const [event] = await auditEvents(server, 'user.password.set', userId);
      assert.deepEqual(event!.details, { sessionsEnded: 1 });
      assert.ok(!JSON.stringify(event).includes(NEW_PASSWORD));
    });

    test('revokeUserSessions ends them all and says how many', async () => {
      const { userId, token } = await createConfirmedUser(server, 'mgr.revoke@example.com');
      const { token: other } = await login(server, 'mgr.revoke@example.com');
      const count = dataOf(await server.gql(OPS.revokeUserSessions, { id: userId }, { token: admin.token })).revokeUserSessions.count;
      assert.equal(count, 2);
      await assertSignedOut(token);
      await assertSignedOut(other);
      assert.equal(dataOf(await server.gql(OPS.revokeUserSessions, { id: userId }, { token: admin.token })).revokeUserSessions.count, 0);
      assert.deepEqual((await auditEvents(server, 'user.sessions.revoke', userId)).map((e) => e.details), [{ count: 2 }, { count: 0 }]);
      // The account itself still works.
      assert.equal(await loginOutcome(server, 'mgr.revoke@example.com'), 'CreatedSession');
    });
  });
});

describe('accounts that outrank the actor', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let manager: { token: string; userId: string };

  before(async () => {
    server = await startTestServer();
    admin = await createConfirmedUser(server, 'rank.admin@example.com');
    await grantRole(server, admin.userId, 'admin');
    manager = await createConfirmedUser(server, 'rank.manager@example.com');
    await createRoleWith(server, 'user-manager', ['users:read', 'users:write', 'roles:write']);
    await createRoleWith(server, 'auditor', ['audit:read']);
    await grantRole(server, manager.userId, 'user-manager');
  });
  after(() => server.close());

  test('a user manager cannot touch an admin, nor an account holding a permission they lack', async () => {
    const auditor = await createConfirmedUser(server, 'rank.auditor@example.com');
    await grantRole(server, auditor.userId, 'auditor');
    const peer = await createConfirmedUser(server, 'rank.peer@example.com');
    await grantRole(server, peer.userId, 'user-manager');

    for (const target of [admin, auditor]) {
      const before = await storedUser(server, target.userId);
      const attempts = [
        server.gql(OPS.updateUser, { input: { id: target.userId, email: 'rank.stolen@example.com' } }, { token: manager.token }),
        server.gql(OPS.setUserPassword, { id: target.userId, password: NEW_PASSWORD }, { token: manager.token }),
        server.gql(OPS.revokeUserSessions, { id: target.userId }, { token: manager.token }),
        server.gql(OPS.deleteUser, { id: target.userId }, { token: manager.token }),
      ];
      for (const res of await Promise.all(attempts)) assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
      assert.deepEqual(await storedUser(server, target.userId), before);
      assert.equal(dataOf(await server.gql(VIEWER, {}, { token: target.token })).viewer.id, target.userId);
    }
    // Someone holding no more than the manager is fair game.
    const res = await server.gql(OPS.updateUser, { input: { id: peer.userId, displayName: 'Peer' } }, { token: manager.token });
    assert.equal(dataOf(res).updateUser.displayName, 'Peer');
    // The admin manages everyone.
    const byAdmin = await server.gql(OPS.updateUser, { input: { id: auditor.userId, displayName: 'Audited' } }, { token: admin.token });
    assert.equal(dataOf(byAdmin).updateUser.displayName, 'Audited');
  });
});

describe('the last active admin', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };

  before(async () => {
    server = await startTestServer();
    admin = await createConfirmedUser(server, 'last.admin@example.com');
    await grantRole(server, admin.userId, 'admin');
  });
  after(() => server.close());

  const updateAs = async (token: string, id: string, input: Record<string, unknown>) =>
    dataOf(await server.gql(OPS.updateUser, { input: { id, ...input } }, { token })).updateUser;

  /** The command line acts with no viewer, as the operator: only the last-admin guard stops it. */
  function operatorScope(): RequestScope {
    const em = server.gatehouse.services.orm.em.fork();
    return { services: server.gatehouse.services, em, viewer: null, credential: null, ip: '', userAgent: null, requestId: 'test-cli', actorType: 'cli', loadAccess: accessLoader(em) };
  }

  async function assertStillActiveAdmin() {
    const stored = await storedUser(server, admin.userId);
    assert.equal(stored!.disabled, false);
    assert.ok(stored!.roles.getItems().some((r) => r.name === 'admin'));
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token: admin.token })).viewer.id, admin.userId);
  }

  test('cannot be deleted, stripped of the admin role or disabled', async () => {
    const del = dataOf(await server.gql(OPS.deleteUser, { id: admin.userId }, { token: admin.token })).deleteUser;
    assert.equal(del.__typename, 'LastAdminError', JSON.stringify(del));
    assert.equal(del.code, 'LAST_ADMIN');
    // The second alias reads the account in the same operation: the refused edit left no trace in memory either.
    const both = await server.gql(
      `mutation($id: ID!) {
        demote: updateUser(input: { id: $id, roles: ["user"], displayName: "Not saved" }) { __typename }
        reread: updateUser(input: { id: $id }) { ... on User { displayName roles { name } } }
      }`,
      { id: admin.userId },
      { token: admin.token },
    );
    assert.equal(dataOf(both).demote.__typename, 'LastAdminError', JSON.stringify(both.body));
    assert.equal(dataOf(both).reread.displayName, null);
    assert.deepEqual(dataOf(both).reread.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'user']);
    assert.equal((await storedUser(server, admin.userId))!.displayName, null, 'the refused edit wrote nothing');

    await assert.rejects(userAdmin.updateUser(operatorScope(), admin.userId, { disabled: true }), LastAdminError);
    await assert.rejects(userAdmin.deleteUser(operatorScope(), admin.userId), LastAdminError);
    await assertStillActiveAdmin();
    assert.deepEqual(await auditEvents(server, 'user.disable', admin.userId), []);
    assert.deepEqual(await auditEvents(server, 'user.delete', admin.userId), []);
  });

  test('two concurrent disables of the only two active admins: exactly one succeeds', async () => {
    const a = await createConfirmedUser(server, 'last.race.a@example.com');
    const b = await createConfirmedUser(server, 'last.race.b@example.com');
    for (const user of [a, b]) await grantRole(server, user.userId, 'admin');
    // Take the suite's admin out of the count for this test (the operator may; two others remain).
    await userAdmin.updateUser(operatorScope(), admin.userId, { disabled: true });
    const results = await Promise.allSettled([
      userAdmin.updateUser(operatorScope(), a.userId, { disabled: true }),
      userAdmin.updateUser(operatorScope(), b.userId, { disabled: true }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.ok((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason instanceof LastAdminError);
    const disabled = [(await storedUser(server, a.userId))!.disabled, (await storedUser(server, b.userId))!.disabled];
    assert.deepEqual(disabled.sort(), [false, true]);
    // Restore the suite's state: the original admin active, the two extra ones gone.
    await userAdmin.updateUser(operatorScope(), admin.userId, { disabled: false });
    for (const user of [a, b]) await userAdmin.deleteUser(operatorScope(), user.userId);
    ({ token: admin.token } = await login(server, 'last.admin@example.com'));
  });

  test('a disabled admin does not count; an active second admin lifts the guard', async () => {
    const second = await createConfirmedUser(server, 'last.second@example.com');
    await grantRole(server, second.userId, 'admin');
    assert.equal((await updateAs(admin.token, second.userId, { disabled: true })).status, 'DISABLED');
    await assert.rejects(userAdmin.updateUser(operatorScope(), admin.userId, { disabled: true }), LastAdminError);
    await assertStillActiveAdmin();

    const enabled = await userAdmin.updateUser(operatorScope(), second.userId, { disabled: false });
    assert.equal(enabled.disabled, false);
    const { token: secondToken } = await login(server, 'last.second@example.com');
    assert.equal((await updateAs(secondToken, admin.userId, { disabled: true })).status, 'DISABLED');
    const res = await server.gql(VIEWER, {}, { token: admin.token });
    assert.equal(res.status, 401);
    // Now the second is the last one.
    const del = dataOf(await server.gql(OPS.deleteUser, { id: second.userId }, { token: secondToken })).deleteUser;
    assert.equal(del.__typename, 'LastAdminError');
  });
});
