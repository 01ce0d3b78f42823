// First-run setup over the real server: the setup token from the log (or SETUP_TOKEN), wrong and
// right tokens, a second attempt, two concurrent attempts, throttling, and the password policy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCodes, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { captureLogs, rolesOfEmail as rolesOf, WARN } from './setup-helpers.ts';

const SETUP_STATUS = `{ setupStatus { needsSetup } }`;
const COMPLETE_SETUP = `mutation($setupToken: String!, $email: String!, $password: String!) {
  completeSetup(input: { setupToken: $setupToken, email: $email, password: $password }) {
    __typename
    ... on AccountStatus { email emailConfirmed canLogIn }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;

/** The token from the one warn line that announces pending setup. */
function tokenFromLog(lines: Array<{ level: number; msg: string }>): string {
  const announcements = lines.filter((l) => l.level === WARN && /First-run setup pending/.test(l.msg));
  assert.equal(announcements.length, 1, `expected one setup announcement, got ${JSON.stringify(announcements)}`);
  const match = /Setup token: ([A-Za-z0-9_-]+)$/.exec(announcements[0]!.msg);
  assert.ok(match, announcements[0]!.msg);
  return match[1]!;
}

describe('first-run setup with the logged token', () => {
  let server: TestServer;
  let logs: ReturnType<typeof captureLogs>;
  let token: string;

  before(async () => {
    logs = captureLogs();
    server = await startTestServer({}, { logger: logs.logger });
    token = tokenFromLog(logs.lines);
  });
  after(() => server.close());

  test('the logged token is random: 256 bits, base64url', () => {
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  });

  test('needsSetup is true on an empty database', async () => {
    const res = await server.gql(SETUP_STATUS);
    assert.deepEqual(res.body, { data: { setupStatus: { needsSetup: true } } });
  });

  test('a wrong token is an InvalidTokenError and creates nothing', async () => {
    for (const wrong of ['', 'x', token.slice(0, -1), token + 'x', token.toUpperCase()]) {
      const res = await server.gql(COMPLETE_SETUP, { setupToken: wrong, email: 'root@example.com', password: STRONG_PASSWORD });
      assert.equal(res.body.data?.completeSetup.__typename, 'InvalidTokenError', JSON.stringify(res.body));
      assert.equal(res.body.data?.completeSetup.code, 'INVALID_TOKEN');
      assert.match(res.body.data?.completeSetup.message, /setup token/);
    }
    assert.equal(await server.gatehouse.services.orm.em.fork().count(User, {}), 0);
    assert.equal((await server.gql(SETUP_STATUS)).body.data.setupStatus.needsSetup, true);
  });

  test('the password policy of registration applies', async () => {
    const res = await server.gql(COMPLETE_SETUP, { setupToken: token, email: 'root@example.com', password: 'password1' });
    const result = res.body.data?.completeSetup;
    assert.equal(result.__typename, 'ValidationError');
    assert.deepEqual(result.fields.map((f: { field: string }) => f.field), ['password']);
    const badEmail = await server.gql(COMPLETE_SETUP, { setupToken: token, email: 'not an email', password: STRONG_PASSWORD });
    assert.deepEqual(badEmail.body.data?.completeSetup.fields.map((f: { field: string }) => f.field), ['email']);
    assert.equal((await server.gql(SETUP_STATUS)).body.data.setupStatus.needsSetup, true);
  });

  test('the right token creates a confirmed admin who can sign in', async () => {
    const res = await server.gql(COMPLETE_SETUP, { setupToken: token, email: ' Root@EXAMPLE.com ', password: STRONG_PASSWORD });
    assert.deepEqual(res.body, { data: { completeSetup: { __typename: 'AccountStatus', email: 'Root@example.com', emailConfirmed: true, canLogIn: true } } });
    assert.deepEqual(await rolesOf(server, 'Root@example.com'), ['admin', 'user']);
    // Confirmed: login (which requires confirmation by default) succeeds at once.
    const { token: session } = await login(server, 'root@example.com');
    const audit = await server.gql(`{ auditEvents(filter: { action: "setup.complete" }) { edges { node { actorType actorEmail targetType } } } }`, {}, { token: session });
    assert.deepEqual(audit.body.data.auditEvents.edges, [{ node: { actorType: 'USER', actorEmail: 'Root@example.com', targetType: 'user' } }]);
  });

  test('afterwards needsSetup is false and completeSetup answers SetupAlreadyCompletedError, even with the right token', async () => {
    assert.equal((await server.gql(SETUP_STATUS)).body.data.setupStatus.needsSetup, false);
    const already = { __typename: 'SetupAlreadyCompletedError', code: 'SETUP_ALREADY_COMPLETED', message: 'Gatehouse is already set up. Sign in as an administrator instead.' };
    const res = await server.gql(COMPLETE_SETUP, { setupToken: token, email: 'second@example.com', password: STRONG_PASSWORD });
    assert.deepEqual(res.body, { data: { completeSetup: already } });
    const wrong = await server.gql(COMPLETE_SETUP, { setupToken: 'wrong', email: 'second@example.com', password: STRONG_PASSWORD });
    assert.deepEqual(wrong.body, { data: { completeSetup: already } });
    assert.equal(await server.gatehouse.services.orm.em.fork().count(User, {}), 1);
  });
});

describe('first-run setup races', () => {
  test('concurrent completeSetup calls create exactly one admin', async () => {
    const logs = captureLogs();
    const server = await startTestServer({}, { logger: logs.logger });
    try {
      const token = tokenFromLog(logs.lines);
      const emails = Array.from({ length: 6 }, (_, i) => `racer${i}@example.com`);
      const results = await Promise.all(
        emails.map((email) => server.gql(COMPLETE_SETUP, { setupToken: token, email, password: STRONG_PASSWORD })),
      );
      const won = results.filter((r) => r.body.data?.completeSetup?.__typename === 'AccountStatus');
      const refused = results.filter((r) => r.body.data?.completeSetup?.__typename === 'SetupAlreadyCompletedError');
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.body)));
      assert.equal(refused.length, emails.length - 1);
      const em = server.gatehouse.services.orm.em.fork();
      const users = await em.find(User, {}, { populate: ['roles'] });
      assert.equal(users.length, 1);
      assert.equal(users[0]!.email, won[0]!.body.data.completeSetup.email);
      assert.ok(users[0]!.roles.getItems().some((r) => r.name === 'admin'));
      assert.equal(await em.count(AuditEvent, { action: 'setup.complete' }), 1);
    } finally {
      await server.close();
    }
  });

  test('the same email twice at once: one account', async () => {
    const logs = captureLogs();
    const server = await startTestServer({}, { logger: logs.logger });
    try {
      const token = tokenFromLog(logs.lines);
      const results = await Promise.all(
        [1, 2].map(() => server.gql(COMPLETE_SETUP, { setupToken: token, email: 'same@example.com', password: STRONG_PASSWORD })),
      );
      assert.deepEqual(results.map((r) => r.body.data?.completeSetup?.__typename ?? errorCodes(r)[0]).sort(), ['AccountStatus', 'SetupAlreadyCompletedError']);
      assert.equal(await server.gatehouse.services.orm.em.fork().count(User, {}), 1);
    } finally {
      await server.close();
    }
  });
});

describe('first-run setup with SETUP_TOKEN', () => {
  const SETUP_TOKEN = 'operator-chosen-setup-token-0123456789';
  let server: TestServer;
  let logs: ReturnType<typeof captureLogs>;

  before(async () => {
    logs = captureLogs();
    server = await startTestServer({ SETUP_TOKEN }, { logger: logs.logger });
  });
  after(() => server.close());

  test('the log announces pending setup without printing the configured token', () => {
    const text = JSON.stringify(logs.lines);
    assert.ok(!text.includes(SETUP_TOKEN), 'SETUP_TOKEN appears in the log');
    const announcements = logs.lines.filter((l) => l.level === WARN && /First-run setup pending/.test(l.msg));
    assert.equal(announcements.length, 1);
    assert.match(announcements[0]!.msg, /SETUP_TOKEN/);
  });

  test('a different token is refused; SETUP_TOKEN is accepted', async () => {
    const wrong = await server.gql(COMPLETE_SETUP, { setupToken: SETUP_TOKEN.slice(1), email: 'op@example.com', password: STRONG_PASSWORD });
    assert.equal(wrong.body.data?.completeSetup.__typename, 'InvalidTokenError');
    const right = await server.gql(COMPLETE_SETUP, { setupToken: SETUP_TOKEN, email: 'op@example.com', password: STRONG_PASSWORD });
    assert.equal(right.body.data?.completeSetup.__typename, 'AccountStatus');
    assert.deepEqual(await rolesOf(server, 'op@example.com'), ['admin', 'user']);
  });
});

describe('first-run setup throttling', () => {
  test('completeSetup attempts spend the client IP budget: RATE_LIMITED after it is used up', async () => {
    const server = await startTestServer({ AUTH_RATE_LIMIT_PER_MINUTE: '3', SETUP_TOKEN: 'a-long-enough-setup-token' });
    try {
      const attempt = () => server.gql(COMPLETE_SETUP, { setupToken: 'guess-guess-guess', email: 'x@example.com', password: STRONG_PASSWORD });
      for (let i = 0; i < 3; i++) assert.equal((await attempt()).body.data?.completeSetup.__typename, 'InvalidTokenError');
      const limited = await attempt();
      assert.deepEqual(errorCodes(limited), ['RATE_LIMITED']);
      assert.ok(limited.body.errors![0]!.extensions!.retryAfter >= 1);
      // Even the right token waits: the budget is spent before the token is checked.
      const right = await server.gql(COMPLETE_SETUP, { setupToken: 'a-long-enough-setup-token', email: 'x@example.com', password: STRONG_PASSWORD });
      assert.deepEqual(errorCodes(right), ['RATE_LIMITED']);
      server.clock.advance(60_000);
      const later = await server.gql(COMPLETE_SETUP, { setupToken: 'a-long-enough-setup-token', email: 'x@example.com', password: STRONG_PASSWORD });
      assert.equal(later.body.data?.completeSetup.__typename, 'AccountStatus');
    } finally {
      await server.close();
    }
  });
});

describe('setup once users exist', () => {
  test('no setup token is announced when an account exists at start', async () => {
    const logs = captureLogs();
    const server = await startTestServer({ ADMIN_EMAIL: 'boss@example.com', ADMIN_PASSWORD: STRONG_PASSWORD }, { logger: logs.logger });
    try {
      assert.equal(logs.lines.filter((l) => /First-run setup pending/.test(l.msg)).length, 0);
      assert.equal((await server.gql(SETUP_STATUS)).body.data.setupStatus.needsSetup, false);
    } finally {
      await server.close();
    }
  });
});
