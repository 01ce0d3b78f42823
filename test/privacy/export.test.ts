// exportMyData over the real server: the signed-in user gets everything kept about them as JSON —
// profile, roles, sessions, token metadata, linked accounts, audit rows about them — and no secret;
// other people's IPs stay out; a stale session must step up, an impersonation cannot export, and
// each export is audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { createAdmin } from '../maintenance/maintenance-helpers.ts';
import { createToken } from '../tokens/token-helpers.ts';
import { createOrg, inviteAndReadToken } from '../organizations/org-helpers.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { User } from '../../src/accounts/entities.ts';

const EXPORT = 'mutation { exportMyData { __typename ... on MyDataExport { json filename generatedAt } } }';
const MINUTE = 60_000;

describe('exportMyData', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };

  before(async () => {
    server = await startTestServer({ STEP_UP_WINDOW: '10m' });
    admin = await createAdmin(server, 'admin@example.com');
  });
  after(() => server.close());

  test('everything about the account, and no secret', async () => {
    const ada = await createConfirmedUser(server, 'ada@example.com');
    await server.gql('mutation { updateProfile(input: { displayName: "Ada L.", bio: "Engines" }) { __typename } }', {}, { token: ada.token });
    const { token: accessToken } = await createToken(server, ada.token, { name: 'laptop', permissions: null });
    const phone = await login(server, 'ada@example.com', STRONG_PASSWORD, { headers: { 'user-agent': 'AdaPhone/1.0' } });
    // Her own organization, and an invitation to another one (its link's token is a secret).
    const engines = await createOrg(server, ada.token, 'Analytical Engines', 'engines');
    const bureau = await createOrg(server, admin.token, 'Bureau', 'bureau');
    const invitationToken = await inviteAndReadToken(server, admin.token, bureau, 'ada@example.com', 'member');
    // An admin acts on her account from their own address: the row is hers, the address is not.
    const ban = await server.gql(
      `mutation($id: ID!, $until: DateTime!) { banUser(input: { id: $id, reason: "Cooling off", until: $until }) { __typename } }`,
      { id: ada.userId, until: new Date(server.clock.now().getTime() + 60 * MINUTE).toISOString() },
      { token: admin.token },
    );
    assert.equal(ban.body.data.banUser.__typename, 'User', JSON.stringify(ban.body));
    await server.gql(`mutation($id: ID!) { unbanUser(input: { id: $id }) { __typename } }`, { id: ada.userId }, { token: admin.token });
    const session = await login(server, 'ada@example.com');

    const res = await server.gql(EXPORT, {}, { token: session.token });
    const result = res.body.data.exportMyData;
    assert.equal(result.__typename, 'MyDataExport', JSON.stringify(res.body));
    assert.equal(result.filename, `gatehouse-data-${server.clock.now().toISOString().slice(0, 10)}.json`);
    const data = JSON.parse(result.json);
    assert.equal(data.format, 'gatehouse.my-data.v1');
    assert.equal(data.account.id, ada.userId);
    assert.equal(data.account.email, 'ada@example.com');
    assert.equal(data.account.displayName, 'Ada L.');
    assert.equal(data.account.bio, 'Engines');
    assert.deepEqual(data.account.roles, ['user']);
    assert.equal(data.account.bannedUntil, null, 'the ban was lifted');
    assert.deepEqual(data.secondFactors, { totpEnabled: false, recoveryCodesRemaining: 0 });
    assert.deepEqual(data.passkeys, []);
    assert.deepEqual(data.linkedAccounts, []);
    assert.deepEqual(
      data.organizations.map((o: any) => [o.id, o.name, o.slug, o.role]),
      [[engines, 'Analytical Engines', 'engines', 'owner']],
    );
    assert.deepEqual(
      data.organizationInvitations.map((i: any) => [i.organization.id, i.organization.name, i.email, i.role, i.acceptedAt, i.revokedAt]),
      [[bureau, 'Bureau', 'ada@example.com', 'member', null, null]],
    );
    assert.equal(data.sessions.length, 1, 'the ban ended the earlier sessions; the one after it is listed');
    assert.equal(data.accessTokens.length, 1);
    assert.equal(data.accessTokens[0].name, 'laptop');
    assert.equal(data.accessTokens[0].lastFour, accessToken.slice(-4));

    const actions = data.auditEvents.map((e: any) => e.action);
    for (const action of ['token.create', 'auth.login', 'user.ban', 'user.unban']) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    }
    const banRow = data.auditEvents.find((e: any) => e.action === 'user.ban');
    assert.equal(banRow.actorEmail, 'admin@example.com');
    assert.equal(banRow.ip, null, "the admin's address is not hers to see");
    const ownLogin = data.auditEvents.find((e: any) => e.action === 'auth.login');
    assert.equal(typeof ownLogin.ip, 'string');

    // No secret: not the session or access tokens, not the password hash.
    const stored = await server.gatehouse.services.orm.em.fork().findOneOrFail(User, { id: ada.userId }, { populate: ['passwordHash'] });
    for (const secret of [session.token, phone.token, accessToken, stored.passwordHash!, invitationToken]) assert.ok(!result.json.includes(secret));
    assert.doesNotMatch(result.json, /\$argon2|tokenHash|token_hash|secret/i);

    const audited = await server.gatehouse.services.orm.em.fork().find(AuditEvent, { action: 'account.export_data', targetId: ada.userId });
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.actorId, ada.userId);
  });

  test('a stale session steps up first; anonymous requests and impersonation sessions cannot export', async () => {
    const bo = await createConfirmedUser(server, 'bo@example.com');
    assert.deepEqual(errorCodes(await server.gql(EXPORT)), ['UNAUTHENTICATED']);
    server.clock.advance(11 * MINUTE);
    assert.deepEqual(errorCodes(await server.gql(EXPORT, {}, { token: bo.token })), ['REAUTHENTICATION_REQUIRED']);
    const step = await server.gql(`mutation { reauthenticate(input: { password: "${STRONG_PASSWORD}" }) { __typename } }`, {}, { token: bo.token });
    assert.equal(step.body.data.reauthenticate.__typename, 'Reauthenticated');
    assert.equal((await server.gql(EXPORT, {}, { token: bo.token })).body.data.exportMyData.__typename, 'MyDataExport');

    admin = { ...admin, token: (await login(server, 'admin@example.com')).token };
    const started = await server.gql(
      `mutation($id: ID!) { impersonateUser(input: { id: $id, reason: "support" }) { ... on ImpersonationSession { token } } }`,
      { id: bo.userId },
      { token: admin.token },
    );
    const token = started.body.data.impersonateUser.token;
    assert.deepEqual(errorCodes(await server.gql(EXPORT, {}, { token })), ['IMPERSONATION_RESTRICTED']);
    const audited = await server.gatehouse.services.orm.em.fork().count(AuditEvent, { action: 'account.export_data', targetId: bo.userId });
    assert.equal(audited, 1, 'only the allowed export is recorded');
  });
});
