import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { linkIn } from '../helpers/smtp.ts';

const REGISTER = `mutation($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on AccountStatus { email emailConfirmed canLogIn }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;

describe('register', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('creates an account, normalises the email and mails a confirmation link', async () => {
    const res = await server.gql(REGISTER, {
      input: { email: '  Ada.Lovelace@Example.COM ', password: STRONG_PASSWORD, displayName: 'Ada', firstName: 'Ada', lastName: 'Lovelace' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data?.register, {
      __typename: 'AccountStatus',
      email: 'Ada.Lovelace@example.com',
      emailConfirmed: false,
      canLogIn: false,
    });
    const mail = await server.mail.waitFor('Ada.Lovelace@example.com', /Confirm your email/);
    const link = linkIn(mail);
    assert.equal(link.origin, server.origin);
    assert.equal(link.pathname, '/auth/confirm-email');
    assert.match(link.searchParams.get('token') ?? '', /^[A-Za-z0-9_-]{43}$/);
  });

  test('refuses an email that differs only in case with EMAIL_TAKEN', async () => {
    await server.gql(REGISTER, { input: { email: 'grace@example.com', password: STRONG_PASSWORD } });
    const res = await server.gql(REGISTER, { input: { email: 'GRACE@example.com', password: STRONG_PASSWORD } });
    assert.equal(res.body.data?.register.__typename, 'EmailTakenError');
    assert.equal(res.body.data?.register.code, 'EMAIL_TAKEN');
  });

  test('names every invalid field in one VALIDATION_FAILED result and creates nothing', async () => {
    const res = await server.gql(REGISTER, {
      input: { email: 'not-an-email', password: 'password', avatarUrl: 'javascript:alert(1)', displayName: 'x'.repeat(101), phone: 'call me' },
    });
    const result = res.body.data?.register;
    assert.equal(result.__typename, 'ValidationError');
    assert.equal(result.code, 'VALIDATION_FAILED');
    const fields = result.fields.map((f: { field: string }) => f.field).sort();
    assert.deepEqual(fields, ['avatarUrl', 'displayName', 'email', 'password', 'phone']);
    for (const f of result.fields) assert.ok(f.messages.length > 0 && f.messages.every((m: string) => m.length > 5));
    const retry = await server.gql(REGISTER, { input: { email: 'not-an-email@example.com', password: STRONG_PASSWORD } });
    assert.equal(retry.body.data?.register.__typename, 'AccountStatus');
  });

  test('refuses a password built from the email or too short, accepts a 200-character passphrase', async () => {
    const fromEmail = await server.gql(REGISTER, { input: { email: 'margaret.hamilton@example.com', password: 'hamilton1' } });
    assert.equal(fromEmail.body.data?.register.__typename, 'ValidationError');
    const short = await server.gql(REGISTER, { input: { email: 'short@example.com', password: 'Xq7$' } });
    assert.match(short.body.data?.register.fields[0].messages.join(' '), /at least 8/);
    const long = await server.gql(REGISTER, { input: { email: 'long@example.com', password: 'Tr0ub4dor&3 '.repeat(16).slice(0, 200) } });
    assert.equal(long.body.data?.register.__typename, 'AccountStatus');
    const tooLong = await server.gql(REGISTER, { input: { email: 'toolong@example.com', password: 'a1B!'.repeat(100) } });
    assert.match(tooLong.body.data?.register.fields[0].messages.join(' '), /at most 256/);
  });

  test('concurrent registrations of one email create exactly one account', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () => server.gql(REGISTER, { input: { email: 'race@example.com', password: STRONG_PASSWORD } })),
    );
    const kinds = attempts.map((r) => r.body.data?.register.__typename).sort();
    assert.equal(kinds.filter((k) => k === 'AccountStatus').length, 1, JSON.stringify(kinds));
    assert.equal(kinds.filter((k) => k === 'EmailTakenError').length, 7);
  });

  test('a missing required field is a GraphQL validation error, not a 500', async () => {
    const res = await server.gql(REGISTER, { input: { email: 'x@example.com' } });
    assert.equal(res.status, 400);
    assert.match(res.body.errors?.[0]?.message ?? '', /password/);
  });
});
