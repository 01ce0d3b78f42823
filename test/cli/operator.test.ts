// The operator command line, run as a subprocess against a temporary database, the way an
// operator (or a deployment script) runs it.
import { testDatabaseEnvFor } from '../helpers/backends.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runGatehouse } from '../helpers/cli.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { openServices, closeServices } from '../../src/services.ts';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { STRONG_PASSWORD } from '../helpers/server.ts';



describe('gatehouse operator commands', () => {
  let dir: string;
  let database: string;

  const gatehouse = (args: string[], stdin = '') => runGatehouse(args, { cwd: dir, databasePath: database, stdin });

  /** Reads the database the commands wrote, through the same services the server uses. */
  async function inspect<T>(read: (em: Awaited<ReturnType<typeof openServices>>['orm']['em']) => Promise<T>): Promise<T> {
    const services = await openServices(loadConfig({ LOG_LEVEL: 'silent', ...(await testDatabaseEnvFor(database)) }));
    try {
      return await read(services.orm.em.fork());
    } finally {
      await closeServices(services);
    }
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    database = join(dir, 'cli.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('user add reads the password from stdin, never from arguments, and is audited as the command line', async () => {
    const run = await gatehouse(['user', 'add', 'Ops.Admin@Example.com', '--role', 'admin', '--confirmed'], `${STRONG_PASSWORD}\n`);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Created Ops\.Admin@example\.com \([0-9a-f-]{36}\)\.\n$/);
    const user = await inspect((em) => em.findOneOrFail(User, { emailKey: 'ops.admin@example.com' }, { populate: ['roles', 'passwordHash'] }));
    assert.deepEqual(user.roles.getItems().map((r) => r.name).sort(), ['admin', 'user']);
    assert.ok(user.emailConfirmedAt);
    assert.ok(await verifyPassword(user.passwordHash, STRONG_PASSWORD));
    const events = await inspect((em) => em.find(AuditEvent, { targetId: user.id }, { orderBy: { id: 'asc' } }));
    assert.ok(events.some((e) => e.action === 'user.create' && e.actorType === 'cli'));
    assert.ok(!JSON.stringify(events).includes(STRONG_PASSWORD));
  });

  test('the password policy and email rules apply to the command line too (exit 1, nothing created)', async () => {
    const weak = await gatehouse(['user', 'add', 'weak@example.com'], 'password\n');
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /^password: /m);
    const badEmail = await gatehouse(['user', 'add', 'not-an-email'], `${STRONG_PASSWORD}\n`);
    assert.equal(badEmail.code, 1);
    assert.match(badEmail.stderr, /^email: /m);
    const noPassword = await gatehouse(['user', 'add', 'nopassword@example.com'], '');
    assert.equal(noPassword.code, 1);
    assert.match(noPassword.stderr, /expected a line on standard input/);
    const taken = await gatehouse(['user', 'add', 'ops.admin@example.com'], `${STRONG_PASSWORD}\n`);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already exists/);
    assert.equal(await inspect((em) => em.count(User, {})), 1);
  });

  test('user list prints a table, filters, and emits JSON', async () => {
    assert.equal((await gatehouse(['user', 'add', 'plain@example.com'], `${STRONG_PASSWORD}\n`)).code, 0);
    const table = await gatehouse(['user', 'list']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^EMAIL\s+STATUS\s+ROLES\s+CREATED\s+ID$/);
    assert.equal(lines.length, 3);
    const json = await gatehouse(['user', 'list', '--json', '--role', 'admin']);
    const rows = JSON.parse(json.stdout) as Array<{ email: string; status: string; roles: string[] }>;
    assert.deepEqual(rows.map((r) => [r.email, r.status, r.roles]), [['Ops.Admin@example.com', 'active', ['admin', 'user']]]);
    const unconfirmed = JSON.parse((await gatehouse(['user', 'list', '--json', '--status', 'unconfirmed'])).stdout) as Array<{ email: string }>;
    assert.deepEqual(unconfirmed.map((r) => r.email), ['plain@example.com']);
    const bad = await gatehouse(['user', 'list', '--status', 'sleeping']);
    assert.equal(bad.code, 2);
  });

  test('disable, enable, set-password and delete act on the account by email', async () => {
    const disable = await gatehouse(['user', 'disable', 'plain@example.com']);
    assert.equal(disable.code, 0, disable.stderr);
    assert.equal((await inspect((em) => em.findOneOrFail(User, { emailKey: 'plain@example.com' }))).disabled, true);
    assert.equal((await gatehouse(['user', 'enable', 'plain@example.com'])).code, 0);
    assert.equal((await inspect((em) => em.findOneOrFail(User, { emailKey: 'plain@example.com' }))).disabled, false);

    const newPassword = 'purple zebras negotiate tax law';
    const set = await gatehouse(['user', 'set-password', 'plain@example.com'], `${newPassword}\n`);
    assert.equal(set.code, 0, set.stderr);
    const hash = (await inspect((em) => em.findOneOrFail(User, { emailKey: 'plain@example.com' }, { populate: ['passwordHash'] }))).passwordHash;
    assert.ok(await verifyPassword(hash, newPassword));

    const missing = await gatehouse(['user', 'delete', 'nobody@example.com']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No account with the email nobody@example\.com/);
    assert.equal((await gatehouse(['user', 'delete', 'plain@example.com'])).code, 0);
    assert.equal(await inspect((em) => em.count(User, { emailKey: 'plain@example.com' })), 0);
  });

  test('the last active admin cannot be disabled or deleted', async () => {
    const disable = await gatehouse(['user', 'disable', 'ops.admin@example.com']);
    assert.equal(disable.code, 1);
    assert.match(disable.stderr, /no active administrator/);
    const remove = await gatehouse(['user', 'delete', 'ops.admin@example.com']);
    assert.equal(remove.code, 1);
    assert.equal((await inspect((em) => em.findOneOrFail(User, { emailKey: 'ops.admin@example.com' }))).disabled, false);
  });

  test('admin ensure creates a missing admin, promotes an existing account and leaves its password alone', async () => {
    const created = await gatehouse(['admin', 'ensure', 'second.admin@example.com'], `${STRONG_PASSWORD}\n`);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created the admin second.admin@example.com.\n');
    assert.equal((await gatehouse(['user', 'add', 'promote@example.com'], `${STRONG_PASSWORD}\n`)).code, 0);
    // No password is read for an existing account: stdin stays unused.
    const promoted = await gatehouse(['admin', 'ensure', 'promote@example.com'], 'ignored line\n');
    assert.equal(promoted.stdout, 'promote@example.com is now an admin.\n');
    const again = await gatehouse(['admin', 'ensure', 'promote@example.com']);
    assert.equal(again.stdout, 'promote@example.com is already an admin.\n');
    const user = await inspect((em) => em.findOneOrFail(User, { emailKey: 'promote@example.com' }, { populate: ['roles', 'passwordHash'] }));
    assert.ok(user.roles.getItems().some((r) => r.name === 'admin'));
    assert.ok(await verifyPassword(user.passwordHash, STRONG_PASSWORD));
  });

  test('role list, add and delete; built-in roles are protected', async () => {
    const add = await gatehouse(['role', 'add', 'auditors', '--description', 'Read the audit log', '--permission', 'audit:read']);
    assert.equal(add.code, 0, add.stderr);
    const list = JSON.parse((await gatehouse(['role', 'list', '--json'])).stdout) as Array<{ name: string; permissions: string[]; builtIn: boolean }>;
    assert.deepEqual(
      list.map((r) => [r.name, r.permissions, r.builtIn]),
      [['admin', ['*'], true], ['auditors', ['audit:read'], false], ['user', [], true]],
    );
    const unknownPermission = await gatehouse(['role', 'add', 'broken', '--permission', 'no:such']);
    assert.equal(unknownPermission.code, 1);
    const builtIn = await gatehouse(['role', 'delete', 'admin']);
    assert.equal(builtIn.code, 1);
    assert.match(builtIn.stderr, /built in/);
    assert.equal((await gatehouse(['role', 'delete', 'auditors'])).code, 0);
    const missing = await gatehouse(['role', 'delete', 'auditors']);
    assert.equal(missing.code, 1);
  });

  test('usage errors exit 2 with the usage text; help exits 0', async () => {
    for (const args of [['user'], ['user', 'frob'], ['user', 'add'], ['user', 'add', 'a@example.com', '--bogus'], ['role', 'add'], ['nope'], ['schema', 'frob']]) {
      const run = await gatehouse(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /Usage: gatehouse <command>/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
    const help = await gatehouse(['help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /user add <email>/);
    assert.match(help.stdout, /role list/);
  });
});
