// GraphQL for signing in with a passkey: the same session, cookie and audit as `login`.
import { builder } from '../schema/builder.ts';
import { AccountBannedError, AccountDisabledError, EmailNotConfirmedError } from '../errors.ts';
import { PASSKEY_CEREMONY_ERRORS, PasskeyChallengeRef } from '../passkeys/graphql.ts';
import { CreatedSessionRef, signedIn } from './graphql.ts';
import { loginWithPasskey, startPasskeyLogin } from './passkey-login.ts';

builder.mutationFields((t) => ({
  startPasskeyLogin: t.field({
    type: PasskeyChallengeRef,
    nullable: true,
    authScopes: { public: true },
    description:
      'Begins a passwordless sign-in: options for `navigator.credentials.get` that any passkey of this site may answer ' +
      '(discoverable credentials, no email needed; also for `mediation: "conditional"` autofill), user verification required. ' +
      'Throttled per client like `login`.',
    errors: { types: [] },
    resolve: (_root, _args, ctx) => startPasskeyLogin(ctx),
  }),
  finishPasskeyLogin: t.fieldWithInput({
    type: CreatedSessionRef,
    nullable: true,
    authScopes: { public: true },
    description:
      'Signs in with the passkey that answered the challenge of `startPasskeyLogin`: a session like `login`’s (and its cookie). ' +
      'A passkey with user verification counts as two factors, so no second-factor step follows.',
    errors: { types: [...PASSKEY_CEREMONY_ERRORS, AccountDisabledError, AccountBannedError, EmailNotConfirmedError] },
    input: {
      challengeId: t.input.id({ required: true, description: 'From `startPasskeyLogin`.' }),
      response: t.input.string({ required: true, description: 'The credential `navigator.credentials.get` returned, as JSON (`JSON.stringify(credential)`).' }),
    },
    resolve: async (_root, { input }, ctx) => {
      return signedIn(ctx, await loginWithPasskey(ctx, String(input.challengeId), input.response));
    },
  }),
}));
