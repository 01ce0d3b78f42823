// GraphQL for second factors: an account's MFA status, enrolling and removing an authenticator
// app, recovery codes, and the `SecondFactorRequired` answer of a sign-in.
import { builder } from '../schema/builder.ts';
import { describedRule } from '../schema/auth-rules.ts';
import { ErrorInterface, errorType } from '../schema/errors.ts';
import { InvalidCredentialsError, ValidationFailedError } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import type { User } from '../accounts/entities.ts';
import { InvalidCodeError, NoSecondFactorError, SecondFactorRequiredError, TotpAlreadyEnabledError, TotpNotEnrolledError } from './errors.ts';
import * as mfa from './service.ts';
import { PASSKEY_CEREMONY_ERRORS, PasskeyAnswerInput, PasskeyChallengeRef } from '../passkeys/graphql.ts';

errorType(InvalidCodeError, 'InvalidCodeError', 'The code is wrong, was already used, or is too old.');
errorType(TotpAlreadyEnabledError, 'TotpAlreadyEnabledError', 'An authenticator app is already set up.');
errorType(TotpNotEnrolledError, 'TotpNotEnrolledError', 'No authenticator app is being set up: call `enrollTotp` first.');
errorType(NoSecondFactorError, 'NoSecondFactorError', 'The account has no second factor.');

export const SecondFactorKindEnum = builder.enumType('SecondFactorKind', {
  values: {
    TOTP: { value: 'totp', description: 'A 6-digit code from an authenticator app.' },
    PASSKEY: { value: 'passkey', description: 'One of the account’s passkeys (`SecondFactorRequired.passkey` holds the request).' },
    RECOVERY_CODE: { value: 'recovery_code', description: 'One of the single-use recovery codes.' },
  } as const,
});

builder.objectType(SecondFactorRequiredError, {
  name: 'SecondFactorRequired',
  description:
    'The password was right and the account has a second factor: no session exists yet. Call `verifySecondFactor` with ' +
    '`challenge` and a code before `expiresAt`.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof SecondFactorRequiredError,
  fields: (t) => ({
    challenge: t.string({
      authScopes: { public: true },
      description: 'Single use, valid until `expiresAt`. Keep it in memory only.',
      resolve: (error) => error.challenge,
    }),
    expiresAt: t.field({ type: 'DateTime', authScopes: { public: true }, resolve: (error) => error.expiresAt }),
    factors: t.field({
      type: [SecondFactorKindEnum],
      authScopes: { public: true },
      description: 'What `verifySecondFactor` accepts for this account.',
      resolve: (error) => error.factors as mfa.SecondFactorKind[],
    }),
    passkey: t.field({
      type: PasskeyChallengeRef,
      nullable: true,
      authScopes: { public: true },
      description: 'When the account has passkeys: the request for `navigator.credentials.get`; send the answer as `verifySecondFactor(input: { passkey })`.',
      resolve: (error) => error.passkey,
    }),
  }),
});

const ReauthenticatedRef = builder.objectRef<{ validUntil: Date }>('Reauthenticated').implement({
  description: 'The session proved who it is again: operations that need a recent sign-in work until `validUntil`.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    validUntil: t.expose('validUntil', { type: 'DateTime' }),
  }),
});

const MfaStatusRef = builder.objectRef<mfa.MfaStatus>('MfaStatus').implement({
  description: "An account's second factors (never their secrets).",
  authScopes: { authenticated: true },
  fields: (t) => ({
    enabled: t.exposeBoolean('enabled', { description: 'A second factor is set up (an authenticator app or a passkey): password sign-ins ask for it.' }),
    totpEnabled: t.exposeBoolean('totpEnabled', { description: 'An authenticator app is set up and confirmed.' }),
    passkeys: t.exposeInt('passkeys', { description: 'Registered passkeys (see `User.passkeys`).' }),
    recoveryCodesRemaining: t.exposeInt('recoveryCodesRemaining', { description: 'Unused recovery codes.' }),
  }),
});

builder.objectField(UserRef, 'mfa', (t) =>
  t.field({
    type: MfaStatusRef,
    authScopes: describedRule('the account itself, or permission `users:read`', (user: User) => ({
      $any: { self: user.id, permission: 'users:read' },
    })),
    resolve: (user, _args, ctx) => mfa.mfaStatus(ctx, user.id),
  }),
);

const TotpEnrollmentRef = builder.objectRef<mfa.TotpEnrollment>('TotpEnrollment').implement({
  description:
    'An authenticator app being set up: show the QR code (or the secret to type in), then call `confirmTotp` with a code the ' +
    'app shows. Until then sign-in is unchanged.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'The base32 seed, for typing into the app by hand. Shown now only.' }),
    uri: t.exposeString('uri', { description: 'The otpauth:// URI the QR code holds.' }),
    qrCodeDataUrl: t.exposeString('qrCodeDataUrl', { description: 'The QR code as an SVG data URL: `<img src="…">`.' }),
  }),
});

const RecoveryCodesRef = builder.objectRef<{ codes: string[]; user: User }>('RecoveryCodes').implement({
  description: 'Ten single-use recovery codes, each one a way to sign in without the app. Shown this once: ask the user to keep them safe.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    codes: t.exposeStringList('codes'),
    user: t.field({ type: UserRef, resolve: (result) => result.user }),
  }),
});

/** Managing factors is a sensitive operation: a recent sign-in, and not with an access token. */
const MANAGE = { $all: { authenticated: true, recentSignIn: true } } as const;

builder.mutationFields((t) => ({
  reauthenticate: t.fieldWithInput({
    type: ReauthenticatedRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, notImpersonating: true } },
    description:
      'Step-up: proves again who the session belongs to, with exactly one of the password, an authenticator code (both throttled like a ' +
      'sign-in) and a passkey (`startPasskeyReauthentication`). Operations answering REAUTHENTICATION_REQUIRED then work for ' +
      'STEP_UP_WINDOW (default 10 minutes). Sessions only.',
    errors: { types: [...new Set([ValidationFailedError, InvalidCredentialsError, InvalidCodeError, ...PASSKEY_CEREMONY_ERRORS])] },
    input: {
      password: t.input.string({ description: 'The account password.' }),
      totp: t.input.string({ description: 'The 6 digits the authenticator app shows.' }),
      passkey: t.input.field({ type: PasskeyAnswerInput, description: 'The answer to `startPasskeyReauthentication`.' }),
    },
    resolve: async (_root, { input: { passkey, ...rest } }, ctx) => ({
      validUntil: await mfa.reauthenticate(ctx, { ...rest, passkey: passkey && { challengeId: String(passkey.challengeId), response: passkey.response } }),
    }),
  }),
  startPasskeyReauthentication: t.field({
    type: PasskeyChallengeRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, notImpersonating: true } },
    description: 'A request for one of your passkeys, to answer `reauthenticate(input: { passkey })` with.',
    errors: { types: PASSKEY_CEREMONY_ERRORS },
    resolve: (_root, _args, ctx) => mfa.startPasskeyReauthentication(ctx, ctx.viewer!),
  }),
  enrollTotp: t.field({
    type: TotpEnrollmentRef,
    nullable: true,
    authScopes: MANAGE,
    description: 'Starts setting up an authenticator app (replacing one set up but not confirmed). Not with an access token.',
    errors: { types: [TotpAlreadyEnabledError] },
    resolve: async (_root, _args, ctx) => {
      mfa.assertNotToken(ctx);
      return mfa.enrollTotp(ctx, ctx.viewer!);
    },
  }),
  confirmTotp: t.fieldWithInput({
    type: RecoveryCodesRef,
    nullable: true,
    authScopes: MANAGE,
    description:
      'Turns the authenticator app on with one code it shows (throttled like a password); from now on `login` asks for a code. ' +
      'Returns the recovery codes. Not with an access token.',
    errors: { types: [ValidationFailedError, InvalidCodeError, TotpNotEnrolledError, TotpAlreadyEnabledError] },
    input: { code: t.input.string({ required: true, description: 'The 6 digits the app shows now.' }) },
    resolve: async (_root, { input: { code } }, ctx) => {
      mfa.assertNotToken(ctx);
      return { codes: await mfa.confirmTotp(ctx, ctx.viewer!, code), user: ctx.viewer! };
    },
  }),
  disableTotp: t.field({
    type: UserRef,
    nullable: true,
    authScopes: MANAGE,
    description: 'Removes the authenticator app (and the recovery codes): signing in needs the password only. Not with an access token.',
    errors: { types: [NoSecondFactorError] },
    resolve: async (_root, _args, ctx) => {
      mfa.assertNotToken(ctx);
      if (!(await mfa.disableTotp(ctx, ctx.viewer!))) throw new NoSecondFactorError();
      return ctx.viewer!;
    },
  }),
  regenerateRecoveryCodes: t.field({
    type: RecoveryCodesRef,
    nullable: true,
    authScopes: MANAGE,
    description: 'Ten new recovery codes; the old ones stop working. Not with an access token.',
    errors: { types: [NoSecondFactorError] },
    resolve: async (_root, _args, ctx) => {
      mfa.assertNotToken(ctx);
      return { codes: await mfa.regenerateRecoveryCodes(ctx, ctx.viewer!), user: ctx.viewer! };
    },
  }),
}));
