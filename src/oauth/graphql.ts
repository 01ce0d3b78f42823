// GraphQL for OAuth sign-in: the providers, starting a sign-in or a link, redeeming a one-time
// login code, and the viewer's linked accounts.
import { builder } from '../schema/builder.ts';
import { describedRule } from '../schema/auth-rules.ts';
import { errorType } from '../schema/errors.ts';
import { AccountBannedError, AccountDisabledError, InvalidTokenError, TokenExpiredError, ValidationFailedError } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import type { User } from '../accounts/entities.ts';
import { CreatedSessionRef, signedIn } from '../auth/graphql.ts';
import { SecondFactorRequiredError } from '../mfa/errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import type { OAuthAccount } from './entities.ts';
import { LastSignInMethodError } from './errors.ts';
import * as oauth from './service.ts';

const anyone = { public: true } as const;
const selfOrUserReader = describedRule('the account itself, or permission `users:read`', (user: User) => ({
  $any: { self: user.id, permission: PERMISSIONS.usersRead },
}));

errorType(LastSignInMethodError, 'LastSignInMethodError', 'Unlinking would leave the account with no way to sign in.');

const OAuthProviderRef = builder.objectRef<{ id: string; name: string }>('OAuthProvider').implement({
  description: 'A configured sign-in provider.',
  fields: (t) => ({
    id: t.exposeString('id', { authScopes: anyone, description: 'github, google, discord, huggingface, auth0 or oidc.' }),
    name: t.exposeString('name', { authScopes: anyone, description: 'For the button, e.g. "GitHub".' }),
  }),
});

const OAuthStartRef = builder.objectRef<oauth.StartedFlow>('OAuthStart').implement({
  description:
    'A sign-in (or link) ready to run: open `url` in the browser (a page of Gatehouse that binds the flow to that browser ' +
    'and goes on to the provider). It works once and only until `expiresAt`.',
  fields: (t) => ({
    url: t.exposeString('url', { authScopes: anyone }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', authScopes: anyone }),
    redirectTo: t.exposeString('redirectTo', {
      authScopes: anyone,
      description: 'Where the browser goes at the end: your redirectTo if OAUTH_REDIRECT_ALLOWLIST allows it, else the default.',
    }),
  }),
});

const OAuthLoginModeEnum = builder.enumType('OAuthLoginMode', {
  description: 'How a finished sign-in reaches the client.',
  values: {
    COOKIE: { value: 'cookie', description: 'The callback sets the session cookie and redirects (browsers).' },
    CODE: { value: 'code', description: 'The callback redirects with `login_code=…`, which `completeOAuthLogin` turns into a session token (mobile and other non-browser clients).' },
  } as const,
});

const LinkedAccountRef = builder.objectRef<OAuthAccount>('LinkedAccount').implement({
  description: 'An identity at a sign-in provider, linked to the account.',
  authScopes: describedRule('the account itself, or permission `users:read`', (account: OAuthAccount) => ({
    $any: { self: account.user.id, permission: PERMISSIONS.usersRead },
  })),
  fields: (t) => ({
    provider: t.exposeString('provider', { description: 'The provider id, e.g. "github".' }),
    subject: t.exposeString('subject', { description: "The provider's stable id of the identity." }),
    login: t.exposeString('login', { nullable: true, description: 'The user name at the provider, as last seen.' }),
    email: t.exposeString('email', { nullable: true, description: 'The email the provider reported, as last seen.' }),
    linkedAt: t.expose('linkedAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'The last sign-in with it.' }),
  }),
});

builder.objectFields(UserRef, (t) => ({
  linkedAccounts: t.field({
    type: [LinkedAccountRef],
    authScopes: selfOrUserReader,
    description: 'Identities at sign-in providers linked to the account, oldest first.',
    resolve: (user, _args, ctx) => oauth.listLinkedAccounts(ctx, user.id),
  }),
  hasPassword: t.boolean({
    authScopes: selfOrUserReader,
    description: 'False for an account made through a provider until a password is set (with a password reset link).',
    resolve: (user, _args, ctx) => oauth.hasPassword(ctx, user),
  }),
}));

builder.queryFields((t) => ({
  oauthProviders: t.field({
    type: [OAuthProviderRef],
    authScopes: anyone,
    description: 'The sign-in providers this server is configured for.',
    resolve: (_root, _args, ctx) => oauth.listProviders(ctx),
  }),
}));

const REDIRECT_TO = 'Where the browser goes at the end; must be on OAUTH_REDIRECT_ALLOWLIST (otherwise the default is used).';

builder.mutationFields((t) => ({
  startOAuthLogin: t.fieldWithInput({
    type: OAuthStartRef,
    nullable: true,
    authScopes: anyone,
    description:
      'Starts signing in with a provider (authorization code flow with state and PKCE). Open the returned `url` in the browser. ' +
      'At the end the browser is sent to `redirectTo`, with `error=<code>&error_description=…` when the sign-in failed (see README).',
    errors: { types: [ValidationFailedError] },
    input: {
      provider: t.input.string({ required: true, description: 'A provider id from `oauthProviders`.' }),
      redirectTo: t.input.string({ description: REDIRECT_TO }),
      mode: t.input.field({ type: OAuthLoginModeEnum, defaultValue: 'cookie' }),
      codeChallenge: t.input.string({
        description:
          'CODE mode (required there): base64url(SHA-256(verifier)) of a random verifier the app keeps (43–128 characters, as in PKCE S256). ' +
          '`completeOAuthLogin` needs the verifier, so another app that intercepts the redirect cannot redeem the code.',
      }),
    },
    resolve: (_root, { input: { provider, redirectTo, mode, codeChallenge } }, ctx) =>
      oauth.startOAuthLogin(ctx, provider, redirectTo, mode ?? 'cookie', codeChallenge),
  }),
  completeOAuthLogin: t.fieldWithInput({
    type: CreatedSessionRef,
    nullable: true,
    authScopes: anyone,
    description:
      'Turns the one-time `login_code` of a CODE-mode sign-in into a session (usable once, within 60 seconds), given the verifier whose ' +
      'challenge the sign-in started with. A wrong verifier uses the code up (INVALID_TOKEN).',
    errors: { types: [InvalidTokenError, TokenExpiredError, AccountDisabledError, AccountBannedError, SecondFactorRequiredError] },
    input: { code: t.input.string({ required: true }), codeVerifier: t.input.string({ required: true }) },
    resolve: async (_root, { input: { code, codeVerifier } }, ctx) => {
      return signedIn(ctx, await oauth.completeOAuthLogin(ctx, code, codeVerifier));
    },
  }),
  linkOAuthAccount: t.fieldWithInput({
    type: OAuthStartRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, notImpersonating: true } },
    description:
      'Starts linking a provider to your account. Open the returned `url` in a browser signed in to this account (the session cookie); ' +
      'at the end it is sent to `redirectTo` with `linked=<provider>`, or with `error=<code>`.',
    errors: { types: [ValidationFailedError] },
    input: { provider: t.input.string({ required: true }), redirectTo: t.input.string({ description: REDIRECT_TO }) },
    resolve: (_root, { input: { provider, redirectTo } }, ctx) => oauth.linkOAuthAccount(ctx, provider, redirectTo),
  }),
  unlinkOAuthAccount: t.fieldWithInput({
    type: UserRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, notImpersonating: true } },
    description: 'Unlinks a provider from your account; refused when it is your only way to sign in.',
    errors: { types: [ValidationFailedError, LastSignInMethodError] },
    input: { provider: t.input.string({ required: true }) },
    resolve: (_root, { input: { provider } }, ctx) => oauth.unlinkOAuthAccount(ctx, provider),
  }),
}));
