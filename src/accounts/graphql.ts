// GraphQL for accounts: the User type, `viewer`, registration, confirmation, profile and passwords.
import { builder, type Types } from '../schema/builder.ts';
import { describedRule } from '../schema/auth-rules.ts';
import {
  EmailAlreadyConfirmedError,
  EmailTakenError,
  SetupRequiredError,
  InvalidCredentialsError,
  InvalidTokenError,
  LastAdminError,
  OwnerRequiredError,
  TokenExpiredError,
  ValidationFailedError,
} from '../errors.ts';
import type { User } from './entities.ts';
import { checkEmail } from '../util/email.ts';
import * as accounts from './service.ts';
import { deleteAccount } from './deletion.ts';
import { cancelEmailChange, confirmEmailChange, requestEmailChange } from './email-change.ts';
import { clearedSessionCookie, queueSessionCookie, readSessionCookie } from '../http/session-cookies.ts';

export const UserRef = builder.objectRef<User>('User');

UserRef.implement({
  description: 'An account. Its fields are visible to the account itself and to holders of `users:read`.',
  authScopes: describedRule('the account itself, or permission `users:read`', (user: User) => ({
    $any: { self: user.id, permission: 'users:read' },
  })),
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    emailConfirmed: t.boolean({ resolve: (user) => user.emailConfirmedAt !== null }),
    emailConfirmedAt: t.expose('emailConfirmedAt', { type: 'DateTime', nullable: true }),
    displayName: t.exposeString('displayName', { nullable: true }),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    phone: t.exposeString('phone', { nullable: true }),
    bio: t.exposeString('bio', { nullable: true }),
    avatarUrl: t.exposeString('avatarUrl', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const profileFields = (t: PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>) => ({
  displayName: t.string({ required: false }),
  firstName: t.string({ required: false }),
  lastName: t.string({ required: false }),
  phone: t.string({ required: false }),
  bio: t.string({ required: false }),
  avatarUrl: t.string({ required: false, description: 'An http(s) URL.' }),
});

const RegisterInput = builder.inputType('RegisterInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true, description: '8–256 characters, hard to guess (see validatePassword).' }),
    ...profileFields(t),
  }),
});

const UpdateProfileInput = builder.inputType('UpdateProfileInput', {
  description: 'Profile changes: an omitted field stays as it is; null or "" clears it.',
  fields: (t) => profileFields(t),
});

/** What a signed-out caller may learn about the account it just acted on (it cannot read the User). */
export interface AccountStatus {
  email: string;
  emailConfirmed: boolean;
  canLogIn: boolean;
}

export function accountStatus(user: User, config: { requireEmailConfirmation: boolean }): AccountStatus {
  const emailConfirmed = user.emailConfirmedAt !== null;
  return { email: user.email, emailConfirmed, canLogIn: !user.disabled && (emailConfirmed || !config.requireEmailConfirmation) };
}

export const AccountStatusRef = builder.objectRef<AccountStatus>('AccountStatus').implement({
  description:
    'The account a signed-out flow (register, confirmEmail, resetPassword, completeSetup) acted on: what the caller may know ' +
    'without being signed in. None of these flows signs in; call `login` next.',
  authScopes: { public: true },
  fields: (t) => ({
    email: t.exposeString('email'),
    emailConfirmed: t.exposeBoolean('emailConfirmed'),
    canLogIn: t.exposeBoolean('canLogIn', {
      description: 'Whether `login` accepts the account now: false while it waits for its email confirmation (when the server requires one) or is disabled.',
    }),
  }),
});

/** An account that no longer exists: only what the caller already knew. */
export const DeletedUserRef = builder.objectRef<{ id: string; email: string }>('DeletedUser').implement({
  description: 'The account was deleted, with its sessions and tokens.',
  fields: (t) => ({
    id: t.exposeID('id', { authScopes: { public: true } }),
    email: t.exposeString('email', { authScopes: { public: true } }),
  }),
});

const RequestAccepted = builder.objectRef<{ message: string }>('RequestAccepted').implement({
  description: 'The request was accepted. The answer is the same whether or not the email is registered (or, for an email change, taken).',
  fields: (t) => ({ message: t.exposeString('message', { authScopes: { public: true } }) }),
});

function assertEmailFormat(field: string, email: string): void {
  const problem = checkEmail(email);
  if (problem) throw ValidationFailedError.field(field, problem);
}

builder.queryFields((t) => ({
  viewer: t.field({
    type: UserRef,
    nullable: true,
    authScopes: { public: true },
    description: 'The signed-in user, or null when anonymous.',
    resolve: (_root, _args, ctx) => ctx.viewer,
  }),
}));

builder.mutationFields((t) => ({
  register: t.field({
    type: AccountStatusRef,
    nullable: true,
    authScopes: { public: true },
    description:
      'Creates an account and emails a confirmation link. Does not sign in. SetupRequiredError until an administrator has claimed ' +
      'the server (first-run setup), unless ALLOW_REGISTRATION_BEFORE_SETUP is set.',
    errors: { types: [ValidationFailedError, EmailTakenError, SetupRequiredError] },
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const user = await accounts.register(ctx, input);
      return accountStatus(user, ctx.services.config);
    },
  }),
  confirmEmail: t.fieldWithInput({
    type: AccountStatusRef,
    nullable: true,
    authScopes: { public: true },
    description: 'Confirms an email address with the token from the emailed link. Each token works once.',
    errors: { types: [InvalidTokenError, TokenExpiredError] },
    input: { token: t.input.string({ required: true }) },
    resolve: async (_root, { input: { token } }, ctx) => accountStatus(await accounts.confirmEmail(ctx, token), ctx.services.config),
  }),
  resendConfirmation: t.fieldWithInput({
    type: RequestAccepted,
    nullable: true,
    authScopes: { public: true },
    description: 'Emails a new confirmation link if the address belongs to an unconfirmed account.',
    errors: { types: [ValidationFailedError] },
    input: { email: t.input.string({ required: true }) },
    resolve: async (_root, { input: { email } }, ctx) => {
      assertEmailFormat('email', email);
      await accounts.resendConfirmation(ctx, email);
      return { message: 'If an unconfirmed account uses this address, a new confirmation link is on its way.' };
    },
  }),
  resendViewerConfirmation: t.field({
    type: UserRef,
    nullable: true,
    authScopes: { authenticated: true },
    description: "Emails a new confirmation link to the signed-in user's own address.",
    errors: { types: [EmailAlreadyConfirmedError] },
    resolve: async (_root, _args, ctx) => {
      await accounts.resendViewerConfirmation(ctx, ctx.viewer!);
      return ctx.viewer!;
    },
  }),
  requestPasswordReset: t.fieldWithInput({
    type: RequestAccepted,
    nullable: true,
    authScopes: { public: true },
    description: 'Emails a password reset link if the address is registered. Answers the same either way.',
    errors: { types: [ValidationFailedError] },
    input: { email: t.input.string({ required: true }) },
    resolve: async (_root, { input: { email } }, ctx) => {
      assertEmailFormat('email', email);
      await accounts.requestPasswordReset(ctx, email);
      return { message: 'If an account uses this address, a password reset link is on its way.' };
    },
  }),
  resetPassword: t.fieldWithInput({
    type: AccountStatusRef,
    nullable: true,
    authScopes: { public: true },
    description: 'Sets a new password with the emailed token and ends every session of the account. Does not sign in.',
    errors: { types: [InvalidTokenError, TokenExpiredError, ValidationFailedError] },
    input: { token: t.input.string({ required: true }), newPassword: t.input.string({ required: true }) },
    resolve: async (_root, { input: { token, newPassword } }, ctx) =>
      accountStatus(await accounts.resetPassword(ctx, token, newPassword), ctx.services.config),
  }),
  changePassword: t.fieldWithInput({
    type: UserRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, notImpersonating: true } },
    description: "Changes the signed-in user's password and ends their other sessions.",
    errors: { types: [InvalidCredentialsError, ValidationFailedError] },
    input: { currentPassword: t.input.string({ required: true }), newPassword: t.input.string({ required: true }) },
    resolve: (_root, { input: { currentPassword, newPassword } }, ctx) =>
      accounts.changePassword(ctx, ctx.viewer!, currentPassword, newPassword),
  }),
  updateProfile: t.field({
    type: UserRef,
    nullable: true,
    authScopes: { authenticated: true },
    description: "Updates the signed-in user's profile.",
    errors: { types: [ValidationFailedError] },
    args: { input: t.arg({ type: UpdateProfileInput, required: true }) },
    resolve: (_root, { input }, ctx) => accounts.updateProfile(ctx, ctx.viewer!, input),
  }),
  requestEmailChange: t.fieldWithInput({
    type: RequestAccepted,
    nullable: true,
    authScopes: { $all: { authenticated: true, recentSignIn: true } },
    description:
      'Asks to change the signed-in user\'s email address: mails a single-use link to the new address and a notice with a cancel link ' +
      'to the current one. The address changes only when the link is used (`confirmEmailChange`). Answers the same whether or not ' +
      'another account uses the new address (it then gets no link). Needs a recent sign-in (`reauthenticate`); not with an access token.',
    errors: { types: [ValidationFailedError] },
    input: { newEmail: t.input.string({ required: true }) },
    resolve: async (_root, { input: { newEmail } }, ctx) => {
      await requestEmailChange(ctx, ctx.viewer!, newEmail);
      return { message: 'A confirmation link is on its way to the new address, and a notice to the current one. The address changes once the link is used.' };
    },
  }),
  confirmEmailChange: t.fieldWithInput({
    type: AccountStatusRef,
    nullable: true,
    authScopes: { public: true },
    description:
      'Makes a requested email change with the token mailed to the new address: the account takes the address (confirmed) and its other ' +
      'sessions end (not the one that asked, nor this one). Each token works once. EmailTakenError: another account took the address meanwhile.',
    errors: { types: [InvalidTokenError, TokenExpiredError, EmailTakenError] },
    input: { token: t.input.string({ required: true }) },
    resolve: async (_root, { input: { token } }, ctx) => accountStatus(await confirmEmailChange(ctx, token), ctx.services.config),
  }),
  cancelEmailChange: t.fieldWithInput({
    type: AccountStatusRef,
    nullable: true,
    authScopes: { public: true },
    description: 'Voids a pending email change with the token of the notice mailed to the current address (audited). Each token works once.',
    errors: { types: [InvalidTokenError, TokenExpiredError] },
    input: { token: t.input.string({ required: true }) },
    resolve: async (_root, { input: { token } }, ctx) => accountStatus(await cancelEmailChange(ctx, token), ctx.services.config),
  }),
  deleteAccount: t.field({
    type: DeletedUserRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, recentSignIn: true } },
    description:
      "Deletes the signed-in user's account and ends every session. Needs a recent sign-in (`reauthenticate`); not with an access token.",
    errors: { types: [LastAdminError, OwnerRequiredError] },
    resolve: async (_root, _args, ctx) => {
      const deleted = await deleteAccount(ctx, ctx.viewer!);
      if (readSessionCookie(ctx.services.config, ctx.request.headers.get('cookie')) !== null) {
        queueSessionCookie(ctx.services.config, ctx.responseCookies, clearedSessionCookie(ctx.services.config));
      }
      // The rest of this operation is anonymous: the account is gone.
      ctx.viewer = null;
      ctx.credential = null;
      return deleted;
    },
  }),
}));
