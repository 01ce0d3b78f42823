// Login throttling end to end: per (account, IP) exponential delay, no victim lockout, unknown
// emails treated like known ones, aliases counted one by one, the per-IP budget for auth requests
// and the per-account hourly cap. Each simulated client has its own X-Forwarded-For address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type GqlResponse, type TestServer } from '../helpers/server.ts';

const WRONG_PASSWORD = 'definitely not the password';

const LOGIN = `mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) {
    __typename
    ... on CreatedSession { token user { email } }
    ... on Error { code message }
  }
}`;

let ipCounter = 0;
/** A fresh client address per simulated client, so tests never share throttle state by accident. */
const newIp = () => `203.0.113.${++ipCounter}`;
const fromIp = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

function attempt(server: TestServer, email: string, password: string, ip: string): Promise<GqlResponse> {
  return server.gql(LOGIN, { email, password }, fromIp(ip));
}

/** 'CreatedSession', an error __typename, or the extensions.code of a GraphQL error. */
function outcome(res: GqlResponse): string {
  if (res.body.errors?.length) return String(res.body.errors[0]!.extensions?.code);
  return res.body.data.login.__typename;
}

function retryAfterOf(res: GqlResponse): number {
  assert.deepEqual(errorCodes(res), ['RATE_LIMITED'], JSON.stringify(res.body));
  const retryAfter = res.body.errors![0]!.extensions!.retryAfter;
  assert.equal(typeof retryAfter, 'number');
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `retryAfter ${retryAfter}`);
  return retryAfter;
}

async function failTimes(server: TestServer, email: string, ip: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await attempt(server, email, WRONG_PASSWORD, ip);
    assert.equal(outcome(res), 'InvalidCredentialsError', `failure ${i + 1}: ${JSON.stringify(res.body)}`);
  }
}

describe('login throttling per account and IP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ TRUST_PROXY: '1' });
  });
  after(() => server.close());

  test('after 5 failures the 6th attempt is RATE_LIMITED even with the correct password, until retryAfter passes', async () => {
    const email = 'thr.basic@example.com';
    await createConfirmedUser(server, email);
    const ip = newIp();
    await failTimes(server, email, ip, 5);

    const limited = await attempt(server, email, STRONG_PASSWORD, ip);
    assert.equal(limited.status, 200);
    const retryAfter = retryAfterOf(limited);
    assert.match(limited.body.errors![0]!.message, new RegExp(`Try again in ${retryAfter} s`));
    assert.equal(JSON.stringify(limited.body).includes('token'), false, 'a throttled attempt must not sign in');

    server.clock.advance(retryAfter * 1000 - 1);
    assert.equal(outcome(await attempt(server, email, STRONG_PASSWORD, ip)), 'RATE_LIMITED');
    server.clock.advance(1);
    const ok = await attempt(server, email, STRONG_PASSWORD, ip);
    assert.equal(outcome(ok), 'CreatedSession', JSON.stringify(ok.body));
    assert.equal(ok.body.data.login.user.email, email);
  });

  test('the delay doubles with each further failure', async () => {
    const email = 'thr.doubling@example.com';
    await createConfirmedUser(server, email);
    const ip = newIp();
    await failTimes(server, email, ip, 5);
    const delays: number[] = [];
    for (let round = 0; round < 4; round++) {
      const retryAfter = retryAfterOf(await attempt(server, email, WRONG_PASSWORD, ip));
      delays.push(retryAfter);
      server.clock.advance(retryAfter * 1000);
      // Once the delay is over the attempt is checked (and fails again, doubling the delay).
      await failTimes(server, email, ip, 1);
    }
    assert.deepEqual(delays, [1, 2, 4, 8]);
  });

  test('the same account still signs in from another IP (no victim lockout)', async () => {
    const email = 'thr.victim@example.com';
    await createConfirmedUser(server, email);
    const attacker = newIp();
    await failTimes(server, email, attacker, 5);
    for (let i = 0; i < 5; i++) assert.equal(outcome(await attempt(server, email, WRONG_PASSWORD, attacker)), 'RATE_LIMITED');

    const victim = newIp();
    const res = await attempt(server, email, STRONG_PASSWORD, victim);
    assert.equal(outcome(res), 'CreatedSession', JSON.stringify(res.body));
    assert.equal(outcome(await attempt(server, email, WRONG_PASSWORD, attacker)), 'RATE_LIMITED');
  });

  test('a successful login resets the failure streak', async () => {
    const email = 'thr.reset@example.com';
    await createConfirmedUser(server, email);
    const ip = newIp();
    await failTimes(server, email, ip, 4);
    assert.equal(outcome(await attempt(server, email, STRONG_PASSWORD, ip)), 'CreatedSession');
    // A fresh streak: five more failures are checked before any delay.
    await failTimes(server, email, ip, 5);
    retryAfterOf(await attempt(server, email, STRONG_PASSWORD, ip));
  });

  test('an unknown email is throttled exactly like a known one', async () => {
    const known = 'thr.known@example.com';
    const unknown = 'thr.nobody@example.com';
    await createConfirmedUser(server, known);
    const ipKnown = newIp();
    const ipUnknown = newIp();
    const answers = { known: [] as string[], unknown: [] as string[] };
    for (let i = 0; i < 7; i++) {
      answers.known.push(JSON.stringify((await attempt(server, known, WRONG_PASSWORD, ipKnown)).body));
      answers.unknown.push(JSON.stringify((await attempt(server, unknown, WRONG_PASSWORD, ipUnknown)).body));
    }
    assert.deepEqual(answers.unknown, answers.known);
    assert.equal(JSON.parse(answers.known[4]!).data.login.__typename, 'InvalidCredentialsError');
    assert.equal(JSON.parse(answers.known[5]!).errors[0].extensions.code, 'RATE_LIMITED');

    server.clock.advance(1000);
    const afterKnown = await attempt(server, known, WRONG_PASSWORD, ipKnown);
    const afterUnknown = await attempt(server, unknown, WRONG_PASSWORD, ipUnknown);
    assert.deepEqual(afterUnknown.body, afterKnown.body);
    assert.equal(outcome(afterKnown), 'InvalidCredentialsError');
  });

  test('20 aliased logins in one request count as 20 attempts', async () => {
    const email = 'thr.aliases@example.com';
    await createConfirmedUser(server, email);
    const ip = newIp();
    const fields = Array.from(
      { length: 20 },
      (_, i) => `a${i}: login(input: { email: $email, password: $password }) { __typename ... on Error { code message } }`,
    );
    const res = await server.gql(`mutation($email: String!, $password: String!) { ${fields.join('\n')} }`, {
      email,
      password: WRONG_PASSWORD,
    }, fromIp(ip));
    assert.equal(res.status, 200, JSON.stringify(res.body));

    const data = res.body.data as Record<string, { __typename: string; code: string } | null>;
    for (let i = 0; i < 5; i++) {
      assert.equal(data[`a${i}`]?.__typename, 'InvalidCredentialsError', `a${i}: ${JSON.stringify(res.body)}`);
    }
    const limited = (res.body.errors ?? []).filter((e) => e.extensions?.code === 'RATE_LIMITED');
    assert.deepEqual(
      limited.map((e) => e.path?.[0]).sort(),
      Array.from({ length: 15 }, (_, i) => `a${i + 5}`).sort(),
      JSON.stringify(res.body.errors),
    );
    for (let i = 5; i < 20; i++) assert.equal(data[`a${i}`], null);
    // The pair is now throttled for a follow-up request too, even with the right password.
    retryAfterOf(await attempt(server, email, STRONG_PASSWORD, ip));
  });
});

describe('auth request budget per IP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ TRUST_PROXY: '1', AUTH_RATE_LIMIT_PER_MINUTE: '5' });
  });
  after(() => server.close());

  const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { __typename } }`;
  const RESET = `mutation($email: String!) { requestPasswordReset(input: { email: $email }) { __typename } }`;
  let n = 0;
  const requests: Array<(server: TestServer, ip: string) => Promise<GqlResponse>> = [
    (s, ip) => attempt(s, `budget.login${++n}@example.com`, WRONG_PASSWORD, ip),
    (s, ip) => s.gql(REGISTER, { input: { email: `budget.reg${++n}@example.com`, password: STRONG_PASSWORD } }, fromIp(ip)),
    (s, ip) => s.gql(RESET, { email: `budget.reset${++n}@example.com` }, fromIp(ip)),
  ];

  test('the 6th auth request within a minute is RATE_LIMITED; after 60 s requests go through again', async () => {
    const ip = newIp();
    for (let i = 0; i < 5; i++) {
      const res = await requests[i % 3]!(server, ip);
      assert.equal(res.body.errors, undefined, `request ${i + 1}: ${JSON.stringify(res.body)}`);
    }
    for (const send of requests) {
      const res = await send(server, ip);
      const retryAfter = retryAfterOf(res);
      assert.ok(retryAfter <= 60, `retryAfter ${retryAfter}`);
    }
    // Other clients have their own budget.
    const other = await requests[1]!(server, newIp());
    assert.equal(other.body.data?.register.__typename, 'AccountStatus');

    server.clock.advance(60_000);
    for (let i = 0; i < 5; i++) {
      const res = await requests[i % 3]!(server, ip);
      assert.equal(res.body.errors, undefined, `after a minute, request ${i + 1}: ${JSON.stringify(res.body)}`);
    }
    retryAfterOf(await requests[0]!(server, ip));
  });
});

describe('per-account hourly failure cap', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_HOUR: '10' });
  });
  after(() => server.close());

  test('failures spread over many IPs lock out new IPs, but not an IP that signed in before', async () => {
    const email = 'cap.owner@example.com';
    await createConfirmedUser(server, email);
    const home = newIp();
    await login(server, email, STRONG_PASSWORD, fromIp(home));

    // A distributed guesser: 10 IPs, one failure each, far below the per-pair delay.
    for (let i = 0; i < 10; i++) await failTimes(server, email, newIp(), 1);

    const stranger = newIp();
    const refused = await attempt(server, email, STRONG_PASSWORD, stranger);
    const retryAfter = retryAfterOf(refused);
    assert.ok(retryAfter <= 3600, `retryAfter ${retryAfter}`);
    assert.equal(outcome(await attempt(server, email, WRONG_PASSWORD, newIp())), 'RATE_LIMITED');

    // The owner's own device keeps working.
    const owner = await attempt(server, email, STRONG_PASSWORD, home);
    assert.equal(outcome(owner), 'CreatedSession', JSON.stringify(owner.body));

    // Other accounts are unaffected by this account's cap.
    const otherEmail = 'cap.other@example.com';
    await createConfirmedUser(server, otherEmail);
    assert.equal(outcome(await attempt(server, otherEmail, STRONG_PASSWORD, stranger)), 'CreatedSession');

    server.clock.advance(retryAfter * 1000);
    assert.equal(outcome(await attempt(server, email, STRONG_PASSWORD, stranger)), 'CreatedSession');
  });
});
