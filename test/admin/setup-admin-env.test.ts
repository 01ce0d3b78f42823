// ADMIN_EMAIL / ADMIN_PASSWORD at start: create a confirmed admin, or give an existing account the
// admin role without touching its password; weak or missing passwords stop the start. Plus the
// configuration checks of the setup and audit variables.
import { testDatabaseEnvFor } from '../helpers/backends.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createGatehouse } from '../../src/server.ts';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { captureLogs, rolesOfEmail as rolesOf, WARN } from './setup-helpers.ts';

const ensureEvents = (server: TestServer) =>
  server.gatehouse.services.orm.em.fork().find(AuditEvent, { action: 'setup.ensure_admin' }, { orderBy: { id: 'asc' } });

/** Starts Gatehouse on `databasePath` without the test harness (for starts that must fail). */
async function startRefused(databasePath: string, env: Record<string, string>): Promise<ConfigError> {
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', ...env, ...(await testDatabaseEnvFor(databasePath)) });
  let caught: unknown;
  try {
    const gatehouse = await createGatehouse(config);
    await gatehouse.close();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `the start was not refused with a ConfigError: ${caught}`);
  return caught;
}

describe('ADMIN_EMAIL / ADMIN_PASSWORD on a fresh database', () => {
  let server: TestServer;
  let logs: ReturnType<typeof captureLogs>;

  before(async () => {
    logs = captureLogs();
    server = await startTestServer({ ADMIN_EMAIL: 'Boss@Example.COM', ADMIN_PASSWORD: STRONG_PASSWORD }, { logger: logs.logger });
  });
  after(() => server.close());

  test('creates a confirmed admin that can sign in; setup is no longer needed', async () => {
    assert.deepEqual(await rolesOf(server, 'Boss@example.com'), ['admin', 'user']);
    await login(server, 'boss@example.com');
    const status = await server.gql(`{ setupStatus { needsSetup } }`);
    assert.equal(status.body.data.setupStatus.needsSetup, false);
    assert.equal(logs.lines.filter((l) => /First-run setup pending/.test(l.msg)).length, 0);
  });

  test('the creation is audited with the system as actor, without the password', async () => {
    const events = await ensureEvents(server);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event!.actorType, 'system');
    assert.equal(event!.actorId, null);
    assert.equal(event!.targetType, 'user');
    assert.deepEqual(event!.details, { email: 'Boss@example.com', created: true });
    assert.ok(!JSON.stringify(event).includes(STRONG_PASSWORD));
  });

  test('the password never reaches the log', () => {
    assert.ok(!JSON.stringify(logs.lines).includes(STRONG_PASSWORD));
    assert.ok(logs.lines.some((l) => /created the admin account Boss@example.com/.test(l.msg)));
  });
});

describe('ADMIN_EMAIL for an existing account', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-env-'));
  const databasePath = join(dir, 'gatehouse.db');
  const email = 'existing@example.com';
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('adds the admin role and keeps the password; ADMIN_PASSWORD is ignored with a warning', async () => {
    const first = await startTestServer({ DATABASE_URL: databasePath });
    await createConfirmedUser(first, email);
    assert.deepEqual(await rolesOf(first, email), ['user']);
    await first.close();

    const logs = captureLogs();
    const otherPassword = 'a different but equally strong passphrase';
    const second = await startTestServer({ DATABASE_URL: databasePath, ADMIN_EMAIL: email, ADMIN_PASSWORD: otherPassword }, { logger: logs.logger });
    try {
      assert.deepEqual(await rolesOf(second, email), ['admin', 'user']);
      await login(second, email, STRONG_PASSWORD);
      await assert.rejects(login(second, email, otherPassword), /INVALID_CREDENTIALS/);
      const warning = logs.lines.find((l) => /ADMIN_PASSWORD was ignored/.test(l.msg));
      assert.ok(warning, 'no warning that ADMIN_PASSWORD was ignored');
      assert.equal(warning.level, WARN);
      const events = await ensureEvents(second);
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]!.details, { email, created: false });
      assert.equal(events[0]!.actorType, 'system');
    } finally {
      await second.close();
    }

    // Already an admin: a restart changes nothing and records nothing. ADMIN_PASSWORD is not needed.
    const third = await startTestServer({ DATABASE_URL: databasePath, ADMIN_EMAIL: email });
    try {
      assert.deepEqual(await rolesOf(third, email), ['admin', 'user']);
      assert.equal((await ensureEvents(third)).length, 1);
      await login(third, email, STRONG_PASSWORD);
    } finally {
      await third.close();
    }
  });
});

describe('ADMIN_EMAIL refusals at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-refused-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a weak ADMIN_PASSWORD stops the start, naming the variable; nothing is created', async () => {
    const databasePath = join(dir, 'weak.db');
    const error = await startRefused(databasePath, { ADMIN_EMAIL: 'weak@example.com', ADMIN_PASSWORD: 'password123' });
    assert.match(error.message, /ADMIN_PASSWORD: /);
    assert.ok(!error.message.includes('password123'), 'the message repeats the password');
    // The database was closed and holds no user: a corrected start succeeds.
    const server = await startTestServer({ DATABASE_URL: databasePath, ADMIN_EMAIL: 'weak@example.com', ADMIN_PASSWORD: STRONG_PASSWORD });
    try {
      assert.equal(await server.gatehouse.services.orm.em.fork().count(User, {}), 1);
    } finally {
      await server.close();
    }
  });

  test('ADMIN_EMAIL without ADMIN_PASSWORD stops the start when the account does not exist', async () => {
    const error = await startRefused(join(dir, 'nopass.db'), { ADMIN_EMAIL: 'nopass@example.com' });
    assert.match(error.message, /ADMIN_PASSWORD: /);
  });
});

describe('setup and audit configuration', () => {
  const refused = (env: Record<string, string>, variable: string) => {
    assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && new RegExp(`\\b${variable}\\b`).test(error.message));
  };

  test('defaults', () => {
    const config = loadConfig({});
    assert.equal(config.setupToken, null);
    assert.equal(config.admin, null);
    assert.deepEqual(config.audit, { retentionDays: 365 });
  });

  test('values are read and normalised', () => {
    const config = loadConfig({ SETUP_TOKEN: 'sixteen-chars-ok', ADMIN_EMAIL: ' Ops@EXAMPLE.org ', ADMIN_PASSWORD: ' spaced secret ', AUDIT_RETENTION_DAYS: '30' });
    assert.equal(config.setupToken, 'sixteen-chars-ok');
    assert.deepEqual(config.admin, { email: 'Ops@example.org', password: ' spaced secret ' });
    assert.deepEqual(config.audit, { retentionDays: 30 });
    assert.deepEqual(loadConfig({ ADMIN_EMAIL: 'a@example.com' }).admin, { email: 'a@example.com', password: null });
  });

  test('bad values are refused, naming the variable', () => {
    refused({ SETUP_TOKEN: 'too-short' }, 'SETUP_TOKEN');
    refused({ ADMIN_EMAIL: 'not-an-email' }, 'ADMIN_EMAIL');
    refused({ ADMIN_PASSWORD: STRONG_PASSWORD }, 'ADMIN_PASSWORD');
    for (const days of ['0', '-1', 'abc', '1.5', '36501']) refused({ AUDIT_RETENTION_DAYS: days }, 'AUDIT_RETENTION_DAYS');
  });
});
