// `gatehouse organization …` run as a subprocess against the database of a running server (an
// SQLite file both share): list, members, an operator's ownership transfer (e.g. the owner left)
// and delete, each audited with the command line as actor; bad input fails clearly and changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runGatehouse } from '../helpers/cli.ts';
import { createConfirmedUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { Organization } from '../../src/organizations/entities.ts';
import { addMemberByInvitation, createOrg, dataOf, organizationSnapshot, VIEWER_ORGS } from './org-helpers.ts';

describe('gatehouse organization', () => {
  let server: TestServer;
  let database: string;
  let owner: { token: string; userId: string };
  let member: { token: string; userId: string };
  let orgId: string;
  const gatehouse = (args: string[]) => runGatehouse(['organization', ...args], { cwd: server.dir, databasePath: database, keepSqlite: true });
  const audited = (action: string) => server.gatehouse.services.orm.em.fork().find(AuditEvent, { action, organizationId: orgId });
  const rolesOf = async (token: string) => dataOf(await server.gql(VIEWER_ORGS, {}, { token })).viewer.organizations.map((o: any) => [o.id, o.viewerRole.name]);

  before(async () => {
    server = await startTestServer({}, {}, { keepSqlite: true });
    database = join(server.dir, 'gatehouse.db');
    owner = await createConfirmedUser(server, 'cli.owner@example.com');
    member = await createConfirmedUser(server, 'cli.member@example.com');
    orgId = await createOrg(server, owner.token, 'CLI Co', 'cli-co');
    await addMemberByInvitation(server, owner.token, orgId, { token: member.token, email: 'cli.member@example.com' });
    await createOrg(server, owner.token, 'Other Co', 'other-co');
  });
  after(() => server.close());

  test('list and members show organizations, owners and roles (text and --json)', async () => {
    const list = await gatehouse(['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^cli-co {2}CLI Co {2}owner cli\.owner@example\.com {2}2 members$/m);
    assert.match(list.stdout, /^other-co {2}Other Co {2}owner cli\.owner@example\.com {2}1 member$/m);

    const searched = await gatehouse(['list', '--search', 'other', '--json']);
    assert.equal(searched.code, 0, searched.stderr);
    const [only, ...rest] = JSON.parse(searched.stdout);
    assert.deepEqual(rest, []);
    assert.deepEqual([only.slug, only.name, only.owner, only.members], ['other-co', 'Other Co', 'cli.owner@example.com', 1]);

    const members = await gatehouse(['members', 'CLI-Co', '--json']);
    assert.equal(members.code, 0, members.stderr);
    assert.deepEqual(
      JSON.parse(members.stdout).map((m: any) => [m.email, m.role, m.userId]),
      [['cli.owner@example.com', 'owner', owner.userId], ['cli.member@example.com', 'member', member.userId]],
    );
  });

  test('transfer makes a member the owner (the owner becomes an admin), audited as the command line', async () => {
    const moved = await gatehouse(['transfer', 'cli-co', 'cli.member@example.com']);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, /cli\.member@example\.com now owns cli-co/);
    assert.deepEqual(await rolesOf(member.token), [[orgId, 'owner']]);
    assert.deepEqual((await rolesOf(owner.token)).find(([id]: [string]) => id === orgId), [orgId, 'admin']);
    const [row] = await audited('organization.transfer_ownership');
    assert.equal(row?.actorType, 'cli');
    assert.deepEqual([row?.details?.fromUserId, row?.details?.toUserId], [owner.userId, member.userId]);
  });

  test('bad input fails with a clear message and changes nothing', async () => {
    const stranger = await createConfirmedUser(server, 'cli.stranger@example.com');
    const before = await organizationSnapshot(server);
    const cases: Array<[string[], number, RegExp]> = [
      [['members', 'no-such-org'], 1, /No organization with the slug "no-such-org"/],
      [['transfer', 'cli-co', 'nobody@example.com'], 1, /No account with the email nobody@example\.com/],
      [['transfer', 'cli-co', 'cli.stranger@example.com'], 1, /Only a member of the organization can become its owner/],
      [['transfer', 'cli-co', 'cli.member@example.com'], 1, /This member is the owner already/],
      [['transfer', 'cli-co'], 2, /Usage/],
      [['delete', 'no-such-org'], 1, /No organization with the slug/],
      [['list', '--colour'], 2, /Unknown option '--colour'/],
      [['rename', 'cli-co'], 2, /Unknown organization command "rename"/],
    ];
    for (const [args, code, message] of cases) {
      const run = await gatehouse(args);
      assert.equal(run.code, code, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
    }
    assert.deepEqual(await organizationSnapshot(server), before);
    assert.deepEqual(await rolesOf(stranger.token), []);
  });

  test('delete removes it with its memberships, audited as the command line', async () => {
    const deleted = await gatehouse(['delete', 'cli-co']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /Deleted cli-co \(CLI Co\)/);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(Organization, { id: orgId }), 0);
    assert.deepEqual(await rolesOf(member.token), []);
    const [row] = await audited('organization.delete');
    assert.equal(row?.actorType, 'cli');
    assert.equal(row?.details?.members, 2);
  });
});
