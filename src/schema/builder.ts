// The one Pothos builder: plugins, context type, and the auth scopes every field declares.
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import RelayPlugin from '@pothos/plugin-relay';
import WithInputPlugin from '@pothos/plugin-with-input';
import { viewerAccess, type Context } from '../context.ts';
import { forbidden, impersonationRestricted, reauthenticationRequired, unauthenticated } from '../errors.ts';
import { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import type { UploadedFile } from '../http/multipart.ts';

export interface AuthScopes {
  /** Anyone, signed in or not. Written out so that every field states its rule. */
  public: boolean;
  /** A signed-in viewer. */
  authenticated: boolean;
  /** The signed-in viewer is the user with this id. */
  self: string;
  /** The viewer holds the admin role. */
  admin: boolean;
  /** The viewer holds the role with this name. */
  role: string;
  /** The viewer holds this permission (admins hold every permission). */
  permission: string;
  /** The viewer is the user with this id, or an admin. */
  ownerOrAdmin: string;
  /** The viewer is a member of the organization with this id, or holds `organizations:read` (organizations/access.ts). */
  organizationMember: string;
  /**
   * The viewer holds this organization permission in the organization with this id (through their
   * member role there, or globally `organizations:write`, or for a `…:read` one `organizations:read`).
   */
  organizationPermission: { organizationId: string; permission: string };
  /** A custom rule: any function of the request context. */
  check: (ctx: Context) => boolean | Promise<boolean>;
  /**
   * Step-up: the session proved who it is within STEP_UP_WINDOW (sign-in or `reauthenticate`);
   * failing only this answers REAUTHENTICATION_REQUIRED. Access tokens, HTTP Basic passwords and
   * deployer authenticators prove it on every request.
   */
  recentSignIn: boolean;
  /**
   * The request is not an impersonation session (`impersonateUser`); failing this (or
   * `recentSignIn`, which such a session never has) answers IMPERSONATION_RESTRICTED.
   */
  notImpersonating: boolean;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    /** An integer up to 2^53 − 1 (a JSON number), where Int's 32 bits are too few: byte counts. */
    SafeInt: { Input: number; Output: number };
    ID: { Input: string; Output: string };
    /** Input only: a file part of a multipart request. */
    File: { Input: UploadedFile; Output: never };
  };
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, WithInputPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Scopes are checked before the resolver (and so before any argument is looked up).
    authScopes: (ctx) => ({
      public: true,
      authenticated: ctx.viewer !== null,
      self: (userId: string) => ctx.viewer?.id === userId,
      admin: async () => (await viewerAccess(ctx)).isAdmin,
      role: async (name: string) => (await viewerAccess(ctx)).roles.has(name),
      permission: async (name: string) => (await viewerAccess(ctx)).can(name),
      ownerOrAdmin: async (userId: string) => ctx.viewer?.id === userId || (await viewerAccess(ctx)).isAdmin,
      // A member whose role is known already (the active organization) passes without waiting.
      organizationMember: (organizationId: string) =>
        ctx.loadOrganizationAccess.knownRole(organizationId) ? true : ctx.loadOrganizationAccess(organizationId).then((access) => access.canSee()),
      organizationPermission: async ({ organizationId, permission }) => (await ctx.loadOrganizationAccess(organizationId)).can(permission),
      check: (rule) => rule(ctx),
      // Async on purpose: scope-auth stops an `$all` at its first synchronous failure, and this one must
      // be reported beside the permission check it sits with (a caller lacking both gets FORBIDDEN).
      recentSignIn: async () => isRecentSignIn(ctx),
      notImpersonating: async () => !ctx.impersonator,
    }),
    unauthorizedError: (_parent, ctx, _info, result) => {
      if (!ctx.viewer) return unauthenticated();
      if (ctx.impersonator && onlyFailedOn(result.failure, IMPERSONATION_SCOPES)) return impersonationRestricted();
      return onlyFailedOn(result.failure, STEP_UP_SCOPES) ? reauthenticationRequired() : forbidden();
    },
    authorizeOnSubscribe: true,
  },
  // One shape for every mutation (README "API conventions"): `name(input: NameInput!): NameResult!`,
  // the result a union of what it returns and the errors a caller can correct.
  errors: {
    directResult: true,
    defaultUnionOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Result` },
  },
  withInput: {
    typeOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Input` },
  },
  relay: {
    // No global `node(id)` lookup: each type is fetched through its own guarded field.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    cursorType: 'String',
    // Connection wrappers add no data of their own: the field returning them carries the rule.
    pageInfoTypeOptions: { authScopes: { public: true } },
    defaultConnectionTypeOptions: { authScopes: { public: true } },
    defaultEdgeTypeOptions: { authScopes: { public: true } },
  },
});

function isRecentSignIn(ctx: Context): boolean {
  const credential = ctx.credential;
  // An admin acting as the user never proved to be them.
  if (!credential || ctx.impersonator) return false;
  if (credential.kind !== 'session') return true;
  return ctx.services.clock.now().getTime() - credential.session.authenticatedAt.getTime() < ctx.services.config.mfa.stepUpWindowMs;
}

const STEP_UP_SCOPES: readonly string[] = ['recentSignIn'];
const IMPERSONATION_SCOPES: readonly string[] = ['recentSignIn', 'notImpersonating'];

/**
 * Whether the rule failed only on these scopes: for want of a recent sign-in the answer is
 * "reauthenticate", not "no"; in an impersonation session it is "not while impersonating".
 */
function onlyFailedOn(failure: AuthFailure, scopes: readonly string[]): boolean {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return scopes.includes(failure.scope);
    case AuthScopeFailureType.AllAuthScopes:
    case AuthScopeFailureType.AnyAuthScopes:
      return failure.failures.length > 0 && failure.failures.every((inner) => onlyFailedOn(inner, scopes));
    default:
      return false;
  }
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
