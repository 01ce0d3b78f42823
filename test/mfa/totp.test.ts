// TOTP as a second factor, end to end over HTTP: enrolling, the two-step sign-in, recovery codes,
// and every way the second step can fail. Codes come from a real TOTP library at the server's clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answeredNothing, createConfirmedUser, errorCodes, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { User } from '../../src/accounts/entities.ts';
import { Session } from '../../src/sessions/entities.ts';
import { LoginChallenge, TotpFactor } from '../../src/mfa/entities.ts';
import { pruneLoginChallenges, sealChallenge } from '../../src/mfa/challenges.ts';
import { SecretBox } from '../../src/util/secret-box.ts';
import { randomBytes } from 'node:crypto';
import { createToken } from '../tokens/token-helpers.ts';
import {
  CONFIRM,
  DISABLE,
  ENROLL,
  enableTotp,
  LOGIN_MFA,
  loginChallenge,
  MFA_STATUS,
  nextStep,
  REGENERATE,
  totpCode,
  VERIFY,
} from './mfa-helpers.ts';

const fork = (server: TestServer) => server.gatehouse.services.orm.em.fork();
const sessionsOf = async (server: TestServer, userId: string) => fork(server).count(Session, { user: userId });
const auditOf = async (server: TestServer, action: string, targetId: string) =>
  (await fork(server).find(AuditEvent, { action, targetId }, { orderBy: { at: 'asc' } })).map((e) => e.details);

describe('TOTP second factor', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('enrolling shows a secret, an otpauth URI and a QR code; sign-in is unchanged until a code confirms it', async () => {
    const email = 'totp.enroll@example.com';
    const { token, userId } = await createConfirmedUser(server, email);
    const enrolled = (await server.gql(ENROLL, {}, { token })).body.data.enrollTotp;
    assert.equal(enrolled.__typename, 'TotpEnrollment');
    assert.match(enrolled.secret, /^[A-Z2-7]{32}$/);
    const uri = new URL(enrolled.uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), enrolled.secret);
    assert.equal(uri.searchParams.get('issuer'), 'Gatehouse');
    assert.match(decodeURIComponent(uri.pathname), /Gatehouse:totp\.enroll@example\.com$/);
    assert.match(enrolled.qrCodeDataUrl, /^data:image\/svg\+xml;base64,/);
    assert.match(Buffer.from(enrolled.qrCodeDataUrl.split(',')[1], 'base64').toString(), /<svg[\s\S]*<\/svg>/);
    // Not confirmed yet: the password alone still signs in.
    assert.equal((await server.gql(LOGIN_MFA, { email, password: STRONG_PASSWORD })).body.data.login.__typename, 'CreatedSession');
    assert.deepEqual((await server.gql(MFA_STATUS, {}, { token })).body.data.viewer.mfa, { totpEnabled: false, recoveryCodesRemaining: 0 });

    // Stored sealed with SECRETS_KEY: the database does not hold the seed.
    const row = await fork(server).findOneOrFail(TotpFactor, { user: userId });
    assert.ok(!row.secret.includes(enrolled.secret));
    assert.match(row.secret, /^v1\./);

    const wrong = (await server.gql(CONFIRM, { code: totpCode(server, enrolled.secret, 5) }, { token })).body.data.confirmTotp;
    assert.equal(wrong.__typename, 'InvalidCodeError');
    const malformed = (await server.gql(CONFIRM, { code: '12345a' }, { token })).body.data.confirmTotp;
    assert.deepEqual(malformed.fields, [{ field: 'code', messages: ['Enter the 6-digit code from your authenticator app.'] }]);

    const confirmed = (await server.gql(CONFIRM, { code: totpCode(server, enrolled.secret) }, { token })).body.data.confirmTotp;
    assert.equal(confirmed.__typename, 'RecoveryCodes');
    assert.equal(confirmed.codes.length, 10);
    assert.equal(new Set(confirmed.codes).size, 10);
    for (const code of confirmed.codes) assert.match(code, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    assert.deepEqual(confirmed.user.mfa, { totpEnabled: true, recoveryCodesRemaining: 10 });
    assert.equal((await server.gql(ENROLL, {}, { token })).body.data.enrollTotp.__typename, 'TotpAlreadyEnabledError');
    await server.mail.waitFor(email, /second factors of your account changed/);
    assert.equal((await auditOf(server, 'mfa.totp_enable', userId)).length, 1);
  });

  test('login answers SecondFactorRequired with no session; verifySecondFactor with a code signs in', async () => {
    const email = 'totp.login@example.com';
    const { token, userId } = await createConfirmedUser(server, email);
    const { secret } = await enableTotp(server, token);
    const before = await sessionsOf(server, userId);

    const res = await server.gql(LOGIN_MFA, { email, password: STRONG_PASSWORD });
    const step = res.body.data.login;
    assert.equal(step.__typename, 'SecondFactorRequired');
    assert.equal(step.code, 'SECOND_FACTOR_REQUIRED');
    assert.deepEqual(step.factors, ['TOTP', 'RECOVERY_CODE']);
    assert.equal(new Date(step.expiresAt).getTime(), server.clock.now().getTime() + 5 * 60_000);
    assert.equal(res.headers.get('set-cookie'), null, 'no cookie before the second factor');
    assert.equal(await sessionsOf(server, userId), before, 'no session before the second factor');

    const done = await server.gql(VERIFY, { input: { challenge: step.challenge, totp: totpCode(server, secret) } });
    assert.equal(done.body.data.verifySecondFactor.__typename, 'CreatedSession', JSON.stringify(done.body));
    assert.match(done.headers.get('set-cookie') ?? '', /gatehouse_session=/);
    const viewer = await server.gql(`{ viewer { email } }`, {}, { token: done.body.data.verifySecondFactor.token });
    assert.equal(viewer.body.data.viewer.email, email);
    assert.deepEqual(await auditOf(server, 'auth.login', userId).then((d) => d.at(-1)), { method: 'password', secondFactor: 'totp' });

    // The challenge is used up.
    const again = await server.gql(VERIFY, { input: { challenge: step.challenge, totp: totpCode(server, secret) } });
    assert.equal(again.body.data.verifySecondFactor.__typename, 'InvalidTokenError');
  });

  test('a code is accepted once (replay refused), within one step of drift either way, not two', async () => {
    const email = 'totp.replay@example.com';
    const { token } = await createConfirmedUser(server, email);
    const { secret } = await enableTotp(server, token);
    const code = totpCode(server, secret);
    const first = await loginChallenge(server, email);
    assert.equal((await server.gql(VERIFY, { input: { challenge: first.challenge, totp: code } })).body.data.verifySecondFactor.__typename, 'CreatedSession');
    const second = await loginChallenge(server, email);
    const replay = (await server.gql(VERIFY, { input: { challenge: second.challenge, totp: code } })).body.data.verifySecondFactor;
    assert.equal(replay.__typename, 'InvalidCodeError', 'the same code twice');

    // A phone clock one step behind or ahead still works (each step once); two steps off does not.
    nextStep(server);
    const late = totpCode(server, secret, -1);
    assert.equal(late, code, 'one step behind is the code just used: still refused');
    assert.equal((await server.gql(VERIFY, { input: { challenge: second.challenge, totp: late } })).body.data.verifySecondFactor.__typename, 'InvalidCodeError');
    assert.equal((await server.gql(VERIFY, { input: { challenge: second.challenge, totp: totpCode(server, secret, 2) } })).body.data.verifySecondFactor.__typename, 'InvalidCodeError');
    assert.equal((await server.gql(VERIFY, { input: { challenge: second.challenge, totp: totpCode(server, secret, 1) } })).body.data.verifySecondFactor.__typename, 'CreatedSession');
    // The step after the one just accepted came first: the current one is now older, so refused too.
    const third = await loginChallenge(server, email);
    assert.equal((await server.gql(VERIFY, { input: { challenge: third.challenge, totp: totpCode(server, secret) } })).body.data.verifySecondFactor.__typename, 'InvalidCodeError');
  });

  test('recovery codes: each works once, in any case and spacing; using one is audited and emailed', async () => {
    const email = 'totp.recovery@example.com';
    const { token, userId } = await createConfirmedUser(server, email);
    const { codes } = await enableTotp(server, token);
    const { challenge } = await loginChallenge(server, email);
    const typed = ` ${codes[3]!.toUpperCase().replaceAll('-', ' ')} `;
    const done = (await server.gql(VERIFY, { input: { challenge, recoveryCode: typed } })).body.data.verifySecondFactor;
    assert.equal(done.__typename, 'CreatedSession');
    const mail = await server.mail.waitFor(email, /recovery code was used/);
    assert.match(mail.text, /9 unused recovery codes remain/);
    assert.deepEqual(await auditOf(server, 'mfa.recovery_code_use', userId), [{ remaining: 9 }]);

    const next = await loginChallenge(server, email);
    assert.equal((await server.gql(VERIFY, { input: { challenge: next.challenge, recoveryCode: codes[3] } })).body.data.verifySecondFactor.__typename, 'InvalidCodeError');
    assert.equal((await server.gql(VERIFY, { input: { challenge: next.challenge, recoveryCode: 'not-a-code' } })).body.data.verifySecondFactor.__typename, 'InvalidCodeError');
    assert.deepEqual((await server.gql(MFA_STATUS, {}, { token })).body.data.viewer.mfa, { totpEnabled: true, recoveryCodesRemaining: 9 });

    // Regenerating replaces them all.
    const fresh = (await server.gql(REGENERATE, {}, { token })).body.data.regenerateRecoveryCodes;
    assert.equal(fresh.codes.length, 10);
    assert.equal((await server.gql(VERIFY, { input: { challenge: next.challenge, recoveryCode: codes[4] } })).body.data.verifySecondFactor.__typename, 'InvalidCodeError');
    assert.equal((await server.gql(VERIFY, { input: { challenge: next.challenge, recoveryCode: fresh.codes[0] } })).body.data.verifySecondFactor.__typename, 'CreatedSession');
  });

  test('the second step refuses: an unknown or expired challenge, both or neither answer, a malformed code; five wrong codes use a challenge up', async () => {
    const email = 'totp.errors@example.com';
    const { token } = await createConfirmedUser(server, email);
    const { secret, codes } = await enableTotp(server, token);
    const verify = async (input: Record<string, unknown>) => (await server.gql(VERIFY, { input })).body.data.verifySecondFactor;

    assert.equal((await verify({ challenge: 'gh2f_unknown', totp: totpCode(server, secret) })).__typename, 'InvalidTokenError');
    assert.equal((await verify({ challenge: 'x'.repeat(5000), totp: totpCode(server, secret) })).__typename, 'InvalidTokenError');
    const { challenge } = await loginChallenge(server, email);
    assert.deepEqual((await verify({ challenge, totp: totpCode(server, secret), recoveryCode: codes[0] })).fields.map((f: any) => f.field), ['recoveryCode']);
    assert.deepEqual((await verify({ challenge })).fields.map((f: any) => f.field), ['totp']);
    assert.deepEqual((await verify({ challenge, totp: '12 34' })).fields.map((f: any) => f.field), ['totp']);

    for (let i = 0; i < 5; i++) assert.equal((await verify({ challenge, totp: '000000' === totpCode(server, secret) ? '111111' : '000000' })).__typename, 'InvalidCodeError');
    assert.equal((await verify({ challenge, totp: totpCode(server, secret) })).__typename, 'InvalidTokenError', 'used up by wrong codes');

    const late = await loginChallenge(server, email);
    server.clock.advance(5 * 60_000 + 1);
    assert.equal((await verify({ challenge: late.challenge, totp: totpCode(server, secret) })).__typename, 'TokenExpiredError');
  });

  test('a challenge is sealed: the first step writes nothing; altered, sealed for something else or under another key, or of a deleted account, it is refused; answered ones are pruned after they expire', async () => {
    const email = 'totp.sealed@example.com';
    const { token, userId } = await createConfirmedUser(server, email);
    const { secret } = await enableTotp(server, token);
    const verify = async (challenge: string) => (await server.gql(VERIFY, { input: { challenge, totp: totpCode(server, secret) } })).body.data.verifySecondFactor;
    const rows = () => fork(server).count(LoginChallenge, {});

    const before = await rows();
    const { challenge } = await loginChallenge(server, email);
    assert.equal(await rows(), before, 'no row until the challenge is answered');
    const last = challenge.at(-2) === 'A' ? 'B' : 'A';
    assert.equal((await verify(challenge.slice(0, -2) + last + challenge.at(-1))).__typename, 'InvalidTokenError', 'altered');
    // Only the exact form the server wrote opens: no stray character (which base64url decoding
    // would skip), no extra part, no tag cut short (GCM would check its first bytes only).
    const [prefix, nonce, tag, ciphertext] = challenge.split('.');
    const forms = {
      'a character appended': `${challenge}x`,
      'an extra part': `${challenge}.AAAA`,
      'the tag cut to 4 bytes': [prefix, nonce, Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url'), ciphertext].join('.'),
      'the nonce padded': [prefix, `${nonce}=`, tag, ciphertext].join('.'),
    };
    for (const [what, form] of Object.entries(forms)) assert.equal((await verify(form)).__typename, 'InvalidTokenError', what);
    // The TOTP seed is sealed with the same key: it does not read as a challenge.
    const seed = (await fork(server).findOneOrFail(TotpFactor, { user: userId })).secret;
    assert.equal((await verify(`gh2f_${seed}`)).__typename, 'InvalidTokenError', 'sealed for another purpose');
    const claims = { userId, method: 'password', expiresAt: new Date(server.clock.now().getTime() + 60_000) };
    assert.equal((await verify(sealChallenge({ secrets: new SecretBox(randomBytes(32)) }, claims))).__typename, 'InvalidTokenError', 'another key');
    // The same claims under the server's key do sign in: the refusals above are the seal's.
    assert.equal((await verify(sealChallenge(server.gatehouse.services, claims))).__typename, 'CreatedSession');
    assert.equal(await rows(), before + 1);

    const deleted = await createConfirmedUser(server, 'totp.sealed.deleted@example.com');
    const deletedFactor = await enableTotp(server, deleted.token);
    const pending = await loginChallenge(server, 'totp.sealed.deleted@example.com');
    await fork(server).nativeDelete(User, { id: deleted.userId });
    const answer = await server.gql(VERIFY, { input: { challenge: pending.challenge, totp: totpCode(server, deletedFactor.secret) } });
    assert.equal(answer.body.data.verifySecondFactor.__typename, 'InvalidTokenError', 'the account is gone');

    // Answered challenges are kept until they expire, then pruned; a newer one stays.
    nextStep(server);
    server.clock.advance(4 * 60_000);
    const newer = await loginChallenge(server, email);
    assert.equal((await verify(newer.challenge)).__typename, 'CreatedSession');
    server.clock.advance(60_000 + 1);
    const pruned = await pruneLoginChallenges(fork(server), server.clock.now());
    assert.ok(pruned >= 1, `pruned ${pruned}`);
    assert.deepEqual((await fork(server).find(LoginChallenge, {})).length, 1);
    assert.equal((await verify(newer.challenge)).__typename, 'InvalidTokenError', 'the kept row still refuses a second use');
  });

  test('a factor removed while a sign-in waits for it: the code no longer signs in', async () => {
    const email = 'totp.removed@example.com';
    const { token } = await createConfirmedUser(server, email);
    const { secret } = await enableTotp(server, token);
    const { challenge } = await loginChallenge(server, email);
    assert.equal((await server.gql(DISABLE, {}, { token })).body.data.disableTotp.__typename, 'User');
    assert.equal((await server.gql(VERIFY, { input: { challenge, totp: totpCode(server, secret) } })).body.data.verifySecondFactor.__typename, 'InvalidCodeError');
    // With no factor the password alone signs in again, and the owner is told.
    assert.equal((await server.gql(LOGIN_MFA, { email, password: STRONG_PASSWORD })).body.data.login.__typename, 'CreatedSession');
    await server.mail.waitFor(email, /second factors of your account changed/);
    assert.equal((await server.gql(DISABLE, {}, { token })).body.data.disableTotp.__typename, 'NoSecondFactorError');
    assert.equal((await server.gql(REGENERATE, {}, { token })).body.data.regenerateRecoveryCodes.__typename, 'NoSecondFactorError');
  });

  test('a disabled account cannot finish the second step', async () => {
    const email = 'totp.disabled@example.com';
    const { token, userId } = await createConfirmedUser(server, email);
    const { secret } = await enableTotp(server, token);
    const { challenge } = await loginChallenge(server, email);
    await fork(server).nativeUpdate(User, { id: userId }, { disabled: true });
    assert.equal((await server.gql(VERIFY, { input: { challenge, totp: totpCode(server, secret) } })).body.data.verifySecondFactor.__typename, 'AccountDisabledError');
  });

  test('factors are managed signed in, never with an access token; anonymous callers are refused', async () => {
    const { token: session } = await createConfirmedUser(server, 'totp.token@example.com');
    const { token } = await createToken(server, session, { name: 'script' });
    for (const document of [ENROLL, DISABLE, REGENERATE]) {
      const res = await server.gql(document, {}, { token });
      assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
      const anonymous = await server.gql(document);
      assert.deepEqual(errorCodes(anonymous), ['UNAUTHENTICATED']);
      assert.ok(answeredNothing(anonymous));
    }
  });

  test('the generated SECRETS_KEY is kept beside the database, readable by the owner only', async () => {
    const file = join(server.dir, 'secrets.key');
    assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
    const { statSync } = await import('node:fs');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});

describe('TOTP codes are throttled like passwords', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ LOGIN_FAILURES_BEFORE_DELAY: '3' });
  });
  after(() => server.close());

  test('after the allowed failures the next code waits, even the right one; aliases count one each', async () => {
    const email = 'totp.throttle@example.com';
    const { token } = await createConfirmedUser(server, email);
    const { secret } = await enableTotp(server, token);
    const wrong = totpCode(server, secret, 10);
    // Three aliased wrong answers in one request: three failures.
    const aliases = `mutation($a: String!, $b: String!, $c: String!, $code: String!) {
      a: verifySecondFactor(input: { challenge: $a, totp: $code }) { __typename }
      b: verifySecondFactor(input: { challenge: $b, totp: $code }) { __typename }
      c: verifySecondFactor(input: { challenge: $c, totp: $code }) { __typename }
    }`;
    const [a, b, c] = [await loginChallenge(server, email), await loginChallenge(server, email), await loginChallenge(server, email)];
    const res = await server.gql(aliases, { a: a.challenge, b: b.challenge, c: c.challenge, code: wrong });
    assert.deepEqual(Object.values(res.body.data).map((r: any) => r.__typename), ['InvalidCodeError', 'InvalidCodeError', 'InvalidCodeError']);
    const { challenge } = await loginChallenge(server, email);
    const limited = await server.gql(VERIFY, { input: { challenge, totp: totpCode(server, secret) } });
    assert.deepEqual(errorCodes(limited), ['RATE_LIMITED'], JSON.stringify(limited.body));
    // Once the delay has passed the right code works.
    server.clock.advance(1000);
    nextStep(server);
    assert.equal((await server.gql(VERIFY, { input: { challenge, totp: totpCode(server, secret) } })).body.data.verifySecondFactor.__typename, 'CreatedSession');
  });
});
