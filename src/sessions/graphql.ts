// GraphQL for sessions: a user's sessions, and ending them.
import { builder } from '../schema/builder.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { describedRule } from '../schema/auth-rules.ts';
import type { User } from '../accounts/entities.ts';
import { notFound } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import type { Session } from './entities.ts';
import { currentSessionId, listSessions, revokeOtherSessions, revokeSession } from './service.ts';

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
  }),
});

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
