// Email confirmation end to end: the link in the real email, the server's confirmation page, the
// confirmEmail / resendConfirmation / resendViewerConfirmation mutations, and the login rule.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, errorCodes, type TestServer, answeredNothing } from '../helpers/server.ts';
import { linkIn, type ReceivedMail } from '../helpers/smtp.ts';
import { loginOutcome, mailsTo, tokenIn } from './account-helpers.ts';

const HOUR = 3_600_000;
/** Longer than the interval within which a second confirmation email is not sent. */
const RESEND_INTERVAL_PASSED = 61_000;

const REGISTER = `mutation($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on AccountStatus { email emailConfirmed canLogIn }
    ... on Error { code message }
  }
}`;

const CONFIRM = `mutation($token: String!) {
  confirmEmail(input: { token: $token }) {
    __typename
    ... on AccountStatus { email emailConfirmed canLogIn }
    ... on Error { code message }
  }
}`;

const RESEND = `mutation($email: String!) {
  resendConfirmation(input: { email: $email }) {
    __typename
    ... on RequestAccepted { message }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;

const RESEND_VIEWER = `mutation {
  resendViewerConfirmation {
    __typename
    ... on User { email emailConfirmed }
    ... on Error { code message }
  }
}`;

const VIEWER = `{ viewer { email emailConfirmed emailConfirmedAt } }`;

async function register(server: TestServer, email: string): Promise<void> {
  const res = await server.gql(REGISTER, { input: { email, password: STRONG_PASSWORD } });
  assert.equal(res.body.data?.register.__typename, 'AccountStatus', JSON.stringify(res.body));
}

const confirmationMails = (server: TestServer, email: string): Promise<ReceivedMail[]> => mailsTo(server, email, /Confirm your email/);

/** Registers and returns the token from the confirmation email. */
async function registerAndReadToken(server: TestServer, email: string): Promise<string> {
  await register(server, email);
  return tokenIn(await server.mail.waitFor(email, /Confirm your email/));
}

async function confirmWithGraphql(server: TestServer, token: string) {
  const res = await server.gql(CONFIRM, { token });
  assert.equal(res.status, 200);
  return res.body.data?.confirmEmail;
}

describe('email confirmation', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('the emailed link opens the confirmation page, and the viewer is then confirmed', async () => {
    const email = 'confirm.page@example.com';
    await register(server, email);
    const mail = await server.mail.waitFor(email, /Confirm your email/);
    assert.match(mail.text, /valid for 24 hours/);
    const link = linkIn(mail);
    assert.equal(link.origin, server.origin);
    assert.equal(link.pathname, '/auth/confirm-email');
    assert.ok(mail.html.includes(link.searchParams.get('token')!), 'the HTML part carries the same link');

    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const html = await page.text();
    assert.match(html, /is confirmed/);
    assert.ok(html.includes(email));

    const { token } = await login(server, email);
    const viewer = await server.gql(VIEWER, {}, { token });
    assert.equal(viewer.body.data?.viewer.email, email);
    assert.equal(viewer.body.data?.viewer.emailConfirmed, true);
    assert.equal(new Date(viewer.body.data?.viewer.emailConfirmedAt).getTime(), server.clock.now().getTime());
  });

  test('a token works once: the page answers 400 and confirmEmail INVALID_TOKEN the second time', async () => {
    const email = 'confirm.once@example.com';
    const token = await registerAndReadToken(server, email);
    const link = new URL(`/auth/confirm-email?token=${token}`, server.origin);
    assert.equal((await fetch(link)).status, 200);

    const again = await fetch(link);
    assert.equal(again.status, 400);
    assert.match(await again.text(), /not valid/);
    const result = await confirmWithGraphql(server, token);
    assert.equal(result.__typename, 'InvalidTokenError');
    assert.equal(result.code, 'INVALID_TOKEN');
  });

  test('confirmEmail confirms through GraphQL too, once', async () => {
    const email = 'confirm.graphql@example.com';
    const token = await registerAndReadToken(server, email);
    assert.deepEqual(await confirmWithGraphql(server, token), { __typename: 'AccountStatus', email, emailConfirmed: true, canLogIn: true });
    assert.equal(await loginOutcome(server, email), 'CreatedSession');
    assert.equal((await confirmWithGraphql(server, token)).code, 'INVALID_TOKEN');
    assert.equal((await fetch(new URL(`/auth/confirm-email?token=${token}`, server.origin))).status, 400);
  });

  test('a token is valid for 24 hours and TOKEN_EXPIRED after', async () => {
    const early = 'confirm.before.expiry@example.com';
    const late = 'confirm.after.expiry@example.com';
    const earlyToken = await registerAndReadToken(server, early);
    const lateToken = await registerAndReadToken(server, late);

    server.clock.advance(24 * HOUR - 60_000);
    assert.equal((await confirmWithGraphql(server, earlyToken)).__typename, 'AccountStatus');

    server.clock.advance(2 * 60_000);
    const expired = await confirmWithGraphql(server, lateToken);
    assert.equal(expired.__typename, 'TokenExpiredError');
    assert.equal(expired.code, 'TOKEN_EXPIRED');
    const page = await fetch(new URL(`/auth/confirm-email?token=${lateToken}`, server.origin));
    assert.equal(page.status, 400);
    assert.match(await page.text(), /expired/);
    assert.equal(await loginOutcome(server, late), 'EMAIL_NOT_CONFIRMED');
  });

  test('a garbage, empty or missing token is INVALID_TOKEN', async () => {
    const garbage = ['nope', '', 'A'.repeat(43), 'x'.repeat(1000), 'not a token at all, with spaces and ünïcode!'];
    for (const token of garbage) {
      const result = await confirmWithGraphql(server, token);
      assert.equal(result.__typename, 'InvalidTokenError', `token ${JSON.stringify(token.slice(0, 20))}`);
      assert.equal(result.code, 'INVALID_TOKEN');
    }
    assert.equal((await fetch(new URL('/auth/confirm-email', server.origin))).status, 400);
    assert.equal((await fetch(new URL('/auth/confirm-email?token=%E2%80%AE%00', server.origin))).status, 400);
  });

  test('login before confirming is EMAIL_NOT_CONFIRMED, but only with the right password', async () => {
    const email = 'confirm.later@example.com';
    await register(server, email);
    assert.equal(await loginOutcome(server, email), 'EMAIL_NOT_CONFIRMED');
    // Status is revealed only to someone who knows the password.
    assert.equal(await loginOutcome(server, email, 'wrong password, clearly'), 'INVALID_CREDENTIALS');
  });

  test('resendConfirmation answers the same for unknown, confirmed and unconfirmed addresses; only the unconfirmed one gets mail', async () => {
    const unconfirmed = 'resend.unconfirmed@example.com';
    const confirmed = 'resend.confirmed@example.com';
    const unknown = 'resend.unknown@example.com';
    const firstToken = await registerAndReadToken(server, unconfirmed);
    await createConfirmedUser(server, confirmed);
    server.clock.advance(RESEND_INTERVAL_PASSED);

    const answers = await Promise.all([unknown, confirmed, unconfirmed].map((email) => server.gql(RESEND, { email })));
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, answers[0]!.body);
    }
    assert.equal(answers[0]!.body.data?.resendConfirmation.__typename, 'RequestAccepted');

    assert.equal((await confirmationMails(server, unknown)).length, 0);
    assert.equal((await confirmationMails(server, confirmed)).length, 1, 'only the registration email');
    const mails = await confirmationMails(server, unconfirmed);
    assert.equal(mails.length, 2);
    const newToken = tokenIn(mails[1]!);
    assert.notEqual(newToken, firstToken);

    assert.equal((await confirmWithGraphql(server, firstToken)).code, 'INVALID_TOKEN', 'the older link no longer works');
    assert.equal((await fetch(new URL(`/auth/confirm-email?token=${newToken}`, server.origin))).status, 200);
    assert.equal(await loginOutcome(server, unconfirmed), 'CreatedSession');
  });

  test('resendConfirmation finds the account whatever the spelling of the address', async () => {
    const email = 'Resend.Spelling@example.com';
    await register(server, email);
    server.clock.advance(RESEND_INTERVAL_PASSED);
    await server.gql(RESEND, { email: '  resend.spelling@EXAMPLE.com ' });
    assert.equal((await confirmationMails(server, email)).length, 2);
  });

  test('resendConfirmation sends no second email within a minute of the first', async () => {
    const email = 'resend.too.soon@example.com';
    const firstToken = await registerAndReadToken(server, email);
    server.clock.advance(30_000);
    const res = await server.gql(RESEND, { email });
    assert.equal(res.body.data?.resendConfirmation.__typename, 'RequestAccepted');
    assert.equal((await confirmationMails(server, email)).length, 1);
    assert.equal((await confirmWithGraphql(server, firstToken)).__typename, 'AccountStatus', 'the first link still works');
  });

  test('resendConfirmation with a malformed address is a ValidationError naming email', async () => {
    for (const email of ['not-an-email', '', 'two@@example.com']) {
      const result = (await server.gql(RESEND, { email })).body.data?.resendConfirmation;
      assert.equal(result.__typename, 'ValidationError', email);
      assert.equal(result.code, 'VALIDATION_FAILED');
      assert.deepEqual(
        result.fields.map((f: { field: string }) => f.field),
        ['email'],
      );
    }
  });

  test('resendViewerConfirmation: EmailAlreadyConfirmedError for a confirmed viewer, UNAUTHENTICATED for nobody', async () => {
    const email = 'viewer.confirmed@example.com';
    const { token } = await createConfirmedUser(server, email);
    server.clock.advance(RESEND_INTERVAL_PASSED);
    const res = await server.gql(RESEND_VIEWER, {}, { token });
    assert.equal(res.body.data?.resendViewerConfirmation.__typename, 'EmailAlreadyConfirmedError');
    assert.equal(res.body.data?.resendViewerConfirmation.code, 'EMAIL_ALREADY_CONFIRMED');
    assert.equal((await confirmationMails(server, email)).length, 1);

    const anonymous = await server.gql(RESEND_VIEWER);
    assert.deepEqual(errorCodes(anonymous), ['UNAUTHENTICATED']);
    assert.ok(answeredNothing(anonymous));
  });
});

describe('email confirmation with REQUIRE_EMAIL_CONFIRMATION=false', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ REQUIRE_EMAIL_CONFIRMATION: 'false' });
  });
  after(() => server.close());

  test('an unconfirmed account signs in, still marked unconfirmed', async () => {
    const email = 'optional.confirm@example.com';
    const res = await server.gql(REGISTER, { input: { email, password: STRONG_PASSWORD } });
    assert.deepEqual(res.body.data?.register, { __typename: 'AccountStatus', email, emailConfirmed: false, canLogIn: true });
    await server.mail.waitFor(email, /Confirm your email/);

    const { token } = await login(server, email);
    const viewer = await server.gql(VIEWER, {}, { token });
    assert.deepEqual(viewer.body.data?.viewer, { email, emailConfirmed: false, emailConfirmedAt: null });
  });

  test('resendViewerConfirmation mails a new link to the signed-in viewer, which confirms them', async () => {
    const email = 'optional.viewer@example.com';
    await register(server, email);
    const firstToken = tokenIn(await server.mail.waitFor(email, /Confirm your email/));
    const { token } = await login(server, email);
    server.clock.advance(RESEND_INTERVAL_PASSED);

    const res = await server.gql(RESEND_VIEWER, {}, { token });
    assert.deepEqual(res.body.data?.resendViewerConfirmation, { __typename: 'User', email, emailConfirmed: false });
    const mails = await confirmationMails(server, email);
    assert.equal(mails.length, 2);
    assert.equal((await confirmWithGraphql(server, firstToken)).code, 'INVALID_TOKEN');
    assert.equal((await fetch(linkIn(mails[1]!))).status, 200);

    assert.equal((await server.gql(VIEWER, {}, { token })).body.data?.viewer.emailConfirmed, true);
    const again = await server.gql(RESEND_VIEWER, {}, { token });
    assert.equal(again.body.data?.resendViewerConfirmation.code, 'EMAIL_ALREADY_CONFIRMED');
  });
});
