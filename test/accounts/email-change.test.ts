// Changing the email address end to end, through the real mails: requestEmailChange (step-up, not
// with a token, enumeration-safe), the link to the new address (page and mutation), the notice and
// cancel link to the old one, and what confirming does to sessions, tokens and linked identities.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answeredNothing, createConfirmedUser, errorCodes, login, REGISTER, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { linkIn } from '../helpers/smtp.ts';
import { loginOutcome, mailsTo, tokenIn } from './account-helpers.ts';
import { createToken } from '../tokens/token-helpers.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { EmailToken, User } from '../../src/accounts/entities.ts';
import { OAuthAccount } from '../../src/oauth/entities.ts';
import { maskEmail } from '../../src/util/email.ts';

const REQUEST = `mutation($newEmail: String!) {
  requestEmailChange(input: { newEmail: $newEmail }) {
    __typename
    ... on RequestAccepted { message }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;
const CONFIRM = `mutation($token: String!) {
  confirmEmailChange(input: { token: $token }) {
    __typename
    ... on AccountStatus { email emailConfirmed canLogIn }
    ... on Error { code message }
  }
}`;
const CANCEL = `mutation($token: String!) {
  cancelEmailChange(input: { token: $token }) {
    __typename
    ... on AccountStatus { email }
    ... on Error { code message }
  }
}`;
const VIEWER = `{ viewer { email emailConfirmed } }`;
const CONFIRM_SUBJECT = /Confirm your new email address/;
const NOTICE_SUBJECT = /change of your email address was requested/;
const CHANGED_SUBJECT = /email address of your account was changed/;
const HOUR = 3_600_000;

async function request(server: TestServer, token: string, newEmail: string) {
  const res = await server.gql(REQUEST, { newEmail }, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data?.requestEmailChange;
}

async function confirm(server: TestServer, token: string, options: { token?: string } = {}) {
  return (await server.gql(CONFIRM, { token }, options)).body.data?.confirmEmailChange;
}

/** Submits one of the email-change pages the way its button does. */
async function submitPage(link: URL): Promise<{ status: number; html: string }> {
  const res = await fetch(new URL(link.pathname, link.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: link.searchParams.get('token')! }).toString(),
  });
  return { status: res.status, html: await res.text() };
}

describe('email change', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('the whole flow: link to the new address, notice to the old, the change on confirming; other sessions end, OAuth identities stay', async () => {
    const old = 'change.flow@example.com';
    const next = 'Change.Flow.New@Example.ORG';
    const { token, userId } = await createConfirmedUser(server, old);
    const other = (await login(server, old)).token;
    const em = server.gatehouse.services.orm.em.fork();
    em.create(OAuthAccount, { user: userId, provider: 'github', subject: '4242', login: 'flow', email: old, linkedAt: server.clock.now() });
    await em.flush();

    const accepted = await request(server, token, next);
    assert.equal(accepted.__typename, 'RequestAccepted', JSON.stringify(accepted));

    const link = linkIn(await server.mail.waitFor('Change.Flow.New@example.org', CONFIRM_SUBJECT));
    assert.equal(link.pathname, '/auth/confirm-email-change');
    const notice = await server.mail.waitFor(old, NOTICE_SUBJECT);
    assert.ok(notice.text.includes(maskEmail('Change.Flow.New@example.org')), notice.text);
    assert.ok(!notice.text.toLowerCase().includes('change.flow.new'), 'the new address is masked in the notice');
    assert.equal(linkIn(notice).pathname, '/auth/cancel-email-change');
    // Only the SHA-256 of the tokens is stored.
    const rows = await em.fork().find(EmailToken, { user: userId, purpose: { $in: ['change-email', 'cancel-email-change'] } });
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row) => row.tokenHash !== tokenIn(notice) && row.tokenHash !== link.searchParams.get('token')));

    // Nothing changes before the link is used.
    assert.equal((await server.gql(VIEWER, {}, { token })).body.data.viewer.email, old);
    assert.equal(await loginOutcome(server, old), 'CreatedSession');

    // The page shows a button (opening the link changes nothing); posting it makes the change.
    const opened = await fetch(link);
    assert.equal(opened.status, 200);
    assert.match(await opened.text(), /<form method="post" action="\/auth\/confirm-email-change">/);
    assert.equal((await server.gql(VIEWER, {}, { token })).body.data.viewer.email, old);
    const done = await submitPage(link);
    assert.equal(done.status, 200, done.html);
    assert.match(done.html, /Change\.Flow\.New@example\.org/);

    // The session that asked stays, the others end; the address is confirmed and signs in.
    assert.deepEqual((await server.gql(VIEWER, {}, { token })).body.data.viewer, { email: 'Change.Flow.New@example.org', emailConfirmed: true });
    assert.deepEqual(errorCodes(await server.gql(VIEWER, {}, { token: other })), ['UNAUTHENTICATED']);
    assert.equal(await loginOutcome(server, 'change.flow.new@example.org'), 'CreatedSession');
    assert.equal(await loginOutcome(server, old), 'INVALID_CREDENTIALS');

    const changed = await server.mail.waitFor(old, CHANGED_SUBJECT);
    assert.ok(changed.text.includes(maskEmail('Change.Flow.New@example.org')));
    const linked = await em.fork().find(OAuthAccount, { user: userId });
    assert.deepEqual(linked.map((a) => [a.provider, a.subject]), [['github', '4242']]);
    const [event] = await em.fork().find(AuditEvent, { action: 'account.email_change', targetId: userId });
    assert.deepEqual(event!.details, { from: old, to: 'Change.Flow.New@example.org' });
    assert.equal(event!.actorId, userId);
    assert.equal((await em.fork().find(AuditEvent, { action: 'account.request_email_change', targetId: userId })).length, 1);
    // The cancel link of the notice died with the change.
    assert.equal((await server.gql(CANCEL, { token: tokenIn(notice) })).body.data.cancelEmailChange.code, 'INVALID_TOKEN');
  });

  test('an address another account uses answers the same; its owner gets no mail, the requester\'s old address the notice', async () => {
    const { token } = await createConfirmedUser(server, 'taken.requester@example.com');
    await createConfirmedUser(server, 'taken.owner@example.com');
    const { token: token2 } = await createConfirmedUser(server, 'free.requester@example.com');

    const taken = await request(server, token, 'TAKEN.owner@example.com');
    const free = await request(server, token2, 'free.target@example.com');
    assert.deepEqual(taken, free);

    assert.equal((await mailsTo(server, 'taken.owner@example.com', CONFIRM_SUBJECT)).length, 0);
    assert.equal((await mailsTo(server, 'taken.owner@example.com', /./)).filter((m) => !/Confirm your email/.test(m.subject)).length, 0);
    assert.equal((await mailsTo(server, 'taken.requester@example.com', NOTICE_SUBJECT)).length, 1);
    assert.equal((await mailsTo(server, 'free.target@example.com', CONFIRM_SUBJECT)).length, 1);
    assert.equal((await server.gql(VIEWER, {}, { token })).body.data.viewer.email, 'taken.requester@example.com');
  });

  test('the mutation confirms; a link works once; a new request replaces the pending one', async () => {
    const { token } = await createConfirmedUser(server, 'twice@example.com');
    await request(server, token, 'twice.first@example.com');
    const first = tokenIn(await server.mail.waitFor('twice.first@example.com', CONFIRM_SUBJECT));
    await request(server, token, 'twice.second@example.com');
    const second = tokenIn(await server.mail.waitFor('twice.second@example.com', CONFIRM_SUBJECT));
    assert.equal((await confirm(server, first)).code, 'INVALID_TOKEN', 'the newer request replaced it');

    assert.deepEqual(await confirm(server, second), { __typename: 'AccountStatus', email: 'twice.second@example.com', emailConfirmed: true, canLogIn: true });
    assert.equal((await confirm(server, second)).code, 'INVALID_TOKEN');
    const page = await submitPage(new URL(`/auth/confirm-email-change?token=${second}`, server.origin));
    assert.equal(page.status, 400);
  });

  test('an expired link changes nothing', async () => {
    const { token } = await createConfirmedUser(server, 'expired.change@example.com');
    await request(server, token, 'expired.change.new@example.com');
    const link = tokenIn(await server.mail.waitFor('expired.change.new@example.com', CONFIRM_SUBJECT));
    server.clock.advance(24 * HOUR + 1);
    assert.equal((await confirm(server, link)).code, 'TOKEN_EXPIRED');
    assert.equal((await server.gql(VIEWER, {}, { token })).body.data.viewer.email, 'expired.change@example.com');
  });

  test('the cancel link in the notice voids the pending change (audited)', async () => {
    const { token, userId } = await createConfirmedUser(server, 'cancel.change@example.com');
    await request(server, token, 'cancel.change.new@example.com');
    const confirmToken = tokenIn(await server.mail.waitFor('cancel.change.new@example.com', CONFIRM_SUBJECT));
    const cancelLink = linkIn(await server.mail.waitFor('cancel.change@example.com', NOTICE_SUBJECT));

    const opened = await fetch(cancelLink);
    assert.equal(opened.status, 200);
    assert.match(await opened.text(), /Cancel the change/);
    const cancelled = await submitPage(cancelLink);
    assert.equal(cancelled.status, 200, cancelled.html);
    assert.match(cancelled.html, /cancelled/);

    assert.equal((await confirm(server, confirmToken)).code, 'INVALID_TOKEN');
    assert.equal((await server.gql(CANCEL, { token: cancelLink.searchParams.get('token') })).body.data.cancelEmailChange.code, 'INVALID_TOKEN');
    assert.equal((await server.gql(VIEWER, {}, { token })).body.data.viewer.email, 'cancel.change@example.com');
    const events = await server.gatehouse.services.orm.em.fork().find(AuditEvent, { action: 'account.cancel_email_change', targetId: userId });
    assert.deepEqual(events.map((e) => e.details), [{ newEmail: 'cancel.change.new@example.com' }]);
  });

  test('the cancel mutation', async () => {
    const { token } = await createConfirmedUser(server, 'cancel.mutation@example.com');
    await request(server, token, 'cancel.mutation.new@example.com');
    const confirmToken = tokenIn(await server.mail.waitFor('cancel.mutation.new@example.com', CONFIRM_SUBJECT));
    const cancelToken = tokenIn(await server.mail.waitFor('cancel.mutation@example.com', NOTICE_SUBJECT));
    assert.deepEqual((await server.gql(CANCEL, { token: cancelToken })).body.data.cancelEmailChange, { __typename: 'AccountStatus', email: 'cancel.mutation@example.com' });
    assert.equal((await confirm(server, confirmToken)).code, 'INVALID_TOKEN');
  });

  test('an address taken between the request and the link: EmailTakenError, nothing changes', async () => {
    const { token } = await createConfirmedUser(server, 'race.requester@example.com');
    await request(server, token, 'race.target@example.com');
    const link = tokenIn(await server.mail.waitFor('race.target@example.com', CONFIRM_SUBJECT));
    // Registered meanwhile (unconfirmed is enough to hold an address).
    const registered = await server.gql(REGISTER, { input: { email: 'Race.Target@example.com', password: STRONG_PASSWORD } });
    assert.equal(registered.body.data.register.__typename, 'AccountStatus');
    assert.equal((await confirm(server, link)).__typename, 'EmailTakenError');
    assert.equal((await server.gql(VIEWER, {}, { token })).body.data.viewer.email, 'race.requester@example.com');
    const users = await server.gatehouse.services.orm.em.fork().find(User, { emailKey: 'race.target@example.com' });
    assert.equal(users.length, 1);
  });

  test('a malformed address, or the current one (any case), is a ValidationError naming newEmail; nothing is mailed', async () => {
    const { token } = await createConfirmedUser(server, 'Same.Address@example.com');
    for (const newEmail of ['not an address', 'same.address@EXAMPLE.com']) {
      const result = await request(server, token, newEmail);
      assert.equal(result.__typename, 'ValidationError', newEmail);
      assert.deepEqual(result.fields.map((f: { field: string }) => f.field), ['newEmail']);
    }
    assert.equal((await mailsTo(server, 'Same.Address@example.com', NOTICE_SUBJECT)).length, 0);
  });

  test('anonymous: UNAUTHENTICATED; an access token: FORBIDDEN; nothing is mailed', async () => {
    const anonymous = await server.gql(REQUEST, { newEmail: 'anon.target@example.com' });
    assert.deepEqual(errorCodes(anonymous), ['UNAUTHENTICATED']);
    assert.ok(answeredNothing(anonymous));

    const { token } = await createConfirmedUser(server, 'token.changer@example.com');
    const { token: accessToken } = await createToken(server, token, { name: 'script' });
    const refused = await server.gql(REQUEST, { newEmail: 'token.target@example.com' }, { token: accessToken });
    assert.deepEqual(errorCodes(refused), ['FORBIDDEN']);
    assert.ok(answeredNothing(refused));
    assert.equal((await mailsTo(server, 'token.target@example.com', CONFIRM_SUBJECT)).length, 0);
    assert.equal((await mailsTo(server, 'token.changer@example.com', NOTICE_SUBJECT)).length, 0);
  });
});

describe('email change needs a recent sign-in', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ STEP_UP_WINDOW: '10m' });
  });
  after(() => server.close());

  test('past STEP_UP_WINDOW: REAUTHENTICATION_REQUIRED, no mail; after reauthenticate it is accepted', async () => {
    const { token } = await createConfirmedUser(server, 'stale.changer@example.com');
    server.clock.advance(11 * 60_000);
    const stale = await server.gql(REQUEST, { newEmail: 'stale.target@example.com' }, { token });
    assert.deepEqual(errorCodes(stale), ['REAUTHENTICATION_REQUIRED']);
    assert.ok(answeredNothing(stale));
    assert.equal((await mailsTo(server, 'stale.target@example.com', CONFIRM_SUBJECT)).length, 0);

    const reauth = await server.gql(`mutation { reauthenticate(input: { password: "${STRONG_PASSWORD}" }) { __typename } }`, {}, { token });
    assert.equal(reauth.body.data.reauthenticate.__typename, 'Reauthenticated');
    assert.equal((await request(server, token, 'stale.target@example.com')).__typename, 'RequestAccepted');
    await server.mail.waitFor('stale.target@example.com', CONFIRM_SUBJECT);
  });
});

