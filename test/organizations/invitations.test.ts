// Invitations end to end through the real SMTP server: the emailed link's token (stored hashed) lets
// the invited address join once, by signing up or signing in first; a wrong account, a used,
// revoked, replaced or expired link are refused with their own code and change nothing; inviting
// says nothing about whether the address has an account; sending is throttled per inviter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { OrganizationInvitation } from '../../src/organizations/entities.ts';
import { hashToken } from '../../src/util/secrets.ts';
import { ACCEPT, createOrg, dataOf, INVITE, inviteAndReadToken, MEMBERS, organizationSnapshot, REVOKE_INVITATION } from './org-helpers.ts';

const INVITATIONS = `query($id: ID!) { organization(id: $id) { invitations { id email role invitedByEmail expiresAt } } }`;

describe('organization invitations', () => {
  let server: TestServer;
  let owner: { token: string; userId: string };
  let orgId: string;

  before(async () => {
    // Sessions outlive the week the expiry test moves the clock by.
    server = await startTestServer({ INVITATIONS_PER_HOUR: '12', SESSION_TTL: '365d', SESSION_IDLE_TTL: '365d' });
    owner = await createConfirmedUser(server, 'owner@invite.test');
    orgId = await createOrg(server, owner.token, 'Invite Co', 'invite-co');
  });
  after(() => server.close());

  test('a new person signs up with the invited address, then accepts; the link works once', async () => {
    const token = await inviteAndReadToken(server, owner.token, orgId, 'New.Person@Invite.test', 'admin');
    // Only the hash is stored.
    const em = server.gatehouse.services.orm.em.fork();
    const stored = await em.findOneOrFail(OrganizationInvitation, { emailKey: 'new.person@invite.test' });
    assert.equal(stored.tokenHash, hashToken(token));
    assert.notEqual(stored.tokenHash, token);
    const person = await createConfirmedUser(server, 'new.person@invite.test');
    const accepted = dataOf(await server.gql(ACCEPT, { token }, { token: person.token })).acceptInvitation;
    assert.deepEqual([accepted.userId, accepted.roleName], [person.userId, 'admin']);
    const again = dataOf(await server.gql(ACCEPT, { token }, { token: person.token })).acceptInvitation;
    assert.equal(again.code, 'INVALID_TOKEN');
    const members = dataOf(await server.gql(MEMBERS, { id: orgId }, { token: person.token })).organization;
    assert.equal(members.memberCount, 2);
  });

  test('inviting answers and mails the same whether or not the address has an account', async () => {
    await createConfirmedUser(server, 'existing@invite.test');
    server.mail.take();
    const answers = [];
    for (const email of ['existing@invite.test', 'nobody@invite.test']) {
      const res = await server.gql(INVITE, { id: orgId, email }, { token: owner.token });
      const sent = dataOf(res).inviteToOrganization;
      answers.push({ typename: sent.__typename, role: sent.role, keys: Object.keys(sent).sort(), status: res.status });
    }
    assert.deepEqual(answers[0], answers[1]);
    const mails = await Promise.all(['existing@invite.test', 'nobody@invite.test'].map((to) => server.mail.waitFor(to, /invited to join/)));
    const shape = (text: string, to: string) => text.replaceAll(to, '<to>').replace(/token=[^\s]+/, 'token=<t>');
    assert.equal(shape(mails[0]!.text, 'existing@invite.test'), shape(mails[1]!.text, 'nobody@invite.test'));
    assert.equal(mails[0]!.subject, mails[1]!.subject);
  });

  test('another account cannot use the link (INVITATION_EMAIL_MISMATCH), and it still works for the right one', async () => {
    const token = await inviteAndReadToken(server, owner.token, orgId, 'right@invite.test');
    const wrong = await createConfirmedUser(server, 'wrong@invite.test');
    const before = await organizationSnapshot(server);
    assert.equal(dataOf(await server.gql(ACCEPT, { token }, { token: wrong.token })).acceptInvitation.code, 'INVITATION_EMAIL_MISMATCH');
    assert.deepEqual(await organizationSnapshot(server), before);
    const right = await createConfirmedUser(server, 'right@invite.test');
    assert.equal(dataOf(await server.gql(ACCEPT, { token }, { token: right.token })).acceptInvitation.roleName, 'member');
  });

  test('a revoked, replaced, expired or made-up link is refused with its code; anonymous callers are UNAUTHENTICATED', async () => {
    const person = await createConfirmedUser(server, 'late@invite.test');
    const revoked = await inviteAndReadToken(server, owner.token, orgId, 'late@invite.test');
    const revocation = dataOf(await server.gql(REVOKE_INVITATION, { id: orgId, email: 'LATE@invite.test' }, { token: owner.token })).revokeInvitation;
    assert.deepEqual([revocation.email, revocation.count], ['LATE@invite.test', 1]);
    const replaced = await inviteAndReadToken(server, owner.token, orgId, 'late@invite.test');
    const current = await inviteAndReadToken(server, owner.token, orgId, 'late@invite.test');
    for (const token of [revoked, replaced, 'x'.repeat(43), 'short']) {
      const before = await organizationSnapshot(server);
      assert.equal(dataOf(await server.gql(ACCEPT, { token }, { token: person.token })).acceptInvitation.code, 'INVALID_TOKEN', token);
      assert.deepEqual(await organizationSnapshot(server), before);
    }
    assert.deepEqual(errorCodes(await server.gql(ACCEPT, { token: current })), ['UNAUTHENTICATED']);
    server.clock.advance(7 * 24 * 3600_000 + 1000);
    const before = await organizationSnapshot(server);
    assert.equal(dataOf(await server.gql(ACCEPT, { token: current }, { token: person.token })).acceptInvitation.code, 'TOKEN_EXPIRED');
    assert.deepEqual(await organizationSnapshot(server), before);
    const pending = dataOf(await server.gql(INVITATIONS, { id: orgId }, { token: owner.token })).organization.invitations;
    assert.ok(!pending.some((i: any) => i.email === 'late@invite.test'), 'expired invitations are not pending');
  });

  test('bad input: an invalid address, the owner role or an unknown role are precise errors that send nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ email: 'not-an-email' }, 'email'],
      [{ email: 'ok@invite.test', role: 'owner' }, 'role'],
      [{ email: 'ok@invite.test', role: 'wizard' }, 'role'],
    ];
    for (const [input, field] of cases) {
      server.mail.take();
      const before = await organizationSnapshot(server);
      const result = dataOf(await server.gql(INVITE, { id: orgId, ...input }, { token: owner.token })).inviteToOrganization;
      assert.deepEqual([result.code, result.fields.map((f: any) => f.field)], ['VALIDATION_FAILED', [field]]);
      assert.deepEqual(await organizationSnapshot(server), before);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(server.mail.take(), []);
    }
    const revoke = dataOf(await server.gql(REVOKE_INVITATION, { id: orgId, email: 'nope' }, { token: owner.token })).revokeInvitation;
    assert.equal(revoke.code, 'VALIDATION_FAILED');
  });

  test('only holders of invitations:write invite; a member cannot, and a member cannot read pending invitations', async () => {
    const member = await createConfirmedUser(server, 'plain.member@invite.test');
    const token = await inviteAndReadToken(server, owner.token, orgId, 'plain.member@invite.test');
    dataOf(await server.gql(ACCEPT, { token }, { token: member.token }));
    const before = await organizationSnapshot(server);
    assert.deepEqual(errorCodes(await server.gql(INVITE, { id: orgId, email: 'friend@invite.test' }, { token: member.token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(REVOKE_INVITATION, { id: orgId, email: 'late@invite.test' }, { token: member.token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(INVITATIONS, { id: orgId }, { token: member.token })), ['FORBIDDEN']);
    assert.deepEqual(await organizationSnapshot(server), before);
    const pending = dataOf(await server.gql(INVITATIONS, { id: orgId }, { token: owner.token })).organization.invitations;
    assert.ok(pending.every((i: any) => i.invitedByEmail === 'owner@invite.test'));
  });

  test('sending is throttled per inviter (INVITATIONS_PER_HOUR), with nothing sent past it', async () => {
    const inLastHour = () =>
      server.gatehouse.services.orm.em
        .fork()
        .count(OrganizationInvitation, { invitedBy: owner.userId, createdAt: { $gt: new Date(server.clock.now().getTime() - 3600_000) } });
    let limited = null;
    for (let i = await inLastHour(); i < 20; i++) {
      const res = await server.gql(INVITE, { id: orgId, email: `bulk${i}@invite.test` }, { token: owner.token });
      if (errorCodes(res).length) {
        limited = { i, res };
        break;
      }
    }
    assert.ok(limited, 'the limit was reached');
    assert.equal(limited.i, 12);
    assert.deepEqual(errorCodes(limited.res), ['RATE_LIMITED']);
    assert.ok((limited.res.body.errors![0]!.extensions!.retryAfter as number) > 0);
    assert.equal(await inLastHour(), 12);
    // An hour later the budget is back.
    server.clock.advance(3600_000 + 1);
    assert.equal(dataOf(await server.gql(INVITE, { id: orgId, email: 'after.hour@invite.test' }, { token: owner.token })).inviteToOrganization.__typename, 'SentInvitation');
  });
});

describe('organization invitations: deployer-declared roles', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, {
      organizations: {
        permissions: [{ name: 'billing:manage', description: 'Change the plan.' }],
        roles: [{ name: 'billing', description: 'Pays the bills.', permissions: ['billing:manage', 'members:read'] }],
      },
    });
  });
  after(() => server.close());

  test('a declared role is listed, grantable by the owner, and not by an admin who lacks its permission', async () => {
    const roles = dataOf(await server.gql(`{ organizationRoles { name permissions builtIn } }`, {}, { token: (await createConfirmedUser(server, 'reader@declared.test')).token })).organizationRoles;
    assert.deepEqual(roles.map((r: any) => [r.name, r.builtIn]), [['owner', true], ['admin', true], ['member', true], ['billing', false]]);
    assert.ok(roles[0].permissions.includes('billing:manage'), 'the owner holds declared permissions too');
    const owner = await createConfirmedUser(server, 'owner@declared.test');
    const orgId = await createOrg(server, owner.token, 'Declared', 'declared');
    const admin = await createConfirmedUser(server, 'admin@declared.test');
    dataOf(await server.gql(ACCEPT, { token: await inviteAndReadToken(server, owner.token, orgId, 'admin@declared.test', 'admin') }, { token: admin.token }));
    const before = await organizationSnapshot(server);
    const refused = await server.gql(INVITE, { id: orgId, email: 'payer@declared.test', role: 'billing' }, { token: admin.token });
    assert.deepEqual(errorCodes(refused), ['FORBIDDEN']);
    assert.deepEqual(await organizationSnapshot(server), before);
    const payer = await createConfirmedUser(server, 'payer@declared.test', STRONG_PASSWORD);
    const token = await inviteAndReadToken(server, owner.token, orgId, 'payer@declared.test', 'billing');
    assert.equal(dataOf(await server.gql(ACCEPT, { token }, { token: payer.token })).acceptInvitation.roleName, 'billing');
    const org = dataOf(await server.gql(`query($id: ID!) { organization(id: $id) { viewerPermissions } }`, { id: orgId }, { token: payer.token })).organization;
    assert.deepEqual(org.viewerPermissions, ['billing:manage', 'members:read']);
  });
});
