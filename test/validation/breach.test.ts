// PASSWORD_BREACH_CHECK=hibp against a local range server (test/validation/range-server.ts): a
// strong but breached password is refused wherever a new password is set and reported by
// validatePassword; only the 5-character SHA-1 prefix leaves the server; answers are cached per
// prefix; lookups leaving the server are limited per client address; a slow, down or garbled
// service fails open with a warning; off by default.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { linkIn } from '../helpers/smtp.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { captureLogs, WARN } from '../admin/setup-helpers.ts';
import { loadConfig } from '../../src/config/index.ts';
import { User } from '../../src/accounts/entities.ts';
import { parseRange } from '../../src/validation/breach.ts';
import { RangeServer, sha1 } from './range-server.ts';

// Strong by the estimator's measure, and "breached" in the stand-in's list.
const BREACHED = 'velvet lantern orchestra 1987';
const CLEAN = 'quiet harbour pretzel galaxy';

const VALIDATE = `query($p: String!) { validatePassword(password: $p) { acceptable issues suggestions } }`;
const REGISTER = `mutation($email: String!, $password: String!) {
  register(input: { email: $email, password: $password }) { __typename ... on ValidationError { fields { field messages } } }
}`;
const CHANGE = `mutation($c: String!, $n: String!) {
  changePassword(input: { currentPassword: $c, newPassword: $n }) { __typename ... on ValidationError { fields { field messages } } }
}`;
const SET_USER_PASSWORD = `mutation($id: ID!, $p: String!) {
  setUserPassword(input: { id: $id, password: $p }) { __typename ... on ValidationError { fields { field messages } } }
}`;
const REQUEST_RESET = `mutation($email: String!) { requestPasswordReset(input: { email: $email }) { __typename } }`;
const RESET = `mutation($t: String!, $p: String!) {
  resetPassword(input: { token: $t, newPassword: $p }) { __typename ... on ValidationError { fields { field messages } } }
}`;

const breachMessage = /appeared in data breaches 12,345 times/;
const fieldMessages = (result: any) => result.fields.flatMap((f: any) => f.messages).join(' ');

describe('breached-password check (hibp)', () => {
  const range = new RangeServer({ [BREACHED]: 12345 });
  let server: TestServer;
  let admin: { token: string; userId: string };

  before(async () => {
    await range.start();
    server = await startTestServer({ PASSWORD_BREACH_CHECK: 'hibp', PASSWORD_BREACH_URL: range.url });
    admin = await createConfirmedUser(server, 'admin@example.com', CLEAN);
    await grantRoles(server, admin.userId, 'admin');
  });
  after(async () => {
    await server?.close();
    await range.close();
  });

  test('validatePassword: a breached strong password is not acceptable; a clean one is', async () => {
    const breached = (await server.gql(VALIDATE, { p: BREACHED })).body.data.validatePassword;
    assert.equal(breached.acceptable, false);
    assert.match(breached.issues.join(' '), breachMessage);
    assert.ok(breached.suggestions.length > 0);
    const clean = (await server.gql(VALIDATE, { p: CLEAN })).body.data.validatePassword;
    assert.deepEqual([clean.acceptable, clean.issues], [true, []]);
  });

  test('only the first five hex characters of the SHA-1 leave the server, with padding asked for', async () => {
    range.seen.length = 0;
    await server.gql(VALIDATE, { p: 'another fine passphrase here' });
    assert.equal(range.seen.length, 1);
    const [request] = range.seen;
    assert.equal(request!.method, 'GET');
    assert.equal(request!.url, `/range/${sha1('another fine passphrase here').slice(0, 5)}`);
    assert.equal(request!.bodyBytes, 0);
    assert.equal(request!.headers['add-padding'], 'true');
    const sent = JSON.stringify(request);
    assert.ok(!sent.includes(sha1('another fine passphrase here').slice(5)), 'no more of the hash');
    assert.ok(!sent.includes('another fine passphrase'), 'never the password');
  });

  test('a weak password is refused on strength alone, without asking the service', async () => {
    range.seen.length = 0;
    const weak = (await server.gql(VALIDATE, { p: 'password1' })).body.data.validatePassword;
    assert.equal(weak.acceptable, false);
    assert.doesNotMatch(weak.issues.join(' '), /breach/);
    assert.equal(range.seen.length, 0);
  });

  test('answers are cached per prefix: asking again sends nothing', async () => {
    await server.gql(VALIDATE, { p: BREACHED });
    range.seen.length = 0;
    for (let i = 0; i < 3; i++) assert.equal((await server.gql(VALIDATE, { p: BREACHED })).body.data.validatePassword.acceptable, false);
    assert.equal(range.seen.length, 0);
  });

  test('register refuses a breached password on the password field and creates nothing', async () => {
    const res = await server.gql(REGISTER, { email: 'newcomer@example.com', password: BREACHED });
    assert.equal(res.body.data.register.__typename, 'ValidationError', JSON.stringify(res.body));
    assert.equal(res.body.data.register.fields[0].field, 'password');
    assert.match(fieldMessages(res.body.data.register), breachMessage);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(User, { emailKey: 'newcomer@example.com' }), 0);
  });

  test('changePassword, resetPassword and setUserPassword refuse it and keep the old password', async () => {
    const user = await createConfirmedUser(server, 'carol@example.com');
    const change = (await server.gql(CHANGE, { c: STRONG_PASSWORD, n: BREACHED }, { token: user.token })).body.data.changePassword;
    assert.equal(change.__typename, 'ValidationError');
    assert.equal(change.fields[0].field, 'newPassword');
    assert.match(fieldMessages(change), breachMessage);

    await server.gql(REQUEST_RESET, { email: 'carol@example.com' });
    const mail = await server.mail.waitFor('carol@example.com', /Reset your password/);
    const token = linkIn(mail).searchParams.get('token')!;
    const reset = (await server.gql(RESET, { t: token, p: BREACHED })).body.data.resetPassword;
    assert.equal(reset.__typename, 'ValidationError');
    assert.match(fieldMessages(reset), breachMessage);

    const set = (await server.gql(SET_USER_PASSWORD, { id: user.userId, p: BREACHED }, { token: admin.token })).body.data.setUserPassword;
    assert.equal(set.__typename, 'ValidationError');
    assert.match(fieldMessages(set), breachMessage);

    await login(server, 'carol@example.com', STRONG_PASSWORD);
    await assert.rejects(login(server, 'carol@example.com', BREACHED));
  });
});

describe('breached-password check: lookups per client address', () => {
  const range = new RangeServer({ [BREACHED]: 12345 });
  let server: TestServer;
  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
  // Strong, and of distinct SHA-1 prefixes (each a lookup of its own).
  const passwords = ['amber falcon meadow 2231', 'cobalt ferry whistle 4410', 'dusky orchard piano 7781', 'ember glacier tulip 9902'];

  before(async () => {
    await range.start();
    server = await startTestServer({ PASSWORD_BREACH_CHECK: 'hibp', PASSWORD_BREACH_URL: range.url, PASSWORD_BREACH_LOOKUPS_PER_MINUTE: '3', TRUST_PROXY: '1' });
  });
  after(async () => {
    await server?.close();
    await range.close();
  });

  test('past PASSWORD_BREACH_LOOKUPS_PER_MINUTE an address gets RATE_LIMITED (nothing asked, nothing created); cached prefixes and other addresses still answer', async () => {
    assert.equal(new Set(passwords.map((p) => sha1(p).slice(0, 5))).size, passwords.length, 'distinct prefixes');
    range.seen.length = 0;
    for (const p of passwords.slice(0, 3)) {
      assert.equal((await server.gql(VALIDATE, { p }, from('203.0.113.7'))).body.data.validatePassword.acceptable, true);
    }
    assert.equal(range.seen.length, 3);

    const over = (await server.gql(VALIDATE, { p: passwords[3] }, from('203.0.113.7'))).body;
    assert.equal(over.data, null);
    const extensions = over.errors?.[0]?.extensions ?? {};
    assert.equal(extensions.code, 'RATE_LIMITED');
    assert.ok(Number.isInteger(extensions.retryAfter) && Number(extensions.retryAfter) >= 1, JSON.stringify(over));
    // A password-setting mutation is limited the same way, and creates nothing.
    const registered = await server.gql(REGISTER, { email: 'limited@example.com', password: passwords[3] }, from('203.0.113.7'));
    assert.equal(registered.body.errors?.[0]?.extensions?.code, 'RATE_LIMITED', JSON.stringify(registered.body));
    assert.equal(await server.gatehouse.services.orm.em.fork().count(User, { emailKey: 'limited@example.com' }), 0);
    assert.equal(range.seen.length, 3, 'the service was not asked past the limit');

    // A prefix already known costs the service nothing, so it is still answered.
    assert.equal((await server.gql(VALIDATE, { p: passwords[0] }, from('203.0.113.7'))).body.data.validatePassword.acceptable, true);
    // A weak password never reaches the lookup either.
    assert.equal((await server.gql(VALIDATE, { p: 'password1' }, from('203.0.113.7'))).body.data.validatePassword.acceptable, false);
    // Another address has lookups of its own.
    assert.equal((await server.gql(VALIDATE, { p: passwords[3] }, from('203.0.113.8'))).body.data.validatePassword.acceptable, true);
    assert.equal(range.seen.length, 4);
  });

  test('the setting is checked at start', () => {
    for (const bad of ['0', '-1', 'many']) assert.throws(() => loadConfig({ PASSWORD_BREACH_LOOKUPS_PER_MINUTE: bad }), /PASSWORD_BREACH_LOOKUPS_PER_MINUTE/);
    assert.equal(loadConfig({}).passwordBreach.lookupsPerMinute, 60);
  });
});

describe('breached-password check: the service fails open', () => {
  for (const behaviour of ['slow', 'down', 'error', 'garbage'] as const) {
    test(`${behaviour}: the password is judged on strength alone, and the log says why`, async () => {
      const range = new RangeServer({ [BREACHED]: 12345 });
      const url = await range.start();
      if (behaviour === 'down') await range.close();
      else range.behaviour = behaviour;
      const logs = captureLogs();
      const server = await startTestServer({ PASSWORD_BREACH_CHECK: 'hibp', PASSWORD_BREACH_URL: url }, { logger: logs.logger });
      try {
        const result = (await server.gql(VALIDATE, { p: BREACHED })).body.data.validatePassword;
        assert.deepEqual([result.acceptable, result.issues], [true, []], 'accepted: the check could not say');
        const warnings = logs.lines.filter((l) => l.level === WARN && /password breach check unavailable/.test(l.msg));
        assert.equal(warnings.length, 1, JSON.stringify(logs.lines.map((l) => l.msg)));
        const reason = String(warnings[0]!.reason);
        if (behaviour === 'slow') assert.match(reason, /no answer within 1500 ms/);
        if (behaviour === 'error') assert.match(reason, /HTTP 503/);
        if (behaviour === 'garbage') assert.match(reason, /not a range list/);
        assert.ok(!JSON.stringify(warnings).includes(BREACHED), 'the password is never logged');
        // A failure is not cached: the next check asks again.
        const register = await server.gql(REGISTER, { email: 'dora@example.com', password: BREACHED });
        assert.equal(register.body.data.register.__typename, 'AccountStatus');
      } finally {
        await server.close();
        if (behaviour !== 'down') await range.close();
      }
    });
  }
});

describe('breached-password check: configuration', () => {
  test('off by default: nothing is asked', async () => {
    const range = new RangeServer({ [BREACHED]: 1 });
    const url = await range.start();
    const server = await startTestServer({ PASSWORD_BREACH_URL: url });
    try {
      assert.equal((await server.gql(VALIDATE, { p: BREACHED })).body.data.validatePassword.acceptable, true);
      assert.equal(range.seen.length, 0);
    } finally {
      await server.close();
      await range.close();
    }
  });

  test('an unknown mode or a URL that is not http(s) stops the start', () => {
    assert.throws(() => loadConfig({ PASSWORD_BREACH_CHECK: 'yes' }), /PASSWORD_BREACH_CHECK/);
    assert.throws(() => loadConfig({ PASSWORD_BREACH_CHECK: 'hibp', PASSWORD_BREACH_URL: 'ftp://example.com/range/' }), /PASSWORD_BREACH_URL/);
  });

  test('parseRange: counts of 0 are padding; a line of another shape is refused', () => {
    const counts = parseRange(`${'A'.repeat(35)}:3\r\n${'B'.repeat(35)}:0\r\n`);
    assert.deepEqual([...counts], [['A'.repeat(35), 3]]);
    assert.throws(() => parseRange('<html>'), /not a range list/);
    assert.throws(() => parseRange(`${'a'.repeat(35)}:3`), /not a range list/);
  });
});
