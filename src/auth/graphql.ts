// GraphQL for signing in and out.
import { builder } from '../schema/builder.ts';
import { AccountDisabledError, EmailNotConfirmedError, InvalidCredentialsError, ValidationFailedError } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import { clearedSessionCookie, queueSessionCookie, readSessionCookie } from '../http/session-cookies.ts';
import { issuedSessionCookie } from '../sessions/service.ts';
import { RevokedSessionsRef } from '../sessions/graphql.ts';
import { login, logout, type LoginResult } from './service.ts';

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

builder.mutationFields((t) => ({
  login: t.fieldWithInput({
    type: CreatedSessionRef,
    nullable: true,
    authScopes: { public: true },
    description: 'Signs in with email and password. Throttled per account and client (see README).',
    errors: { types: [ValidationFailedError, InvalidCredentialsError, EmailNotConfirmedError, AccountDisabledError] },
    input: { email: t.input.string({ required: true }), password: t.input.string({ required: true }) },
    resolve: async (_root, { input: { email, password } }, ctx) => {
      const result = await login(ctx, email, password);
      queueSessionCookie(ctx.services.config, ctx.responseCookies, issuedSessionCookie(ctx.services.config, result));
      // The rest of this operation acts as the new session (e.g. `login { user { email } }`).
      ctx.viewer = result.user;
      ctx.credential = { kind: 'session', via: 'bearer', session: result.session };
      return result;
    },
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
