// GraphQL for first-run setup: `setupStatus` and `completeSetup`, both public (the caller has no
// account yet); the setup token from the server log is what keeps strangers out.
import { builder } from '../schema/builder.ts';
import { InvalidTokenError, SetupAlreadyCompletedError, ValidationFailedError } from '../errors.ts';
import { completeSetup, needsSetup } from './setup.ts';
import { AccountStatusRef, accountStatus } from '../accounts/graphql.ts';

const SetupStatusRef = builder.objectRef<{ needsSetup: boolean }>('SetupStatus').implement({
  description: 'Whether this server still waits for its first account.',
  fields: (t) => ({
    needsSetup: t.exposeBoolean('needsSetup', {
      authScopes: { public: true },
      description: 'True while no account exists: `completeSetup` creates the first admin.',
    }),
  }),
});

builder.queryFields((t) => ({
  setupStatus: t.field({
    type: SetupStatusRef,
    authScopes: { public: true },
    description: 'First-run state of the server.',
    resolve: async (_root, _args, ctx) => ({ needsSetup: await needsSetup(ctx.em) }),
  }),
}));

builder.mutationFields((t) => ({
  completeSetup: t.fieldWithInput({
    type: AccountStatusRef,
    nullable: true,
    authScopes: { public: true },
    description:
      'Creates the first account as a confirmed admin. Needs the setup token the server logs at start ' +
      '(or its SETUP_TOKEN setting); a wrong one answers InvalidTokenError. Once any account exists: SetupAlreadyCompletedError, whatever the token. ' +
      'Does not sign in.',
    errors: { types: [InvalidTokenError, ValidationFailedError, SetupAlreadyCompletedError] },
    input: {
      setupToken: t.input.string({ required: true }),
      email: t.input.string({ required: true }),
      password: t.input.string({ required: true, description: 'The same policy as registration (see validatePassword).' }),
    },
    resolve: async (_root, { input }, ctx) => accountStatus(await completeSetup(ctx, input), ctx.services.config),
  }),
}));
