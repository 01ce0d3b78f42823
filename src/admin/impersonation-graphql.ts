// GraphQL for impersonation: `impersonateUser` (permission `users:impersonate`, step-up) and
// `stopImpersonating`. The rules and limits are admin/impersonation.ts's.
import { builder } from '../schema/builder.ts';
import { errorType } from '../schema/errors.ts';
import { ValidationFailedError } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import { IMPERSONATE_PERMISSION } from '../sessions/service.ts';
import {
  impersonateUser,
  IMPERSONATION_REASON_MAX,
  NotImpersonableError,
  NotImpersonatingError,
  stopImpersonating,
  type StartedImpersonation,
} from './impersonation.ts';

errorType(NotImpersonableError, 'NotImpersonableError', 'This account cannot be impersonated: an administrator, an account that may impersonate, your own, or a disabled or banned one.');
errorType(NotImpersonatingError, 'NotImpersonatingError', 'The request is not an impersonation session.');

const ImpersonationSessionRef = builder.objectRef<StartedImpersonation>('ImpersonationSession').implement({
  description:
    'A session AS the user, for at most an hour. Send `Authorization: Bearer <token>` to act as them (no cookie is set: the ' +
    "admin's own session stays as it is). It cannot change the user's password, email, second factors, passkeys, linked accounts " +
    'or access tokens (IMPERSONATION_RESTRICTED), and ends with `stopImpersonating`.',
  authScopes: { public: true },
  fields: (t) => ({
    token: t.string({ description: 'The session token. Shown once.', resolve: (started) => started.token }),
    sessionId: t.id({ resolve: (started) => started.session.id }),
    expiresAt: t.field({ type: 'DateTime', resolve: (started) => started.session.expiresAt }),
    user: t.field({ type: UserRef, resolve: (started) => started.user }),
  }),
});

const StoppedImpersonationRef = builder.objectRef<{ id: string }>('StoppedImpersonation').implement({
  description: 'The impersonation session ended; its token stops working at once.',
  authScopes: { public: true },
  fields: (t) => ({
    sessionId: t.id({ resolve: (stopped) => stopped.id }),
  }),
});

builder.mutationFields((t) => ({
  impersonateUser: t.fieldWithInput({
    type: ImpersonationSessionRef,
    nullable: true,
    authScopes: { $all: { permission: IMPERSONATE_PERMISSION, recentSignIn: true } },
    description:
      'Starts a session as another user, to see what they see (support, debugging). Needs `users:impersonate` and a recent sign-in. ' +
      'Administrators, accounts holding `users:impersonate`, your own and locked-out accounts cannot be impersonated ' +
      '(NotImpersonableError). Audited as `user.impersonate`; while it lasts, audit rows name you as the actor and the user as ' +
      '`impersonatedUser`, and the user sees the session, with you and the reason, in their session list.',
    errors: { types: [ValidationFailedError, NotImpersonableError] },
    input: {
      id: t.input.id({ required: true }),
      reason: t.input.string({ required: true, description: `Why (at most ${IMPERSONATION_REASON_MAX} characters).` }),
    },
    resolve: (_root, { input: { id, reason } }, ctx) => impersonateUser(ctx, String(id), reason),
  }),
  stopImpersonating: t.field({
    type: StoppedImpersonationRef,
    nullable: true,
    authScopes: { authenticated: true },
    description: 'Ends the impersonation session this request comes with (audited as `user.impersonate_stop`). The admin’s own session is untouched.',
    errors: { types: [NotImpersonatingError] },
    resolve: async (_root, _args, ctx) => {
      const stopped = await stopImpersonating(ctx);
      ctx.viewer = null;
      ctx.credential = null;
      ctx.impersonator = null;
      return stopped;
    },
  }),
}));
