// Forgotten password end to end: the request (no account enumeration, no mail bombing), the emailed
// link, resetPassword through GraphQL and through the server's own HTML form, and what a reset ends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { linkIn, type ReceivedMail } from '../helpers/smtp.ts';
import { loginOutcome, mailsTo, tokenIn } from './account-helpers.ts';

const NEW_PASSWORD = 'purple elephant juggles seven lanterns';
const OTHER_PASSWORD = 'quiet glacier hums under orange skies';
const HOUR = 3_600_000;
/** Longer than the interval within which a second reset email is not sent. */
const RESEND_INTERVAL_PASSED = 61_000;

const REQUEST_RESET = `mutation($email: String!) {
  requestPasswordReset(input: { email: $email }) {
    __typename
    ... on RequestAccepted { message }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;

const RESET = `mutation($token: String!, $newPassword: String!) {
  resetPassword(input: { token: $token, newPassword: $newPassword }) {
    __typename
    ... on AccountStatus { email emailConfirmed canLogIn }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;

const resetMails = (server: TestServer, email: string): Promise<ReceivedMail[]> => mailsTo(server, email, /Reset your password/);

/** Asks for a reset and returns the token from the email it sends. */
async function requestResetToken(server: TestServer, email: string): Promise<string> {
  const before = (await resetMails(server, email)).length;
  const res = await server.gql(REQUEST_RESET, { email });
  assert.equal(res.body.data?.requestPasswordReset.__typename, 'RequestAccepted', JSON.stringify(res.body));
  const mails = await resetMails(server, email);
  assert.equal(mails.length, before + 1, `one new reset email to ${email}`);
  return tokenIn(mails.at(-1)!);
}

async function resetPassword(server: TestServer, token: string, newPassword: string) {
  const res = await server.gql(RESET, { token, newPassword });
  assert.equal(res.status, 200);
  return res.body.data?.resetPassword;
}

function postResetForm(server: TestServer, body: string, contentType = 'application/x-www-form-urlencoded') {
  return fetch(new URL('/auth/reset-password', server.origin), { method: 'POST', headers: { 'content-type': contentType }, body });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('password reset', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('requestPasswordReset answers the same for a known and an unknown address; only the known one gets a link', async () => {
    const known = 'reset.known@example.com';
    const unknown = 'reset.unknown@example.com';
    await createConfirmedUser(server, known);

    const [knownAnswer, unknownAnswer] = await Promise.all([known, unknown].map((email) => server.gql(REQUEST_RESET, { email })));
    assert.equal(knownAnswer!.status, unknownAnswer!.status);
    assert.deepEqual(knownAnswer!.body, unknownAnswer!.body);
    assert.equal(knownAnswer!.body.data?.requestPasswordReset.__typename, 'RequestAccepted');

    const mail = await server.mail.waitFor(known, /Reset your password/);
    assert.match(mail.text, /valid for 60 minutes/);
    const link = linkIn(mail);
    assert.equal(link.origin, server.origin);
    assert.equal(link.pathname, '/auth/reset-password');
    assert.match(link.searchParams.get('token') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await resetMails(server, unknown)).length, 0);
    assert.equal(server.mail.messages.filter((m) => m.to === unknown).length, 0);
  });

  test('requestPasswordReset with a malformed address is a ValidationError naming email', async () => {
    const result = (await server.gql(REQUEST_RESET, { email: 'no-at-sign' })).body.data?.requestPasswordReset;
    assert.equal(result.__typename, 'ValidationError');
    assert.deepEqual(
      result.fields.map((f: { field: string }) => f.field),
      ['email'],
    );
  });

  test('resetPassword sets the new password and ends every session, without signing in', async () => {
    const email = 'reset.sessions@example.com';
    const { token: firstSession } = await createConfirmedUser(server, email);
    const { token: secondSession } = await login(server, email);
    const resetToken = await requestResetToken(server, email);

    assert.deepEqual(await resetPassword(server, resetToken, NEW_PASSWORD), { __typename: 'AccountStatus', email, emailConfirmed: true, canLogIn: true });

    assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'INVALID_CREDENTIALS');
    for (const token of [firstSession, secondSession]) {
      const res = await server.gql('{ viewer { id } }', {}, { token });
      assert.equal(res.status, 401);
      assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
    }
    const { token: fresh } = await login(server, email, NEW_PASSWORD);
    assert.equal((await server.gql('{ viewer { email } }', {}, { token: fresh })).body.data?.viewer.email, email);
  });

  test('a reset token works once', async () => {
    const email = 'reset.once@example.com';
    await createConfirmedUser(server, email);
    const token = await requestResetToken(server, email);
    assert.equal((await resetPassword(server, token, NEW_PASSWORD)).__typename, 'AccountStatus');

    const again = await resetPassword(server, token, OTHER_PASSWORD);
    assert.equal(again.__typename, 'InvalidTokenError');
    assert.equal(again.code, 'INVALID_TOKEN');
    assert.equal(await loginOutcome(server, email, OTHER_PASSWORD), 'INVALID_CREDENTIALS');
    assert.equal(await loginOutcome(server, email, NEW_PASSWORD), 'CreatedSession');
  });

  test('two concurrent resets with one token: exactly one succeeds, and its password is the one set', async () => {
    const email = 'reset.race@example.com';
    await createConfirmedUser(server, email);
    const token = await requestResetToken(server, email);
    const passwords = [NEW_PASSWORD, OTHER_PASSWORD];

    const results = await Promise.all(passwords.map((password) => resetPassword(server, token, password)));
    const kinds = results.map((r) => r.__typename);
    assert.equal(kinds.filter((k) => k === 'AccountStatus').length, 1, JSON.stringify(results));
    assert.equal(kinds.filter((k) => k === 'InvalidTokenError').length, 1, JSON.stringify(results));

    const winner = passwords[kinds.indexOf('AccountStatus')]!;
    const loser = passwords[kinds.indexOf('InvalidTokenError')]!;
    assert.equal(await loginOutcome(server, email, loser), 'INVALID_CREDENTIALS');
    assert.equal(await loginOutcome(server, email, winner), 'CreatedSession');
  });

  test('a weak new password is a ValidationError on newPassword, and the token stays usable', async () => {
    const email = 'reset.weak@example.com';
    await createConfirmedUser(server, email);
    const token = await requestResetToken(server, email);

    for (const weak of ['password', 'short', 'resetweak1']) {
      const result = await resetPassword(server, token, weak);
      assert.equal(result.__typename, 'ValidationError', weak);
      assert.equal(result.code, 'VALIDATION_FAILED');
      assert.deepEqual(
        result.fields.map((f: { field: string }) => f.field),
        ['newPassword'],
      );
      assert.ok(result.fields[0].messages.length > 0);
    }
    assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'CreatedSession', 'the old password still works');
    assert.equal((await resetPassword(server, token, NEW_PASSWORD)).__typename, 'AccountStatus');
    assert.equal(await loginOutcome(server, email, NEW_PASSWORD), 'CreatedSession');
  });

  test('a reset token expires after one hour', async () => {
    const email = 'reset.expired@example.com';
    await createConfirmedUser(server, email);
    const token = await requestResetToken(server, email);
    server.clock.advance(HOUR + 1000);

    const result = await resetPassword(server, token, NEW_PASSWORD);
    assert.equal(result.__typename, 'TokenExpiredError');
    assert.equal(result.code, 'TOKEN_EXPIRED');
    assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'CreatedSession');
  });

  test('garbage tokens and a confirmation token are INVALID_TOKEN', async () => {
    for (const token of ['', 'garbage', 'B'.repeat(43), 'z'.repeat(500)]) {
      assert.equal((await resetPassword(server, token, NEW_PASSWORD)).code, 'INVALID_TOKEN', token.slice(0, 20));
    }
    const email = 'reset.wrong.purpose@example.com';
    await server.gql(`mutation($input: RegisterInput!) { register(input: $input) { __typename } }`, {
      input: { email, password: STRONG_PASSWORD },
    });
    const confirmToken = tokenIn(await server.mail.waitFor(email, /Confirm/));
    assert.equal((await resetPassword(server, confirmToken, NEW_PASSWORD)).code, 'INVALID_TOKEN');
  });

  test('resetting the password of an unconfirmed account confirms it', async () => {
    const email = 'reset.unconfirmed@example.com';
    await server.gql(`mutation($input: RegisterInput!) { register(input: $input) { __typename } }`, {
      input: { email, password: STRONG_PASSWORD },
    });
    assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'EMAIL_NOT_CONFIRMED');

    const token = await requestResetToken(server, email);
    assert.equal((await resetPassword(server, token, NEW_PASSWORD)).__typename, 'AccountStatus');
    const { token: session } = await login(server, email, NEW_PASSWORD);
    const viewer = await server.gql('{ viewer { emailConfirmed } }', {}, { token: session });
    assert.equal(viewer.body.data?.viewer.emailConfirmed, true);
  });

  test('a second request within a minute sends no second email; after a minute it does, and only the newest link works', async () => {
    const email = 'reset.bombing@example.com';
    await createConfirmedUser(server, email);
    const firstToken = await requestResetToken(server, email);

    server.clock.advance(30_000);
    const soon = await server.gql(REQUEST_RESET, { email });
    assert.equal(soon.body.data?.requestPasswordReset.__typename, 'RequestAccepted');
    assert.equal((await resetMails(server, email)).length, 1);

    server.clock.advance(31_000);
    const secondToken = await requestResetToken(server, email);
    assert.notEqual(secondToken, firstToken);
    assert.equal((await resetPassword(server, firstToken, NEW_PASSWORD)).code, 'INVALID_TOKEN');
    assert.equal((await resetPassword(server, secondToken, NEW_PASSWORD)).__typename, 'AccountStatus');
  });

  test('many simultaneous requests for one address send one email', async () => {
    const email = 'reset.burst@example.com';
    await createConfirmedUser(server, email);
    server.clock.advance(RESEND_INTERVAL_PASSED);
    await Promise.all(Array.from({ length: 10 }, () => server.gql(REQUEST_RESET, { email })));
    assert.equal((await resetMails(server, email)).length, 1);
  });

  describe('the HTML form', () => {
    test('the link opens a form that posts the token and a new password', async () => {
      const email = 'form.success@example.com';
      const { token: session } = await createConfirmedUser(server, email);
      await requestResetToken(server, email);
      const link = linkIn((await resetMails(server, email)).at(-1)!);
      const token = link.searchParams.get('token')!;

      const page = await fetch(link);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      const html = await page.text();
      assert.match(html, /<form method="post" action="\/auth\/reset-password">/);
      assert.ok(html.includes(`name="token" value="${token}"`), 'the form carries the token');
      assert.match(html, /name="newPassword"/);

      const done = await postResetForm(server, form({ token, newPassword: NEW_PASSWORD }));
      assert.equal(done.status, 200);
      assert.match(await done.text(), /Password changed/);
      assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'INVALID_CREDENTIALS');
      assert.equal(await loginOutcome(server, email, NEW_PASSWORD), 'CreatedSession');
      assert.equal((await server.gql('{ viewer { id } }', {}, { token: session })).status, 401);

      const reused = await postResetForm(server, form({ token, newPassword: OTHER_PASSWORD }));
      assert.equal(reused.status, 400);
      assert.equal(await loginOutcome(server, email, OTHER_PASSWORD), 'INVALID_CREDENTIALS');
    });

    test('a weak password answers a 400 page with the form again and changes nothing', async () => {
      const email = 'form.weak@example.com';
      const { token: session } = await createConfirmedUser(server, email);
      const token = await requestResetToken(server, email);

      const res = await postResetForm(server, form({ token, newPassword: 'password1' }));
      assert.equal(res.status, 400);
      const html = await res.text();
      assert.match(html, /class="error"/);
      assert.match(html, /<form method="post"/, 'the form is shown again to retry');
      assert.equal(await loginOutcome(server, email, 'password1'), 'INVALID_CREDENTIALS');
      assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'CreatedSession');
      assert.equal((await server.gql('{ viewer { id } }', {}, { token: session })).status, 200, 'sessions are kept');
      assert.equal((await postResetForm(server, form({ token, newPassword: NEW_PASSWORD }))).status, 200, 'the token stays usable');
    });

    test('a body that is not application/x-www-form-urlencoded answers 400 and changes nothing', async () => {
      const email = 'form.json@example.com';
      await createConfirmedUser(server, email);
      const token = await requestResetToken(server, email);

      const json = await postResetForm(server, JSON.stringify({ token, newPassword: NEW_PASSWORD }), 'application/json');
      assert.equal(json.status, 400);
      assert.match(await json.text(), /x-www-form-urlencoded/);
      const multipart = new FormData();
      multipart.set('token', token);
      multipart.set('newPassword', NEW_PASSWORD);
      const res = await fetch(new URL('/auth/reset-password', server.origin), { method: 'POST', body: multipart });
      assert.equal(res.status, 400);

      assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'CreatedSession');
      assert.equal((await resetPassword(server, token, NEW_PASSWORD)).__typename, 'AccountStatus', 'the token was not used up');
    });

    test('a form over 16 KiB answers 413, changes nothing, and the connection stays usable', async () => {
      const email = 'form.huge@example.com';
      await createConfirmedUser(server, email);
      const token = await requestResetToken(server, email);

      for (const padding of [17 * 1024, 4 * 1024 * 1024]) {
        const res = await postResetForm(server, form({ token, newPassword: NEW_PASSWORD, padding: 'x'.repeat(padding) }));
        assert.equal(res.status, 413);
        assert.match(await res.text(), /16 KiB/);
        assert.equal((await fetch(new URL('/health', server.origin))).status, 200);
      }
      assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'CreatedSession');
      assert.equal((await postResetForm(server, form({ token, newPassword: NEW_PASSWORD }))).status, 200, 'the token was not used up');
    });

    test('the form page escapes whatever token the link carries', async () => {
      const res = await fetch(new URL(`/auth/reset-password?token=${encodeURIComponent('"><script>alert(1)</script>')}`, server.origin));
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.ok(!html.includes('<script>'), 'no markup from the query string');
      assert.ok(html.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'));
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    });

    test('an unknown token answers a 400 page', async () => {
      const res = await postResetForm(server, form({ token: 'C'.repeat(43), newPassword: NEW_PASSWORD }));
      assert.equal(res.status, 400);
      assert.match(await res.text(), /not valid/);
    });
  });
});
