// `gatehouse maintenance on | off | status` as an operator runs it: a subprocess against a
// temporary database, exit codes, output, the audit trail, and the state a server then starts with.
import { testDatabaseEnvFor } from '../helpers/backends.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runGatehouse } from '../helpers/cli.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { closeServices, openServices } from '../../src/services.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { startTestServer } from '../helpers/server.ts';
import { BLOCKED_QUERY, MAINTENANCE } from './maintenance-helpers.ts';



describe('gatehouse maintenance', () => {
  let dir: string;
  let database: string;

  const gatehouse = (args: string[]) => runGatehouse(args, { cwd: dir, databasePath: database });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-maintenance-cli-'));
    database = join(dir, 'cli.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('status on a fresh database: off (text and JSON)', async () => {
    const text = await gatehouse(['maintenance', 'status']);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, 'Maintenance mode is off.\n');
    const json = await gatehouse(['maintenance', 'status', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { enabled: false, message: null, endsAt: null, updatedAt: null, updatedBy: null });
  });

  test('on with a message and an end time, then status shows them; audited as the command line', async () => {
    const on = await gatehouse(['maintenance', 'on', '--message', 'Moving to a new disk', '--ends-at', '2099-01-31T18:00:00Z']);
    assert.equal(on.code, 0, on.stderr);
    assert.equal(
      on.stdout,
      'Maintenance mode is on: only admins can use the API.\nMessage:  Moving to a new disk\nEnds at:  2099-01-31T18:00:00.000Z\n',
    );
    const status = await gatehouse(['maintenance', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /^Maintenance mode is on\.\nMessage: {2}Moving to a new disk\nEnds at: {2}2099-01-31T18:00:00\.000Z\nChanged: {2}\d{4}-\d\d-\d\dT[\d:.]+Z by the command line\n$/,
    );
    const json = JSON.parse((await gatehouse(['maintenance', 'status', '--json'])).stdout);
    assert.deepEqual({ ...json, updatedAt: typeof json.updatedAt }, {
      enabled: true,
      message: 'Moving to a new disk',
      endsAt: '2099-01-31T18:00:00.000Z',
      updatedAt: 'string',
      updatedBy: null,
    });

    const services = await openServices(loadConfig({ LOG_LEVEL: 'silent', ...(await testDatabaseEnvFor(database)) }));
    try {
      const events = await services.orm.em.fork().find(AuditEvent, { action: { $in: ['maintenance.on', 'maintenance.off'] } });
      assert.deepEqual(
        events.map((e) => [e.action, e.actorType, e.details]),
        [['maintenance.on', 'cli', { message: 'Moving to a new disk', endsAt: '2099-01-31T18:00:00.000Z' }]],
      );
    } finally {
      await closeServices(services);
    }
  });

  test('a server started on the database honours what the command line set', async () => {
    const server = await startTestServer({ DATABASE_URL: database });
    try {
      assert.equal((await server.gql(MAINTENANCE)).body.data.maintenance.message, 'Moving to a new disk');
      assert.deepEqual((await server.gql(BLOCKED_QUERY)).body.errors?.map((e) => e.extensions?.code), ['MAINTENANCE_MODE']);
    } finally {
      await server.close();
    }
  });

  test('off clears the message; status says off', async () => {
    const off = await gatehouse(['maintenance', 'off']);
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.stdout, 'Maintenance mode is off.\n');
    const status = await gatehouse(['maintenance', 'status']);
    assert.match(status.stdout, /^Maintenance mode is off\.\nChanged: .* by the command line\n$/);
  });

  test('wrong usage exits 2; invalid values exit 1 and change nothing', async () => {
    for (const args of [[], ['sideways'], ['on', 'now'], ['on', '--ends-at', 'tomorrow'], ['status', '--verbose'], ['off', '--message', 'x']]) {
      const run = await gatehouse(['maintenance', ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /Usage: gatehouse/);
    }
    const past = await gatehouse(['maintenance', 'on', '--ends-at', '2001-01-01T00:00:00Z']);
    assert.equal(past.code, 1);
    assert.equal(past.stderr, 'endsAt: Must be in the future.\n');
    const long = await gatehouse(['maintenance', 'on', '--message', 'x'.repeat(501)]);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /^message: At most 500 characters\.\n$/);
    assert.equal(JSON.parse((await gatehouse(['maintenance', 'status', '--json'])).stdout).enabled, false);
  });

  test('help lists the maintenance commands', async () => {
    const help = await gatehouse(['help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /maintenance on \[--message <text>\] \[--ends-at <ISO time>\]/);
    assert.match(help.stdout, /maintenance status \[--json\]/);
  });
});
