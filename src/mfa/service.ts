// Second factors: enrolling an authenticator app (TOTP, RFC 6238), recovery codes, and the second
// step of a sign-in. Codes are throttled like passwords, per account and client IP, under their own
// key; every accepted TOTP code is used up (its 30-second step is remembered).
import { lockoutError } from '../accounts/lockout.ts';
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { RequestScope } from '../context.ts';
import { ValidationFailedError, InvalidTokenError, TokenExpiredError, forbidden } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { recordAudit } from '../audit/service.ts';
import { hashToken } from '../util/secrets.ts';
import { entityFromRow, findRow, runStatement } from '../db/hot-queries.ts';
import { RecoveryCode, TotpFactor } from './entities.ts';
import { challengeAccount, openChallenge, recordChallengeFailure, sealChallenge, useChallenge } from './challenges.ts';
import { InvalidCodeError, NoSecondFactorError, TotpAlreadyEnabledError, TotpNotEnrolledError } from './errors.ts';
import { factorChangedMessage, recoveryCodeUsedMessage } from './messages.ts';
import { reauthenticate as checkPassword } from '../accounts/service.ts';
import { markCredentialsChanged } from '../accounts/credentials.ts';
import { markReauthenticated } from '../sessions/service.ts';
import { countPasskeys, type StartedCeremony } from '../passkeys/service.ts';
import { Passkey } from '../passkeys/entities.ts';
import { startPasskeyAssertion, verifyPasskeyAssertion } from '../passkeys/assertion.ts';

export const MFA_AUDIT_ACTIONS = {
  totpEnabled: 'mfa.totp_enable',
  totpDisabled: 'mfa.totp_disable',
  recoveryCodesRegenerated: 'mfa.recovery_codes_regenerate',
  recoveryCodeUsed: 'mfa.recovery_code_use',
  secondFactorFailed: 'auth.second_factor_failed',
  reauthenticate: 'auth.reauthenticate',
  reset: 'mfa.reset',
} as const;

const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step before and after the current one: a phone clock 30 s off still works. */
const DRIFT_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;

export type SecondFactorKind = 'totp' | 'passkey' | 'recovery_code';

export interface TotpEnrollment {
  secret: string;
  uri: string;
  qrCodeDataUrl: string;
}

export interface IssuedChallenge {
  challenge: string;
  expiresAt: Date;
  factors: SecondFactorKind[];
  /** When the account has passkeys: the WebAuthn request for one of them. */
  passkey: StartedCeremony<object> | null;
}

/** A passkey's answer: the challenge it answers (from `startPasskeyAssertion`) and the browser's JSON. */
export interface PasskeyAnswer {
  challengeId: string;
  response: string;
}

export interface SecondFactorAnswer {
  totp?: string | null;
  recoveryCode?: string | null;
  passkey?: PasskeyAnswer | null;
}

type Scope = Pick<RequestScope, 'em' | 'services' | 'viewer' | 'ip' | 'userAgent' | 'requestId'>;

/**
 * otpauth's HMAC with the seed imported once per TOTP object: its own imports a Buffer key on every
 * createHmac (about 12 µs against 3 here), and a check with one step of drift computes three.
 */
function importedKeyHmac(): (algorithm: string, key: Uint8Array, message: Uint8Array) => Uint8Array {
  let imported: { key: Uint8Array; object: KeyObject } | null = null;
  return (algorithm, key, message) => {
    if (imported?.key !== key) imported = { key, object: createSecretKey(key) };
    return createHmac(algorithm, imported.object).update(message).digest();
  };
}

function totpOf(scope: Scope, user: User, secret: string): TOTP {
  return new TOTP({
    hmac: importedKeyHmac(),
    issuer: scope.services.config.mfa.totpIssuer,
    label: user.email,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

// The sign-in steps' lookups are prepared statements (src/db/hot-queries.ts): a MikroORM findOne or
// count costs about 0.9 ms of CPU here and a nativeUpdate 0.35 ms; a two-step sign-in made ten of them.
const CONFIRMED_TOTP = 'select * from totp_factors where user_id = ? and confirmed_at is not null limit 1';
/** One query for the three kinds (passkeys is the passkeys domain's table, read here only to know one exists). */
const SECOND_FACTORS =
  'select exists(select 1 from totp_factors where user_id = ? and confirmed_at is not null) as "totp", ' +
  'exists(select 1 from passkeys where user_id = ?) as "passkey", ' +
  'exists(select 1 from recovery_codes where user_id = ? and used_at is null) as "recoveryCode"';
const USE_TOTP_STEP = 'update totp_factors set last_used_step = ? where id = ? and (last_used_step is null or last_used_step < ?)';

async function confirmedTotp(scope: Pick<Scope, 'em'>, userId: string): Promise<TotpFactor | null> {
  const row = await findRow(scope.em, CONFIRMED_TOTP, [userId]);
  return row ? entityFromRow(scope.em, TotpFactor, row) : null;
}

/**
 * The second factors an account has, for the sign-in step (empty: the password alone signs in).
 * An authenticator app and passkeys are factors; recovery codes stand in for them while one exists.
 */
export async function secondFactorsOf(scope: Pick<Scope, 'em'>, userId: string): Promise<SecondFactorKind[]> {
  // exists() is a boolean on PostgreSQL, 0 or 1 on SQLite.
  const row = (await findRow(scope.em, SECOND_FACTORS, [userId, userId, userId]))!;
  const factors: SecondFactorKind[] = [];
  if (row['totp']) factors.push('totp');
  if (row['passkey']) factors.push('passkey');
  if (factors.length && row['recoveryCode']) factors.push('recovery_code');
  return factors;
}

export interface MfaStatus {
  /** A second factor is set up: password sign-ins ask for it. */
  enabled: boolean;
  totpEnabled: boolean;
  passkeys: number;
  recoveryCodesRemaining: number;
}

export async function mfaStatus(scope: Pick<Scope, 'em'>, userId: string): Promise<MfaStatus> {
  const totp = await confirmedTotp(scope, userId);
  const passkeys = await countPasskeys(scope.em, userId);
  const enabled = totp !== null || passkeys > 0;
  const recoveryCodesRemaining = enabled ? await scope.em.count(RecoveryCode, { user: userId, usedAt: null }) : 0;
  return { enabled, totpEnabled: totp !== null, passkeys, recoveryCodesRemaining };
}

export async function hasSecondFactor(scope: Pick<Scope, 'em'>, userId: string): Promise<boolean> {
  return (await confirmedTotp(scope, userId)) !== null || (await countPasskeys(scope.em, userId)) > 0;
}

/**
 * Starts setting up an authenticator app: a new seed (replacing one not yet confirmed), its
 * otpauth:// URI and a QR code of it. Nothing changes for sign-in until `confirmTotp`.
 */
export async function enrollTotp(scope: Scope, user: User): Promise<TotpEnrollment> {
  const { em, services } = scope;
  if (await confirmedTotp(scope, user.id)) throw new TotpAlreadyEnabledError();
  const secret = new Secret({ size: 20 }).base32;
  const sealed = services.secrets.seal(secret);
  const pending = await em.findOne(TotpFactor, { user: user.id });
  if (pending) Object.assign(pending, { secret: sealed, createdAt: services.clock.now(), lastUsedStep: null });
  else em.create(TotpFactor, { user, secret: sealed, createdAt: services.clock.now(), confirmedAt: null, lastUsedStep: null });
  await em.flush();
  const uri = totpOf(scope, user, secret).toString();
  // Loaded on first use: the QR encoder is only needed while someone sets up an app (idle memory).
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  return { secret, uri, qrCodeDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

/** Turns the enrolled app on with one valid code; returns the recovery codes (shown this once). */
export async function confirmTotp(scope: Scope, user: User, code: string): Promise<string[]> {
  const { em, services } = scope;
  const digits = totpCodeOrThrow('code', code);
  const factor = await em.findOne(TotpFactor, { user: user.id });
  if (!factor) throw new TotpNotEnrolledError();
  if (factor.confirmedAt) throw new TotpAlreadyEnabledError();
  await throttled(scope, user, () => acceptTotp(scope, user, factor, digits));
  factor.confirmedAt = services.clock.now();
  const codes = await replaceRecoveryCodes(scope, user);
  await em.flush();
  await markCredentialsChanged(em, user.id, services.clock.now());
  await recordAudit(scope, { action: MFA_AUDIT_ACTIONS.totpEnabled, targetType: 'user', targetId: user.id });
  notify(scope, user, factorChangedMessage(user.email, 'An authenticator app was added as a second factor to your account.'));
  return codes;
}

/** Turns the authenticator app off; with no factor left the recovery codes go too. */
export async function disableTotp(scope: Scope, user: User, reason: { by: 'owner' | 'admin' } = { by: 'owner' }): Promise<boolean> {
  const { em } = scope;
  const factor = await em.findOne(TotpFactor, { user: user.id });
  if (!factor) return false;
  const wasEnabled = factor.confirmedAt !== null;
  await em.remove(factor).flush();
  // The codes stand in for a factor: with none left they go too.
  if (!(await hasSecondFactor(scope, user.id))) await em.nativeDelete(RecoveryCode, { user: user.id });
  if (wasEnabled) {
    await markCredentialsChanged(em, user.id, scope.services.clock.now());
    await recordAudit(scope, { action: MFA_AUDIT_ACTIONS.totpDisabled, targetType: 'user', targetId: user.id, details: { by: reason.by } });
    notify(
      scope,
      user,
      factorChangedMessage(
        user.email,
        reason.by === 'admin'
          ? 'An administrator turned off the second factors of your account. Set up an authenticator app again from your account settings.'
          : 'The authenticator app was removed from your account: signing in needs only your password now.',
      ),
    );
  }
  return wasEnabled;
}

/** New recovery codes for an account with a factor; the old ones stop working. */
export async function regenerateRecoveryCodes(scope: Scope, user: User): Promise<string[]> {
  if (!(await hasSecondFactor(scope, user.id))) throw new NoSecondFactorError();
  const codes = await replaceRecoveryCodes(scope, user);
  await scope.em.flush();
  await markCredentialsChanged(scope.em, user.id, scope.services.clock.now());
  await recordAudit(scope, { action: MFA_AUDIT_ACTIONS.recoveryCodesRegenerated, targetType: 'user', targetId: user.id });
  return codes;
}

async function replaceRecoveryCodes(scope: Scope, user: User): Promise<string[]> {
  const { em, services } = scope;
  await em.nativeDelete(RecoveryCode, { user: user.id });
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
  const now = services.clock.now();
  for (const code of codes) em.create(RecoveryCode, { user, codeHash: hashToken(normaliseRecoveryCode(code)), createdAt: now, usedAt: null });
  return codes;
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** 12 characters from a 31-letter alphabet without look-alikes (about 59 bits), as xxxx-xxxx-xxxx. */
function newRecoveryCode(): string {
  const bytes = randomBytes(24);
  let code = '';
  // Rejection sampling: 248 = 8 × 31, so every letter is equally likely.
  for (const byte of bytes) {
    if (byte < 248) code += RECOVERY_ALPHABET[byte % 31];
    if (code.length === 12) break;
  }
  if (code.length < 12) return newRecoveryCode();
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

function totpCodeOrThrow(field: string, code: string): string {
  const digits = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(digits)) throw ValidationFailedError.field(field, 'Enter the 6-digit code from your authenticator app.');
  return digits;
}

/** Accepts a code of this factor once: the step it matches must be later than the last one used. */
async function acceptTotp(scope: Scope, user: User, factor: TotpFactor, code: string): Promise<boolean> {
  const timestamp = scope.services.clock.now().getTime();
  const delta = totpOf(scope, user, scope.services.secrets.open(factor.secret)).validate({ token: code, timestamp, window: DRIFT_STEPS });
  if (delta === null) return false;
  const step = Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
  // One conditional write: two requests with the same code cannot both pass, on any instance.
  const accepted = await runStatement(scope.em, USE_TOTP_STEP, [step, factor.id, step]);
  if (accepted === 1) factor.lastUsedStep = step;
  return accepted === 1;
}

/** Uses up one unused recovery code of the account; false when it matches none. */
async function acceptRecoveryCode(scope: Scope, user: User, code: string): Promise<boolean> {
  const normalised = normaliseRecoveryCode(code);
  if (!/^[a-z0-9]{1,64}$/.test(normalised)) return false;
  const used = await scope.em.nativeUpdate(
    RecoveryCode,
    { user: user.id, codeHash: hashToken(normalised), usedAt: null },
    { usedAt: scope.services.clock.now() },
  );
  if (used !== 1) return false;
  const remaining = await scope.em.count(RecoveryCode, { user: user.id, usedAt: null });
  await recordAudit({ ...scope, viewer: user }, { action: MFA_AUDIT_ACTIONS.recoveryCodeUsed, targetType: 'user', targetId: user.id, details: { remaining } });
  notify(scope, user, recoveryCodeUsedMessage(user.email, remaining));
  return true;
}

/** The throttle key of an account's codes: its own counters, not the password's. */
const codeKey = (user: User) => `mfa:${user.id}`;

/** Runs a code check under the login throttle: refused while waiting, failures counted. */
async function throttled(scope: Scope, user: User, check: () => Promise<boolean>): Promise<void> {
  const { services } = scope;
  await services.throttle.assertLoginAllowed(codeKey(user), scope.ip);
  if (!(await check())) {
    await services.throttle.recordLoginFailure(codeKey(user), scope.ip);
    await recordAudit({ ...scope, viewer: null }, {
      action: MFA_AUDIT_ACTIONS.secondFactorFailed,
      actorEmail: user.email,
      targetType: 'user',
      targetId: user.id,
    });
    throw new InvalidCodeError();
  }
  await services.throttle.recordLoginSuccess(codeKey(user), scope.ip);
}

/** After the first factor: a single-use challenge for `verifySecondFactor`, valid MFA_CHALLENGE_TTL (sealed: nothing is written). */
export async function issueLoginChallenge(scope: Scope, user: User, method: string, factors: SecondFactorKind[]): Promise<IssuedChallenge> {
  const { services } = scope;
  const expiresAt = new Date(services.clock.now().getTime() + services.config.mfa.challengeTtlMs);
  const challenge = sealChallenge(services, { userId: user.id, method, expiresAt });
  const passkey = factors.includes('passkey') ? await startPasskeyAssertion(scope, { userId: user.id }) : null;
  return { challenge, expiresAt, factors, passkey };
}

/**
 * The one answer a caller sent among `kinds` (in that order of preference for the error's field):
 * a ValidationError naming the second one when several are given, the first when none is.
 */
function exactlyOne<K extends string>(answer: Partial<Record<K, unknown>>, kinds: readonly K[]): K {
  const given = kinds.filter((kind) => answer[kind] != null);
  if (given.length !== 1) {
    throw new ValidationFailedError([{ field: given.length ? given[1]! : kinds[0]!, messages: [`Send exactly one of ${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)}.`] }]);
  }
  return given[0]!;
}

/** A code of the account's confirmed authenticator app, accepted once; false without one (it may have been removed meanwhile). */
async function acceptTotpOf(scope: Scope, user: User, code: string): Promise<boolean> {
  const factor = await confirmedTotp(scope, user.id);
  return factor !== null && (await acceptTotp(scope, user, factor, code));
}

/**
 * The second step of a sign-in: checks the challenge and exactly one answer (a TOTP code, a
 * passkey or a recovery code), and uses the challenge up. Returns the user and how the first
 * factor passed.
 */
export async function completeLoginChallenge(scope: Scope, challenge: string, answer: SecondFactorAnswer): Promise<{ user: User; method: string }> {
  const { em, services } = scope;
  exactlyOne(answer, ['totp', 'passkey', 'recoveryCode'] as const);
  const totpCode = answer.totp != null ? totpCodeOrThrow('totp', answer.totp) : null;
  const claims = openChallenge(services, challenge);
  if (!claims) throw new InvalidTokenError();
  const state = await challengeAccount(em, claims);
  // The account was deleted since the first step, or the challenge was used up.
  if (!state || state.used) throw new InvalidTokenError();
  if (claims.expiresAt.getTime() <= services.clock.now().getTime()) throw new TokenExpiredError();
  const { user } = state;
  const locked = lockoutError(user, services.clock.now());
  if (locked) throw locked;
  if (answer.passkey) {
    // A signature cannot be guessed: its failures are the ceremony's own (PASSKEY_REJECTED …), not throttled codes.
    await verifyPasskeyAssertion(scope, { ...answer.passkey, expectedUserId: user.id });
  } else try {
    await throttled(scope, user, () =>
      totpCode !== null ? acceptTotpOf(scope, user, totpCode) : acceptRecoveryCode(scope, user, answer.recoveryCode!),
    );
  } catch (error) {
    if (error instanceof InvalidCodeError) await recordChallengeFailure(em, claims, state.failures, services.clock.now());
    throw error;
  }
  // Used once: of two requests finishing the same challenge, one wins.
  if (!(await useChallenge(em, claims, services.clock.now()))) throw new InvalidTokenError();
  return { user, method: claims.method };
}

/**
 * Factors are managed by the person, not by a script: a personal access token cannot add or remove
 * them (it could otherwise lock its owner out or weaken the account it was meant to serve).
 */
export function assertNotToken(scope: Pick<RequestScope, 'credential'>): void {
  if (scope.credential?.kind === 'token') throw forbidden('Second factors are managed when signed in, not with an access token.');
}

function notify(scope: Scope, user: User, message: ReturnType<typeof factorChangedMessage>): void {
  scope.services.background.run('second-factor notice', () => scope.services.mailer.send(message));
}

export interface ReauthenticationProof {
  password?: string | null;
  totp?: string | null;
  passkey?: PasskeyAnswer | null;
}

/** A WebAuthn request for one of the viewer's passkeys, to answer `reauthenticate` with. */
export async function startPasskeyReauthentication(scope: Scope, user: User): Promise<StartedCeremony<object>> {
  return startPasskeyAssertion(scope, { userId: user.id });
}

/**
 * Step-up: the session's user proves who they are again (the password or an authenticator code,
 * throttled like a sign-in), which opens sensitive operations for STEP_UP_WINDOW.
 */
export async function reauthenticate(scope: RequestScope, proof: ReauthenticationProof): Promise<Date> {
  const { services } = scope;
  const credential = scope.credential;
  const user = scope.viewer;
  if (!user || !credential) throw forbidden();
  if (credential.kind !== 'session') throw forbidden('Only a session re-authenticates: access tokens and passwords sent with every request need not.');
  const given = exactlyOne(proof, ['password', 'totp', 'passkey'] as const);
  if (proof.passkey) {
    await verifyPasskeyAssertion(scope, { ...proof.passkey, expectedUserId: user.id });
  } else if (proof.password != null) {
    await checkPassword(scope, user, proof.password, 'The password is incorrect.');
  } else {
    const code = totpCodeOrThrow('totp', proof.totp!);
    await throttled(scope, user, () => acceptTotpOf(scope, user, code));
  }
  const now = services.clock.now();
  await markReauthenticated(scope.em, credential.session, now);
  await recordAudit(scope, { action: MFA_AUDIT_ACTIONS.reauthenticate, targetType: 'user', targetId: user.id, details: { with: given } });
  return new Date(now.getTime() + services.config.mfa.stepUpWindowMs);
}

/**
 * An administrator (or the command line) removes every second factor of an account (authenticator
 * app, passkeys, recovery codes), e.g. for a user who lost their phone. Audited and emailed to the
 * user; password sign-ins then need the password only, until the user sets a factor up again.
 */
export async function resetSecondFactors(scope: Scope, user: User): Promise<{ totp: boolean; passkeys: number; recoveryCodes: number }> {
  const { em } = scope;
  const totp = (await em.nativeDelete(TotpFactor, { user: user.id })) > 0;
  const passkeys = await em.nativeDelete(Passkey, { user: user.id });
  const recoveryCodes = await em.count(RecoveryCode, { user: user.id, usedAt: null });
  await em.nativeDelete(RecoveryCode, { user: user.id });
  const removed = { totp, passkeys, recoveryCodes };
  await recordAudit(scope, { action: MFA_AUDIT_ACTIONS.reset, targetType: 'user', targetId: user.id, details: removed });
  if (totp || passkeys > 0) {
    notify(
      scope,
      user,
      factorChangedMessage(
        user.email,
        'An administrator removed the second factors of your account (authenticator app, passkeys and recovery codes). Set them up again from your account settings.',
      ),
    );
  }
  return removed;
}
