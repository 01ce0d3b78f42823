// The one Pothos builder: plugins, context type, and the auth scopes every field declares.
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Context } from '../context.ts';
import { forbidden, unauthenticated } from '../errors.ts';

export interface AuthScopes {
  /** Anyone, signed in or not. Written out so that every field states its rule. */
  public: boolean;
  /** A signed-in viewer. */
  authenticated: boolean;
  /** The signed-in viewer is the user with this id. */
  self: string;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string };
  };
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Scopes are checked before the resolver (and so before any argument is looked up).
    authScopes: (ctx) => ({
      public: true,
      authenticated: ctx.viewer !== null,
      self: (userId: string) => ctx.viewer?.id === userId,
    }),
    unauthorizedError: (_parent, ctx) => (ctx.viewer ? forbidden() : unauthenticated()),
    authorizeOnSubscribe: true,
  },
  errors: {
    directResult: true,
  },
});

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

builder.queryType({});
builder.mutationType({});
