// GraphQL for sessions: a user's sessions, and ending them.
import { builder } from '../schema/builder.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { describedRule } from '../schema/auth-rules.ts';
import type { User } from '../accounts/entities.ts';
import { notFound } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import type { Session } from './entities.ts';
import { currentSessionId, listSessions, revokeOtherSessions, revokeSession } from './service.ts';

/** Who is acting as the user in an impersonation session, and why. */
interface ImpersonationInfo {
  id: string;
  email: string;
  reason: string;
}

export const ImpersonatorRef = builder.objectRef<ImpersonationInfo>('Impersonator').implement({
  description:
    'The admin acting as the user in an impersonation session (`impersonateUser`), and the reason they gave. ' +
    'Shown to the user too, in their session list: impersonation is never hidden from the account it looks through.',
  authScopes: { public: true },
  fields: (t) => ({
    id: t.exposeID('id', { description: "The admin's user id." }),
    email: t.exposeString('email', { description: "The admin's email." }),
    reason: t.exposeString('reason'),
  }),
});

const SessionRef = builder.objectRef<Session>('Session').implement({
  description: 'A signed-in device or client. Visible to its owner and to holders of `users:read`.',
  authScopes: describedRule('its owner, or permission `users:read`', (session: Session) => ({
    $any: { self: session.user.id, permission: 'users:read' },
  })),
  fields: (t) => ({
    id: t.exposeID('id'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', description: 'Updated at most once a minute.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    ipAddress: t.exposeString('ipAddress', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    current: t.boolean({
      description: 'Whether this request was made with this session.',
      resolve: (session, _args, ctx) => currentSessionId(ctx) === session.id,
    }),
    impersonatedBy: t.field({
      type: ImpersonatorRef,
      nullable: true,
      description: 'Set when an admin opened this session to act as the user (`impersonateUser`); it lasts at most an hour.',
      // listSessions loads the impersonator with the sessions.
      resolve: (session) => {
        const admin = session.impersonator as User | null;
        return admin && { id: admin.id, email: admin.email, reason: session.impersonationReason ?? '' };
      },
    }),
  }),
});

builder.objectField(UserRef, 'impersonatedBy', (t) =>
  t.field({
    type: ImpersonatorRef,
    nullable: true,
    authScopes: describedRule('the account itself', (user: User) => ({ self: user.id })),
    description:
      'On `viewer`: set when this request comes with an impersonation session, so an app can show a banner ' +
      '("You are acting as …", with `stopImpersonating`). Null otherwise.',
    resolve: (user, _args, ctx) => {
      const impersonation = ctx.credential?.kind === 'session' && ctx.viewer?.id === user.id ? ctx.credential.session.impersonation : null;
      return impersonation && { id: impersonation.by.id, email: impersonation.by.email, reason: impersonation.reason };
    },
  }),
);

builder.objectField(UserRef, 'sessions', (t) =>
  t.field({
    type: [SessionRef],
    authScopes: describedRule('the account itself, or permission `users:read`', (user: User) => ({
      $any: { self: user.id, permission: 'users:read' },
    })),
    description: 'Live sessions, most recently used first.',
    resolve: (user, _args, ctx) =>
      listSessions({ em: ctx.em, config: ctx.services.config, clock: ctx.services.clock }, user.id),
  }),
);

/** The answer of a mutation that ends sessions: how many it ended. */
export const RevokedSessionsRef = builder.objectRef<{ count: number }>('RevokedSessions').implement({
  description: 'Sessions were ended; they stop working at once.',
  authScopes: { public: true },
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'How many sessions ended.' }),
  }),
});

const RevokedSessionRef = builder.objectRef<{ id: string }>('RevokedSession').implement({
  description: 'The session was ended; it stops working at once.',
  authScopes: { public: true },
  fields: (t) => ({
    id: t.exposeID('id'),
  }),
});

builder.mutationFields((t) => ({
  revokeSession: t.fieldWithInput({
    type: RevokedSessionRef,
    nullable: true,
    authScopes: { authenticated: true },
    description: "Ends one of the signed-in user's sessions (it stops working at once). NOT_FOUND when the user has no session with this id.",
    errors: { types: [] },
    input: { id: t.input.id({ required: true }) },
    resolve: async (_root, { input: { id } }, ctx) => {
      if (!(await revokeSession(ctx.em, ctx.viewer!.id, String(id)))) throw notFound('Session');
      publishRevoked(ctx.services, { userId: ctx.viewer!.id, reason: 'SESSION_REVOKED', sessionIds: [String(id)] });
      return { id: String(id) };
    },
  }),
  revokeOtherSessions: t.field({
    type: RevokedSessionsRef,
    nullable: true,
    authScopes: { authenticated: true },
    description: 'Ends every session of the signed-in user except this one.',
    errors: { types: [] },
    resolve: async (_root, _args, ctx) => {
      const keep = currentSessionId(ctx);
      const ended = await revokeOtherSessions(ctx.em, ctx.viewer!.id, keep);
      publishRevoked(ctx.services, { userId: ctx.viewer!.id, reason: 'SESSION_REVOKED', allSessions: true, exceptSessionId: keep });
      return { count: ended };
    },
  }),
}));
