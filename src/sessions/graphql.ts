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

builder.mutationFields((t) => ({
  revokeSession: t.boolean({
    authScopes: { authenticated: true },
    description: "Ends one of the signed-in user's sessions (it stops working at once).",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      if (!(await revokeSession(ctx.em, ctx.viewer!.id, String(id)))) throw notFound('Session');
      publishRevoked(ctx.services, { userId: ctx.viewer!.id, reason: 'SESSION_REVOKED', sessionIds: [String(id)] });
      return true;
    },
  }),
  revokeOtherSessions: t.int({
    authScopes: { authenticated: true },
    description: 'Ends every session of the signed-in user except this one; returns how many ended.',
    resolve: async (_root, _args, ctx) => {
      const keep = currentSessionId(ctx);
      const ended = await revokeOtherSessions(ctx.em, ctx.viewer!.id, keep);
      publishRevoked(ctx.services, { userId: ctx.viewer!.id, reason: 'SESSION_REVOKED', allSessions: true, exceptSessionId: keep });
      return ended;
    },
  }),
}));
