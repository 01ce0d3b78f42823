// GraphQL for signing in and out.
import { builder } from '../schema/builder.ts';
import { AccountDisabledError, EmailNotConfirmedError, InvalidCredentialsError, ValidationFailedError } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import { clearedSessionCookie, queueSessionCookie, readSessionCookie } from '../http/session-cookies.ts';
import { issuedSessionCookie } from '../sessions/service.ts';
import { login, logout, type LoginResult } from './service.ts';

export const LoginResultRef = builder.objectRef<LoginResult>('LoginResult').implement({
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

builder.mutationFields((t) => ({
  login: t.field({
    type: LoginResultRef,
    // Nullable so a RATE_LIMITED error nulls only its own field: with a non-null field one throttled
    // alias would null the whole response (losing the other aliases' results) and stop the rest.
    nullable: true,
    authScopes: { public: true },
    description: 'Signs in with email and password. Throttled per account and client (see README).',
    errors: { types: [ValidationFailedError, InvalidCredentialsError, EmailNotConfirmedError, AccountDisabledError] },
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, { email, password }, ctx) => {
      const result = await login(ctx, email, password);
      queueSessionCookie(ctx.services.config, ctx.responseCookies, issuedSessionCookie(ctx.services.config, result));
      // The rest of this operation acts as the new session (e.g. `login { user { email } }`).
      ctx.viewer = result.user;
      ctx.credential = { kind: 'session', via: 'bearer', session: result.session };
      return result;
    },
  }),
  logout: t.boolean({
    authScopes: { public: true },
    description: 'Ends the current session and clears the session cookie. False when there was none.',
    resolve: async (_root, _args, ctx) => {
      const ended = await logout(ctx);
      if (readSessionCookie(ctx.services.config, ctx.request.headers.get('cookie')) !== null) {
        queueSessionCookie(ctx.services.config, ctx.responseCookies, clearedSessionCookie(ctx.services.config));
      }
      ctx.viewer = null;
      ctx.credential = null;
      return ended;
    },
  }),
}));
