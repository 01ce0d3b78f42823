// GraphQL for passkeys: registering (two steps), listing, renaming and deleting them. Signing in
// with one is in auth/passkey-graphql.ts, beside `login`.
import { builder } from '../schema/builder.ts';
import { describedRule } from '../schema/auth-rules.ts';
import { errorType } from '../schema/errors.ts';
import { InvalidTokenError, TokenExpiredError, ValidationFailedError } from '../errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import type { User } from '../accounts/entities.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import type { Passkey } from './entities.ts';
import { PasskeyLimitError, PasskeyRejectedError } from './errors.ts';
import { deletePasskey, finishPasskeyRegistration, listPasskeys, renamePasskey, startPasskeyRegistration, type StartedCeremony } from './service.ts';

errorType(PasskeyRejectedError, 'PasskeyRejectedError', 'The browser’s answer did not verify: wrong origin or relying party, no user verification, an unknown or cloned passkey. `message` says which.');
errorType(PasskeyLimitError, 'PasskeyLimitError', 'The account has as many passkeys as it may have; delete one first.');

const ownerOrUserReader = describedRule('the owner, or permission `users:read`', (passkey: Passkey) => ({
  $any: { self: passkey.user.id, permission: PERMISSIONS.usersRead },
}));

const PasskeyRef = builder.objectRef<Passkey>('Passkey').implement({
  description: 'A passkey (WebAuthn credential) that signs in to the account, passwordless or as a second factor.',
  authScopes: ownerOrUserReader,
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'What the owner called it, e.g. "Laptop".' }),
    credentialId: t.exposeString('credentialId', { description: 'The WebAuthn credential id (base64url), as `PublicKeyCredential.id` reports it.' }),
    transports: t.exposeStringList('transports', { description: 'How browsers reach the authenticator (`internal`, `hybrid`, `usb`…), as reported when it was registered.' }),
    multiDevice: t.boolean({
      description: 'True for a passkey synced between devices (e.g. by a password manager), false for one bound to one authenticator.',
      resolve: (passkey) => passkey.deviceType === 'multiDevice',
    }),
    backedUp: t.exposeBoolean('backedUp', { description: 'Whether the authenticator reports the passkey as backed up (as of its last use).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'The last sign-in with it.' }),
  }),
});

/** A WebAuthn ceremony in progress (registration or sign-in). */
export const PasskeyChallengeRef = builder.objectRef<StartedCeremony<object>>('PasskeyChallenge').implement({
  description:
    'A passkey ceremony begun: pass `JSON.parse(options)` to the browser, then send its answer back with `challengeId`. ' +
    'The challenge works once, for 5 minutes.',
  fields: (t) => ({
    challengeId: t.exposeID('challengeId', { authScopes: { public: true } }),
    options: t.string({
      authScopes: { public: true },
      description:
        'JSON of `PublicKeyCredentialCreationOptionsJSON` (registration) or `PublicKeyCredentialRequestOptionsJSON` (sign-in): ' +
        'give `JSON.parse(options)` to `PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON`, ' +
        'or as `optionsJSON` to @simplewebauthn/browser’s `startRegistration` / `startAuthentication`.',
      resolve: (started) => JSON.stringify(started.options),
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', authScopes: { public: true } }),
  }),
});

const DeletedPasskeyRef = builder.objectRef<{ id: string; name: string }>('DeletedPasskey').implement({
  description: 'The passkey was deleted: it no longer signs in.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
  }),
});

builder.objectField(UserRef, 'passkeys', (t) =>
  t.field({
    type: [PasskeyRef],
    authScopes: describedRule('the account itself, or permission `users:read`', (user: User) => ({
      $any: { self: user.id, permission: PERMISSIONS.usersRead },
    })),
    description: 'Passkeys registered to the account, oldest first.',
    resolve: (user, _args, ctx) => listPasskeys(ctx.em, user.id),
  }),
);

const RESPONSE = 'The credential the browser returned, as JSON: `JSON.stringify(credential)` (its `toJSON()`), or what @simplewebauthn/browser returns.';
const CEREMONY_ERRORS = [ValidationFailedError, InvalidTokenError, TokenExpiredError, PasskeyRejectedError];
export { CEREMONY_ERRORS as PASSKEY_CEREMONY_ERRORS };

/** A passkey's answer to a challenge, where another flow (the second sign-in step, step-up) takes one. */
export const PasskeyAnswerInput = builder.inputType('PasskeyAnswerInput', {
  fields: (t) => ({
    challengeId: t.id({ required: true, description: 'The `challengeId` of the PasskeyChallenge answered.' }),
    response: t.string({ required: true, description: RESPONSE }),
  }),
});

builder.mutationFields((t) => ({
  startPasskeyRegistration: t.field({
    type: PasskeyChallengeRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, recentSignIn: true } },
    description:
      'Begins adding a passkey to your account (signed in with a session or a password, not with an access token): ' +
      'a discoverable credential with user verification. Pass the options to `navigator.credentials.create`, then call `finishPasskeyRegistration`.',
    errors: { types: [PasskeyLimitError] },
    resolve: (_root, _args, ctx) => startPasskeyRegistration(ctx),
  }),
  finishPasskeyRegistration: t.fieldWithInput({
    type: PasskeyRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, recentSignIn: true } },
    description: 'Verifies the new credential against the challenge and stores it under `name`. The owner is emailed.',
    errors: { types: [...CEREMONY_ERRORS, PasskeyLimitError] },
    input: {
      challengeId: t.input.id({ required: true, description: 'From `startPasskeyRegistration`.' }),
      response: t.input.string({ required: true, description: RESPONSE }),
      name: t.input.string({ required: true, description: 'One line, at most 100 characters, e.g. "Laptop".' }),
    },
    resolve: (_root, { input }, ctx) =>
      finishPasskeyRegistration(ctx, { challengeId: String(input.challengeId), response: input.response, name: input.name }),
  }),
  renamePasskey: t.fieldWithInput({
    type: PasskeyRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, notImpersonating: true } },
    description: 'Renames one of your passkeys. NOT_FOUND when you have no passkey with that id.',
    errors: { types: [ValidationFailedError] },
    input: { id: t.input.id({ required: true }), name: t.input.string({ required: true, description: 'One line, at most 100 characters.' }) },
    resolve: (_root, { input }, ctx) => renamePasskey(ctx, String(input.id), input.name),
  }),
  deletePasskey: t.fieldWithInput({
    type: DeletedPasskeyRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, recentSignIn: true } },
    description: 'Deletes one of your passkeys (not with an access token); it stops signing in at once. The owner is emailed. NOT_FOUND when you have no passkey with that id.',
    errors: { types: [] },
    input: { id: t.input.id({ required: true }) },
    resolve: (_root, { input }, ctx) => deletePasskey(ctx, String(input.id)),
  }),
}));
