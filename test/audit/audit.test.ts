// The audit trail of account and sign-in flows, read back through `auditEvents` as an admin:
// who acted, on whom, from which IP and user agent; failed logins keep the email tried and never
// the password; a password reset request is recorded only when an account matched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { linkIn } from '../helpers/smtp.ts';
import { User } from '../../src/accounts/entities.ts';
import { grantRoles } from '../access/access-helpers.ts';

const UA = 'AuditTest/1.0 (flows)';

interface Event {
  id: string;
  at: string;
  actorType: string;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: string | null;
}

const EVENTS = `query($filter: AuditEventFilter, $first: Int) {
  auditEvents(filter: $filter, first: $first) {
    edges { node { id at actorType actorId actorEmail action targetType targetId ip userAgent details } }
  }
}`;

describe('audit trail of account flows', () => {
  let server: TestServer;
  let adminToken: string;

  /** Events with `action` (newest first), once background work (reset requests) has finished. */
  async function events(filter: Record<string, unknown>): Promise<Event[]> {
    await server.gatehouse.services.background.settle();
    const res = await server.gql(EVENTS, { filter, first: 100 }, { token: adminToken });
    assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
    return res.body.data.auditEvents.edges.map((e: { node: Event }) => e.node);
  }

  const isLocal = (ip: string | null) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1' || ip === '::1';

  before(async () => {
    server = await startTestServer();
    const admin = await createConfirmedUser(server, 'auditor@example.com');
    await grantRoles(server, admin.userId, 'admin');
    adminToken = admin.token;
  });
  after(() => server.close());

  test('registration and email confirmation: the account acts on itself, with IP and user agent', async () => {
    const email = 'newcomer@example.com';
    const registered = await server.gql(
      `mutation($input: RegisterInput!) { register(input: $input) { __typename } }`,
      { input: { email, password: STRONG_PASSWORD } },
      { headers: { 'user-agent': UA } },
    );
    assert.equal(registered.body.data.register.__typename, 'AccountStatus');
    const token = linkIn(await server.mail.waitFor(email, /Confirm/)).searchParams.get('token')!;
    const confirmed = await server.gql(`mutation($t: String!) { confirmEmail(input: { token: $t }) { __typename } }`, { t: token }, { headers: { 'user-agent': UA } });
    assert.equal(confirmed.body.data.confirmEmail.__typename, 'AccountStatus');
    const user = await server.gatehouse.services.orm.em.fork().findOneOrFail(User, { email });

    const [register] = await events({ action: 'account.register', targetId: user.id });
    assert.ok(register);
    assert.equal(register.actorType, 'USER');
    assert.equal(register.actorId, user.id);
    assert.equal(register.actorEmail, email);
    assert.equal(register.targetType, 'user');
    assert.ok(isLocal(register.ip), String(register.ip));
    assert.equal(register.userAgent, UA);
    assert.ok(!Number.isNaN(Date.parse(register.at)));

    const [confirm] = await events({ action: 'account.confirm_email', targetId: user.id });
    assert.ok(confirm);
    assert.equal(confirm.actorId, user.id);
    assert.equal(confirm.userAgent, UA);
    assert.deepEqual(JSON.parse(confirm.details!), { email });
  });

  test('login success: the user is actor and target', async () => {
    const { userId } = await createConfirmedUser(server, 'signer@example.com');
    await login(server, 'signer@example.com', STRONG_PASSWORD, { headers: { 'user-agent': UA } });
    const logins = await events({ action: 'auth.login', actorId: userId });
    // createConfirmedUser signed in once, then the login above (newest first).
    assert.equal(logins.length, 2);
    assert.equal(logins[0]!.userAgent, UA);
    assert.equal(logins[0]!.targetId, userId);
    assert.equal(logins[0]!.actorEmail, 'signer@example.com');
    assert.ok(isLocal(logins[0]!.ip));
  });

  test('login failure: anonymous actor, the email tried, never the password', async () => {
    const { userId } = await createConfirmedUser(server, 'victim@example.com');
    const secret = 'Wr0ng-but-very-Distinctive-Passw0rd!';
    const wrong = await server.gql(
      `mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { __typename ... on Error { code } } }`,
      { e: 'Victim@Example.com', p: secret },
      { headers: { 'user-agent': UA } },
    );
    assert.equal(wrong.body.data.login.code, 'INVALID_CREDENTIALS');
    const unknown = await server.gql(
      `mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { __typename ... on Error { code } } }`,
      { e: 'nobody-here@example.com', p: secret },
    );
    assert.equal(unknown.body.data.login.code, 'INVALID_CREDENTIALS');

    const failures = await events({ action: 'auth.login_failed' });
    const onVictim = failures.find((e) => e.actorEmail === 'Victim@Example.com');
    assert.ok(onVictim, JSON.stringify(failures));
    assert.equal(onVictim.actorType, 'ANONYMOUS');
    assert.equal(onVictim.actorId, null);
    assert.equal(onVictim.targetId, userId);
    assert.equal(onVictim.userAgent, UA);
    assert.deepEqual(JSON.parse(onVictim.details!), { email: 'Victim@Example.com', reason: 'invalid_credentials' });
    const onNobody = failures.find((e) => e.actorEmail === 'nobody-here@example.com');
    assert.ok(onNobody);
    assert.equal(onNobody.targetId, null);
    // Nowhere in any event, in any field or in the details JSON, nor in the stored rows.
    const everything = JSON.stringify(await events({}));
    assert.ok(!everything.includes(secret), 'the password tried appears in the audit log');
    const rows = await server.gatehouse.services.orm.em.getConnection().execute('select * from audit_events');
    assert.ok(!JSON.stringify(rows).includes(secret), 'the password tried is stored in audit_events');
  });

  test('a correct password on an unconfirmed account is recorded with the reason', async () => {
    const email = 'unconfirmed@example.com';
    await server.gql(`mutation($input: RegisterInput!) { register(input: $input) { __typename } }`, { input: { email, password: STRONG_PASSWORD } });
    await assert.rejects(login(server, email), /EMAIL_NOT_CONFIRMED/);
    const [failure] = (await events({ action: 'auth.login_failed' })).filter((e) => e.actorEmail === email);
    assert.deepEqual(JSON.parse(failure!.details!), { email, reason: 'email_not_confirmed' });
  });

  test('logout and password change are recorded for the signed-in user', async () => {
    const { token, userId } = await createConfirmedUser(server, 'changer@example.com');
    const newPassword = 'another entirely different passphrase';
    const changed = await server.gql(
      `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { __typename } }`,
      { c: STRONG_PASSWORD, n: newPassword },
      { token, headers: { 'user-agent': UA } },
    );
    assert.equal(changed.body.data.changePassword.__typename, 'User');
    const out = await server.gql(`mutation { logout { ... on RevokedSessions { count } } }`, {}, { token, headers: { 'user-agent': UA } });
    assert.deepEqual(out.body.data.logout, { count: 1 });
    // Logging out without a session records nothing.
    assert.deepEqual((await server.gql(`mutation { logout { ... on RevokedSessions { count } } }`)).body.data.logout, { count: 0 });

    const mine = await events({ actorId: userId });
    assert.deepEqual(
      mine.map((e) => e.action),
      ['auth.logout', 'account.change_password', 'auth.login', 'account.confirm_email', 'account.register'],
    );
    for (const event of mine.slice(0, 2)) {
      assert.equal(event.actorType, 'USER');
      assert.equal(event.targetId, userId);
      assert.equal(event.userAgent, UA);
      assert.ok(!JSON.stringify(event).includes(newPassword));
    }
  });

  test('password reset: requests are recorded only for an existing account; the reset itself is recorded', async () => {
    const { userId } = await createConfirmedUser(server, 'forgetful@example.com');
    const before = (await events({ action: 'account.request_password_reset' })).length;
    const REQUEST = `mutation($e: String!) { requestPasswordReset(input: { email: $e }) { __typename ... on RequestAccepted { message } } }`;
    const unknown = await server.gql(REQUEST, { e: 'ghost@example.com' });
    const known = await server.gql(REQUEST, { e: 'forgetful@example.com' }, { headers: { 'user-agent': UA } });
    // The answer is the same either way.
    assert.deepEqual(unknown.body, known.body);

    const requests = await events({ action: 'account.request_password_reset' });
    assert.equal(requests.length, before + 1);
    assert.equal(requests[0]!.targetId, userId);
    assert.equal(requests[0]!.actorType, 'ANONYMOUS');
    assert.equal(requests[0]!.actorEmail, 'forgetful@example.com');
    assert.equal(requests[0]!.userAgent, UA);
    assert.deepEqual(JSON.parse(requests[0]!.details!), { emailSent: true });

    const token = linkIn(await server.mail.waitFor('forgetful@example.com', /reset/i)).searchParams.get('token')!;
    const reset = await server.gql(
      `mutation($t: String!, $p: String!) { resetPassword(input: { token: $t, newPassword: $p }) { __typename } }`,
      { t: token, p: 'a brand new memorable passphrase' },
      { headers: { 'user-agent': UA } },
    );
    assert.equal(reset.body.data.resetPassword.__typename, 'AccountStatus');
    const [resetEvent] = await events({ action: 'account.reset_password', targetId: userId });
    assert.ok(resetEvent);
    assert.equal(resetEvent.actorId, userId);
    assert.equal(resetEvent.userAgent, UA);
  });
});
