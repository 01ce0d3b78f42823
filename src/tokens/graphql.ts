// GraphQL for personal access tokens.
import { builder } from '../schema/builder.ts';
import { describedRule } from '../schema/auth-rules.ts';
import { ValidationFailedError } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import type { User } from '../accounts/entities.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import type { AccessToken } from './entities.ts';
import { createAccessToken, listAccessTokens, revokeAccessToken, TOKEN_PREFIX, type CreatedAccessToken } from './service.ts';

const ownerOrUserReader = describedRule('the owner, or permission `users:read`', (token: AccessToken) => ({
  $any: { self: token.user.id, permission: PERMISSIONS.usersRead },
}));

const AccessTokenRef = builder.objectRef<AccessToken>('AccessToken').implement({
  description: 'A personal access token. The secret itself is shown only once, when it is created.',
  authScopes: ownerOrUserReader,
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.string({ description: 'The fixed prefix every token starts with.', resolve: () => TOKEN_PREFIX }),
    lastFour: t.exposeString('lastFour', { description: 'The last four characters, to tell tokens apart.' }),
    permissions: t.stringList({
      nullable: true,
      description: 'The permissions the token is limited to; null means everything its owner may do.',
      resolve: (token) => token.permissions ?? null,
    }),
    organizationId: t.id({
      nullable: true,
      description: 'The one organization the token acts in (it sees no other, and holds only the global permissions it lists); null: any.',
      resolve: (token) => token.organization?.id ?? null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Updated at most once a minute.' }),
    expired: t.boolean({ resolve: (token, _args, ctx) => !!token.expiresAt && token.expiresAt <= ctx.services.clock.now() }),
  }),
});

const CreatedAccessTokenRef = builder.objectRef<CreatedAccessToken>('CreatedAccessToken').implement({
  description: 'A new token. Copy `token` now: it cannot be shown again.',
  fields: (t) => ({
    token: t.exposeString('token', {
      authScopes: { authenticated: true },
      description: 'Use as `Authorization: Bearer <token>`, or as the password of HTTP Basic user `__token__`.',
    }),
    accessToken: t.field({ type: AccessTokenRef, authScopes: { authenticated: true }, resolve: (created) => created.accessToken }),
  }),
});

const CreateAccessTokenInput = builder.inputType('CreateAccessTokenInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'What the token is for, e.g. "CI deploys".' }),
    expiresInDays: t.int({ description: 'Days until it stops working (1–3650); omit for no expiry.' }),
    permissions: t.stringList({ description: 'Limit the token to these of your permissions; omit for all of them (none, with `organizationId`).' }),
    organizationId: t.id({
      description: 'Limit the token to this organization (you must be a member): it sees no other, and holds no global permission beyond `permissions`.',
    }),
  }),
});

builder.objectField(UserRef, 'accessTokens', (t) =>
  t.field({
    type: [AccessTokenRef],
    authScopes: describedRule('the account itself, or permission `users:read`', (user: User) => ({
      $any: { self: user.id, permission: PERMISSIONS.usersRead },
    })),
    description: 'Personal access tokens, newest first.',
    resolve: (user, _args, ctx) => listAccessTokens(ctx.em, user.id),
  }),
);

const RevokedAccessTokenRef = builder.objectRef<{ id: string }>('RevokedAccessToken').implement({
  description: 'The token was revoked; it stops working at once.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeID('id'),
  }),
});

builder.mutationFields((t) => ({
  createAccessToken: t.field({
    type: CreatedAccessTokenRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, recentSignIn: true } },
    description:
      'Creates a personal access token for the signed-in user (signed in with a session or a password, not with a token). ' +
      'A session needs a recent sign-in (`reauthenticate`).',
    errors: { types: [ValidationFailedError] },
    args: { input: t.arg({ type: CreateAccessTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) => createAccessToken(ctx, { ...input, organizationId: input.organizationId == null ? null : String(input.organizationId) }),
  }),
  revokeAccessToken: t.fieldWithInput({
    type: RevokedAccessTokenRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, notImpersonating: true } },
    description:
      'Revokes one of your tokens (or anyone’s, with permission `users:write`); it stops working at once. ' +
      'NOT_FOUND when there is no such token (or it is not yours and you lack `users:write`).',
    errors: { types: [] },
    input: { id: t.input.id({ required: true }) },
    resolve: async (_root, { input: { id } }, ctx) => {
      await revokeAccessToken(ctx, String(id));
      return { id: String(id) };
    },
  }),
}));
