// GraphQL for signing in and out.
import { builder } from '../schema/builder.ts';
import { AccountBannedError, AccountDisabledError, EmailNotConfirmedError, InvalidCredentialsError, InvalidTokenError, TokenExpiredError, ValidationFailedError } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import { clearedSessionCookie, queueSessionCookie, readSessionCookie } from '../http/session-cookies.ts';
import { issuedSessionCookie, liveSessionOf } from '../sessions/service.ts';
import { RevokedSessionsRef } from '../sessions/graphql.ts';
import { login, logout, verifySecondFactor, type LoginResult } from './service.ts';
import { InvalidCodeError, SecondFactorRequiredError } from '../mfa/errors.ts';
import { PASSKEY_CEREMONY_ERRORS, PasskeyAnswerInput } from '../passkeys/graphql.ts';
import type { Context } from '../context.ts';

export const CreatedSessionRef = builder.objectRef<LoginResult>('CreatedSession').implement({
  description:
    'A new session. Browsers also receive it as an HttpOnly cookie; other clients send ' +
    '`Authorization: Bearer <token>`.',
  fields: (t) => ({
    user: t.field({ type: UserRef, authScopes: { public: true }, resolve: (result) => result.user }),
    token: t.string({
      authScopes: { public: true },
      description: 'The opaque session token. Shown once; store it like a password.',
      resolve: (result) => result.token,
    }),
    expiresAt: t.field({ type: 'DateTime', authScopes: { public: true }, resolve: (result) => result.session.expiresAt }),
  }),
});

/** Hands a new session to the client (cookie and result); the rest of this operation acts as it. */
export function signedIn(ctx: Context, result: LoginResult): LoginResult {
  queueSessionCookie(ctx.services.config, ctx.responseCookies, issuedSessionCookie(ctx.services.config, result));
  // E.g. `login { ... on CreatedSession { user { email } } }` reads as the new session.
  ctx.viewer = result.user;
  ctx.credential = { kind: 'session', via: 'bearer', session: liveSessionOf(result.session) };
  ctx.impersonator = null;
  return result;
}

builder.mutationFields((t) => ({
  login: t.fieldWithInput({
    type: CreatedSessionRef,
    nullable: true,
    authScopes: { public: true },
    description: 'Signs in with email and password. Throttled per account and client (see README).',
    errors: { types: [ValidationFailedError, InvalidCredentialsError, EmailNotConfirmedError, AccountDisabledError, AccountBannedError, SecondFactorRequiredError] },
    input: { email: t.input.string({ required: true }), password: t.input.string({ required: true }) },
    resolve: async (_root, { input: { email, password } }, ctx) => signedIn(ctx, await login(ctx, email, password)),
  }),
  verifySecondFactor: t.fieldWithInput({
    type: CreatedSessionRef,
    nullable: true,
    authScopes: { public: true },
    description:
      'Finishes a sign-in that answered `SecondFactorRequired`: the challenge and exactly one of `totp` and `recoveryCode`. ' +
      'Codes are throttled like passwords; a challenge is used up by success or by five wrong codes.',
    errors: { types: [...new Set([ValidationFailedError, InvalidCodeError, InvalidTokenError, TokenExpiredError, AccountDisabledError, AccountBannedError, ...PASSKEY_CEREMONY_ERRORS])] },
    input: {
      challenge: t.input.string({ required: true, description: 'From `SecondFactorRequired.challenge`.' }),
      totp: t.input.string({ description: 'The 6 digits the authenticator app shows.' }),
      passkey: t.input.field({ type: PasskeyAnswerInput, description: 'The answer to `SecondFactorRequired.passkey`.' }),
      recoveryCode: t.input.string({ description: 'One unused recovery code (used up).' }),
    },
    resolve: async (_root, { input: { challenge, totp, recoveryCode, passkey } }, ctx) =>
      signedIn(ctx, await verifySecondFactor(ctx, challenge, { totp, recoveryCode, passkey: passkey && { challengeId: String(passkey.challengeId), response: passkey.response } })),
  }),
  logout: t.field({
    type: RevokedSessionsRef,
    nullable: true,
    authScopes: { public: true },
    description: 'Ends the current session and clears the session cookie. `count` is 1, or 0 when the request had no session.',
    errors: { types: [] },
    resolve: async (_root, _args, ctx) => {
      const ended = await logout(ctx);
      if (readSessionCookie(ctx.services.config, ctx.request.headers.get('cookie')) !== null) {
        queueSessionCookie(ctx.services.config, ctx.responseCookies, clearedSessionCookie(ctx.services.config));
      }
      ctx.viewer = null;
      ctx.credential = null;
      return { count: ended ? 1 : 0 };
    },
  }),
}));
