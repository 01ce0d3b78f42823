// Configuration from environment variables: defaults, every kind of bad value refused with a
// message naming the variable, durations, SQLite URLs, and empty values meaning "unset".
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, emailLink, loadConfig } from '../src/config/index.ts';

/** Asserts that `env` is refused with a ConfigError naming `variable`; returns the message. */
function refused(env: Record<string, string>, variable: string): string {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `${JSON.stringify(env)} was accepted (or threw something else: ${caught})`);
  assert.match(caught.message, new RegExp(`\\b${variable}\\b`), caught.message);
  return caught.message;
}

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig({});
    assert.equal(config.env, 'development');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 4000);
    assert.equal(config.databasePath, 'data/gatehouse.db');
    assert.equal(config.publicUrl, 'http://127.0.0.1:4000');
    assert.equal(config.publicUrlConfigured, false);
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.requireEmailConfirmation, true);
    assert.deepEqual(config.links, { confirmEmail: null, resetPassword: null, confirmEmailChange: null, cancelEmailChange: null, acceptInvitation: null });
    assert.deepEqual(config.organizations, { creation: 'anyone', invitationTtlMs: 7 * 24 * 3600_000, invitationsPerHour: 50 });
    assert.equal(config.signInNotices, true);
    assert.deepEqual(config.ttl, {
      emailConfirmation: 24 * 3600_000,
      passwordReset: 3600_000,
      session: 30 * 24 * 3600_000,
      sessionIdle: 7 * 24 * 3600_000,
    });
    assert.deepEqual(config.session, { cookieName: 'gatehouse_session', secureCookie: false });
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.trustProxyHops, 0);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.maxBodyBytes, 1024 * 1024);
    assert.equal(config.graphiql, true);
  });

  test('production turns GraphiQL off unless asked for; an https PUBLIC_URL makes the cookie Secure', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).graphiql, false);
    assert.equal(loadConfig({ NODE_ENV: 'production', GRAPHIQL: 'yes' }).graphiql, true);
    const config = loadConfig({ PUBLIC_URL: 'https://accounts.example.com/' });
    assert.equal(config.publicUrl, 'https://accounts.example.com');
    assert.equal(config.publicUrlConfigured, true);
    assert.equal(config.session.secureCookie, true);
  });

  const badValues: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '1e3'],
    ['PORT', '80.5'],
    ['SESSION_TTL', 'forever'],
    ['SESSION_TTL', '0'],
    ['SESSION_IDLE_TTL', '-5m'],
    ['REQUIRE_EMAIL_CONFIRMATION', 'maybe'],
    ['CORS_ORIGINS', 'not-a-url'],
    ['CORS_ORIGINS', 'https://app.example,ftp://files.example'],
    ['CORS_ORIGINS', 'https://app.example/path'],
    ['SMTP_URL', 'http://x'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'prod'],
    ['PUBLIC_URL', 'javascript:alert(1)'],
    ['TRUST_PROXY', 'true'],
    ['MAX_BODY_BYTES', '10k'],
    ['MAX_BODY_BYTES', '0'],
    ['GRAPHIQL', 'nah'],
    ['SESSION_COOKIE_NAME', 'a;b'],
    ['CONFIRM_EMAIL_URL', 'https://app.example/confirm'],
    ['DATABASE_URL', 'mysql://db.example/gatehouse'],
    ['DATABASE_URL', 'postgres://db.example/'],
    ['DATABASE_URL', 'postgres:///gatehouse'],
    ['REDIS_URL', 'http://cache.example:6379'],
    ['REDIS_KEY_PREFIX', 'a b'],
  ];
  for (const [variable, value] of badValues) {
    test(`${variable}=${value} is refused with a message naming ${variable}`, () => {
      refused({ [variable]: value }, variable);
    });
  }

  test('every bad variable is reported at once, one line each, without the value of a secret', () => {
    const message = refused({ PORT: 'abc', LOG_LEVEL: 'loud', SMTP_URL: 'http://user:hunter2@mail.example' }, 'PORT');
    assert.match(message, /^ {2}PORT: /m);
    assert.match(message, /^ {2}LOG_LEVEL: /m);
    assert.match(message, /^ {2}SMTP_URL: /m);
    assert.doesNotMatch(message, /hunter2/);
  });

  test('organizations: ORGANIZATION_CREATION, INVITATION_TTL, INVITATIONS_PER_HOUR, ACCEPT_INVITATION_URL; bad values refused', () => {
    const config = loadConfig({ ORGANIZATION_CREATION: 'permission', INVITATION_TTL: '2d', INVITATIONS_PER_HOUR: '5', ACCEPT_INVITATION_URL: 'https://app.test/join?t={token}' });
    assert.deepEqual(config.organizations, { creation: 'permission', invitationTtlMs: 2 * 86_400_000, invitationsPerHour: 5 });
    assert.equal(emailLink(config, 'acceptInvitation', 'a b'), 'https://app.test/join?t=a%20b');
    assert.equal(emailLink(loadConfig({}), 'acceptInvitation', 'tok'), 'http://127.0.0.1:4000/auth/accept-invitation?token=tok');
    for (const [name, value] of [['ORGANIZATION_CREATION', 'everyone'], ['INVITATION_TTL', 'soon'], ['INVITATIONS_PER_HOUR', '0'], ['ACCEPT_INVITATION_URL', 'https://app.test/join']]) {
      assert.throws(() => loadConfig({ [name!]: value }), (error: Error) => error instanceof ConfigError && error.message.includes(name!), `${name}=${value}`);
    }
  });

  test('durations: d, h, m, s, ms and plain milliseconds', () => {
    const config = loadConfig({
      SESSION_TTL: '30d',
      SESSION_IDLE_TTL: '12h',
      PASSWORD_RESET_TTL: '15m',
      EMAIL_CONFIRMATION_TTL: '45s',
      LOGIN_MAX_DELAY: '500ms',
    });
    assert.equal(config.ttl.session, 30 * 86_400_000);
    assert.equal(config.ttl.sessionIdle, 12 * 3_600_000);
    assert.equal(config.ttl.passwordReset, 15 * 60_000);
    assert.equal(config.ttl.emailConfirmation, 45_000);
    assert.equal(config.throttle.maxDelayMs, 500);
    assert.equal(loadConfig({ SESSION_TTL: '2500' }).ttl.session, 2500);
  });

  test('DATABASE_URL: a path, or a file: URL with or without //', () => {
    assert.equal(loadConfig({ DATABASE_URL: '/var/lib/gatehouse/db.sqlite' }).databasePath, '/var/lib/gatehouse/db.sqlite');
    assert.equal(loadConfig({ DATABASE_URL: 'file:data/app.db' }).databasePath, 'data/app.db');
    assert.equal(loadConfig({ DATABASE_URL: 'file:///tmp/app.db' }).databasePath, '/tmp/app.db');
    assert.equal(loadConfig({ DATABASE_URL: 'file:data/app.db' }).databaseDialect, 'sqlite');
  });

  test('DATABASE_URL: postgres:// selects PostgreSQL; REDIS_URL the shared backends', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://gh:secret@db.internal:5432/gatehouse', REDIS_URL: 'redis://cache.internal:6379/2' });
    assert.equal(config.databaseDialect, 'postgresql');
    assert.equal(config.databasePath, 'postgres://gh:secret@db.internal:5432/gatehouse');
    assert.deepEqual(config.redis, { url: 'redis://cache.internal:6379/2', keyPrefix: 'gatehouse:' });
    assert.equal(loadConfig({ DATABASE_URL: 'postgresql://db.internal/gatehouse' }).databaseDialect, 'postgresql');
    assert.equal(loadConfig({}).redis, null);
    assert.equal(loadConfig({ REDIS_URL: 'rediss://cache.internal', REDIS_KEY_PREFIX: 'app1:' }).redis?.keyPrefix, 'app1:');
  });

  test('BACKUP_INTERVAL is refused on PostgreSQL, naming pg_dump', () => {
    assert.match(refused({ DATABASE_URL: 'postgres://db.internal/gatehouse', BACKUP_INTERVAL: '6h' }, 'BACKUP_INTERVAL'), /pg_dump/);
  });

  test('DATABASE_POOL_SIZE: the PostgreSQL pool size, 10 by default; a whole number from 1 to 1000', () => {
    const pg = 'postgres://gh:secret@db.internal:5432/gatehouse';
    assert.equal(loadConfig({ DATABASE_URL: pg }).databasePoolSize, 10);
    assert.equal(loadConfig({ DATABASE_URL: pg, DATABASE_POOL_SIZE: ' 25 ' }).databasePoolSize, 25);
    assert.equal(loadConfig({ DATABASE_URL: pg, DATABASE_POOL_SIZE: '' }).databasePoolSize, 10);
    for (const value of ['0', '-1', 'ten', '2.5', '1e2', '1001']) {
      assert.match(refused({ DATABASE_URL: pg, DATABASE_POOL_SIZE: value }, 'DATABASE_POOL_SIZE'), /^ {2}DATABASE_POOL_SIZE: (expected a whole number|Too (small|big))/m, value);
    }
  });

  test('DATABASE_POOL_SIZE is refused with an SQLite file, which has one connection', () => {
    assert.match(refused({ DATABASE_POOL_SIZE: '5' }, 'DATABASE_POOL_SIZE'), /PostgreSQL/);
    assert.match(refused({ DATABASE_URL: 'file:data/app.db', DATABASE_POOL_SIZE: '5' }, 'DATABASE_POOL_SIZE'), /one connection/);
  });

  test('a bad DATABASE_URL is refused without echoing its password', () => {
    const message = refused({ DATABASE_URL: 'postgres://gh:hunter2@db.internal/' }, 'DATABASE_URL');
    assert.doesNotMatch(message, /hunter2/);
  });

  test('CORS_ORIGINS: a comma-separated list of origins, normalised as browsers send them', () => {
    const config = loadConfig({ CORS_ORIGINS: ' https://App.Example/ , http://localhost:5173,, ' });
    assert.deepEqual(config.corsOrigins, ['https://app.example', 'http://localhost:5173']);
  });

  test('an empty or blank value means unset', () => {
    const config = loadConfig({ PORT: '', SMTP_URL: '', LOG_LEVEL: '', CORS_ORIGINS: '', HOST: '  ', SESSION_TTL: ' ', PUBLIC_URL: '' });
    assert.equal(config.port, 4000);
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.ttl.session, 30 * 24 * 3600_000);
    assert.equal(config.publicUrlConfigured, false);
  });

  test('booleans accept true/false, 1/0, yes/no, on/off in any case', () => {
    for (const value of ['true', '1', 'YES', 'On']) assert.equal(loadConfig({ REQUIRE_EMAIL_CONFIRMATION: value }).requireEmailConfirmation, true);
    for (const value of ['false', '0', 'no', 'OFF']) assert.equal(loadConfig({ REQUIRE_EMAIL_CONFIRMATION: value }).requireEmailConfirmation, false);
  });

  test('PORT=0 (an ephemeral port) is allowed', () => {
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
  });
});
