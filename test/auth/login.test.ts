// Login end to end: answers that do not reveal whether an email is registered, case-insensitive
// email, the new session usable within the same operation, no password in any response, and
// transparent rehashing of passwords stored with weaker argon2 parameters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import argon2 from 'argon2';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';

const LOGIN = `mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) {
    __typename
    ... on CreatedSession { token expiresAt user { id email } }
    ... on Error { code message }
  }
}`;

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** A login over plain fetch, keeping the exact bytes of the answer. */
async function rawLogin(server: TestServer, email: string, password: string, query = LOGIN, variables?: unknown): Promise<RawResponse> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query, variables: variables ?? { email, password } }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The argon2 variant and cost parameters of a PHC string (their order varies between versions). */
function hashParams(hash: string): { type: string; m: number; t: number; p: number } {
  const [, type, , params] = hash.split('$');
  const values = Object.fromEntries(params!.split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  return { type: type!, m: values.m, t: values.t, p: values.p };
}

async function storedHash(server: TestServer, email: string): Promise<string> {
  const em = server.gatehouse.services.orm.em.fork();
  const user = await em.findOneOrFail(User, { emailKey: email.toLowerCase() }, { populate: ['passwordHash'] });
  return user.passwordHash!;
}

describe('login', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('an unknown email and a wrong password get byte-identical answers', async () => {
    await createConfirmedUser(server, 'login.known@example.com');
    const wrong = await rawLogin(server, 'login.known@example.com', 'not the right password');
    const unknown = await rawLogin(server, 'login.unknown@example.com', 'not the right password');
    assert.equal(wrong.status, 200);
    assert.equal(unknown.status, wrong.status);
    assert.equal(unknown.headers.get('content-type'), wrong.headers.get('content-type'));
    assert.equal(unknown.text, wrong.text);
    assert.deepEqual(JSON.parse(wrong.text), {
      data: { login: { __typename: 'InvalidCredentialsError', code: 'INVALID_CREDENTIALS', message: 'Email or password is incorrect.' } },
    });
    // Neither sets a session cookie.
    assert.deepEqual(wrong.headers.getSetCookie(), []);
    assert.deepEqual(unknown.headers.getSetCookie(), []);
  });

  test('a wrong password for an unconfirmed account answers like an unknown email', async () => {
    const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { __typename } }`;
    const registered = await server.gql(REGISTER, { input: { email: 'login.unconfirmed@example.com', password: STRONG_PASSWORD } });
    assert.equal(registered.body.data.register.__typename, 'AccountStatus');
    const wrong = await rawLogin(server, 'login.unconfirmed@example.com', 'not the right password');
    const unknown = await rawLogin(server, 'login.nobody@example.com', 'not the right password');
    assert.equal(wrong.text, unknown.text);
    // Only the right password learns that the address still needs confirming.
    const right = await server.gql(LOGIN, { email: 'login.unconfirmed@example.com', password: STRONG_PASSWORD });
    assert.equal(right.body.data.login.__typename, 'EmailNotConfirmedError');
    assert.equal(right.body.data.login.code, 'EMAIL_NOT_CONFIRMED');
  });

  test('an email or password longer than any account can have is a validation error naming the field, and records nothing', async () => {
    const query = `mutation($email: String!, $password: String!) {
      login(input: { email: $email, password: $password }) { __typename ... on ValidationError { code fields { field messages } } }
    }`;
    const em = () => server.gatehouse.services.orm.em.fork();
    const auditsBefore = await em().getConnection().execute('select count(*) as n from audit_events');
    const huge = await server.gql(query, { email: `${'a'.repeat(200_000)}@example.com`, password: STRONG_PASSWORD });
    assert.deepEqual(huge.body.data.login, { __typename: 'ValidationError', code: 'VALIDATION_FAILED', fields: [{ field: 'email', messages: ['Use at most 320 characters.'] }] });
    const long = await server.gql(query, { email: 'ada@example.com', password: 'p'.repeat(1025) });
    assert.deepEqual(long.body.data.login.fields, [{ field: 'password', messages: ['Use at most 1024 characters.'] }]);
    assert.deepEqual(await em().getConnection().execute('select count(*) as n from audit_events'), auditsBefore);
  });

  test('the email is matched case-insensitively and surrounding spaces are ignored', async () => {
    await createConfirmedUser(server, 'Login.Case@Example.com');
    for (const spelling of ['login.case@example.com', 'LOGIN.CASE@EXAMPLE.COM', '  Login.Case@example.COM ']) {
      const { response } = await login(server, spelling);
      assert.equal(response.body.data.login.user.email, 'Login.Case@example.com', spelling);
    }
  });

  test('the new session acts in the rest of the same operation (login { user { email sessions } })', async () => {
    await createConfirmedUser(server, 'login.same-op@example.com');
    const res = await server.gql(
      `mutation($email: String!, $password: String!) {
        login(input: { email: $email, password: $password }) {
          __typename
          ... on CreatedSession { token user { email sessions { id current } } }
        }
      }`,
      { email: 'login.same-op@example.com', password: STRONG_PASSWORD },
    );
    assert.equal(res.body.errors, undefined, JSON.stringify(res.body));
    const result = res.body.data.login;
    assert.equal(result.user.email, 'login.same-op@example.com');
    assert.equal(result.user.sessions.length, 2);
    assert.equal(result.user.sessions.filter((s: { current: boolean }) => s.current).length, 1);
  });

  test('the password is never echoed in any response', async () => {
    const REGISTER_WITH_INPUT = `mutation($input: RegisterInput!) { register(input: $input) { __typename } }`;
    const password = 'Zebra-Quasar-Lantern-9184';
    await createConfirmedUser(server, 'login.echo@example.com', password);
    const responses: RawResponse[] = [
      await rawLogin(server, 'login.echo@example.com', password),
      await rawLogin(server, 'login.echo@example.com', `${password}x`),
      await rawLogin(server, 'login.echo-nobody@example.com', password),
      // Invalid variables next to the password: the error names the bad one only.
      await rawLogin(server, '', '', LOGIN, { email: ['login.echo@example.com'], password }),
      await rawLogin(server, '', '', LOGIN, { password }),
      await rawLogin(server, '', '', `mutation { login(input: { email: 42, password: "${password}" }) { __typename } }`),
      await rawLogin(server, '', '', `mutation { login(input: { emial: "login.echo@example.com", password: "${password}" }) { __typename } }`),
      // An input object with an unknown or missing field: the executor would quote the whole value.
      await rawLogin(server, '', '', REGISTER_WITH_INPUT, { input: { email: 'echo@example.com', password, bogus: 1 } }),
      await rawLogin(server, '', '', REGISTER_WITH_INPUT, { input: { password } }),
    ];
    // Throttled attempts too.
    for (let i = 0; i < 6; i++) responses.push(await rawLogin(server, 'login.echo@example.com', `${password}${i}`));
    responses.push(await rawLogin(server, 'login.echo@example.com', password));
    assert.match(responses.at(-1)!.text, /RATE_LIMITED/);

    assert.match(responses[0]!.text, /"CreatedSession"/);
    for (const [i, res] of responses.entries()) {
      assert.ok(res.status < 500, `response ${i}: ${res.status}`);
      assert.ok(!res.text.includes(password), `response ${i} echoes the password: ${res.text}`);
      for (const [name, value] of res.headers) assert.ok(!value.includes(password), `response ${i} header ${name}`);
    }
  });

  test('a hash made with weaker argon2 parameters is replaced on the next successful login', async () => {
    const email = 'login.rehash@example.com';
    await createConfirmedUser(server, email);
    const weak = await argon2.hash(STRONG_PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const em = server.gatehouse.services.orm.em.fork();
    assert.equal(await em.nativeUpdate(User, { emailKey: email }, { passwordHash: weak }), 1);
    assert.deepEqual(hashParams(await storedHash(server, email)), { type: 'argon2id', m: 4096, t: 1, p: 1 });

    // A failed login leaves the hash alone.
    const failed = await server.gql(LOGIN, { email, password: 'not the right password' });
    assert.equal(failed.body.data.login.__typename, 'InvalidCredentialsError');
    assert.equal(await storedHash(server, email), weak);

    await login(server, email);
    const upgraded = await storedHash(server, email);
    assert.deepEqual(hashParams(upgraded), { type: 'argon2id', m: 19456, t: 2, p: 1 });
    assert.ok(await argon2.verify(upgraded, STRONG_PASSWORD));
    // And the upgraded hash keeps working.
    await login(server, email);
    assert.equal(await storedHash(server, email), upgraded);
  });
});
