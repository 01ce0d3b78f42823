// GraphQL for first-run setup: `setupStatus` and `completeSetup`, both public (the caller has no
// account yet); the setup token from the server log is what keeps strangers out.
import { builder } from '../schema/builder.ts';
import { EmailTakenError, InvalidTokenError, SetupAlreadyCompletedError, ValidationFailedError } from '../errors.ts';
import { completeSetup, needsSetup } from './setup.ts';
import { AccountStatusRef, accountStatus } from '../accounts/graphql.ts';

const SetupStatusRef = builder.objectRef<{ needsSetup: boolean }>('SetupStatus').implement({
  description: 'Whether this server still waits for its first administrator.',
  fields: (t) => ({
    needsSetup: t.exposeBoolean('needsSetup', {
      authScopes: { public: true },
      description: 'True while no administrator exists: `completeSetup` creates the first one (and `register` is closed unless ALLOW_REGISTRATION_BEFORE_SETUP).',
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
      'Creates the first administrator, a confirmed account. Needs the setup token the server logs at start ' +
      '(or its SETUP_TOKEN setting); a wrong one answers InvalidTokenError. Once an admin exists: SetupAlreadyCompletedError, whatever the token. ' +
      'An email of an account that signed up before setup (ALLOW_REGISTRATION_BEFORE_SETUP) answers EmailTakenError. Does not sign in.',
    errors: { types: [InvalidTokenError, ValidationFailedError, SetupAlreadyCompletedError, EmailTakenError] },
    input: {
      setupToken: t.input.string({ required: true }),
      email: t.input.string({ required: true }),
      password: t.input.string({ required: true, description: 'The same policy as registration (see validatePassword).' }),
    },
    resolve: async (_root, { input }, ctx) => accountStatus(await completeSetup(ctx, input), ctx.services.config),
  }),
}));
