// GraphQL for the end of live connections: `viewerSessionEnded` tells a client, on the connection
// about to be ended, that its credentials were revoked (so it can show "you were signed out").
import { builder } from '../schema/builder.ts';
import { viewerSessionEnded, type SessionEnded } from './connections.ts';

const SessionEndReason = builder.enumType('SessionEndReason', {
  description: 'Why the credentials of a live connection stopped working.',
  values: {
    LOGOUT: { description: 'The session was signed out.' },
    SESSION_REVOKED: { description: 'The session was revoked (by the user or an admin).' },
    SESSION_EXPIRED: {
      description: 'The session reached its end: SESSION_TTL after sign-in, or SESSION_IDLE_TTL without a request made with it.',
    },
    PASSWORD_CHANGED: { description: 'The password was changed or reset, which ends sessions.' },
    TOKEN_REVOKED: { description: 'The access token was revoked.' },
    TOKEN_EXPIRED: { description: 'The access token reached the end it was created with (expiresInDays).' },
    USER_DISABLED: { description: 'The account was disabled.' },
    USER_BANNED: { description: 'The account was suspended until a time (banUser).' },
    USER_DELETED: { description: 'The account was deleted.' },
  } as const,
});

const SessionEndedRef = builder.objectRef<SessionEnded>('SessionEnded').implement({
  description: 'The credentials this connection was opened with stopped working.',
  fields: (t) => ({
    reason: t.field({ type: SessionEndReason, authScopes: { authenticated: true }, resolve: (ended) => ended.reason }),
    at: t.expose('at', { type: 'DateTime', authScopes: { authenticated: true } }),
  }),
});

builder.subscriptionFields((t) => ({
  viewerSessionEnded: t.field({
    type: SessionEndedRef,
    authScopes: { authenticated: true },
    description:
      'Emits once when the credentials of this connection (session or access token) are revoked, the session ' +
      'expires, or the user is disabled or deleted; the connection is then ended (a WebSocket closes with 4403, an SSE stream completes).',
    subscribe: (_root, _args, ctx) => viewerSessionEnded(ctx),
    resolve: (ended) => ended,
  }),
}));
