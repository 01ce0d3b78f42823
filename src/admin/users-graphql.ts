// GraphQL for admin user management: the `users` connection, `user(id)`, and the mutations that
// create, edit, disable, delete and sign out users. Rules: `users:read` to look, `users:write` to
// change; role changes also need `roles:write`, and nobody changes an account holding permissions
// they lack (both checked by the service, FORBIDDEN).
import { RevokedSessionsRef } from '../sessions/graphql.ts';
import { builder } from '../schema/builder.ts';
import { EmailTakenError, LastAdminError, OwnerRequiredError, ValidationFailedError } from '../errors.ts';
import { DeletedUserRef, profileFields, UserRef } from '../accounts/graphql.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { listUsers, userCursor, userStatus, USER_PAGE_MAX, USER_STATUSES } from './user-list.ts';
import * as admin from './users.ts';
import * as bans from './bans.ts';
import { BAN_REASON_MAX } from './bans.ts';
import { isBanned } from '../accounts/lockout.ts';

const READ = { permission: PERMISSIONS.usersRead };
const WRITE = { permission: PERMISSIONS.usersWrite };
/** Mutations also need a recent sign-in (step-up). */
const CHANGE = { $all: { permission: PERMISSIONS.usersWrite, recentSignIn: true } } as const;

export const UserStatusEnum = builder.enumType('UserStatus', {
  description: 'Where an account stands.',
  values: {
    ACTIVE: { value: 'ACTIVE', description: 'Enabled, not banned, email confirmed.' },
    BANNED: { value: 'BANNED', description: 'Banned until a time (banUser): cannot sign in, has no sessions; the ban lifts itself.' },
    DISABLED: { value: 'DISABLED', description: 'Disabled by an administrator: cannot sign in, has no sessions.' },
    UNCONFIRMED: { value: 'UNCONFIRMED', description: 'Enabled, email not confirmed yet.' },
  } as const,
});
// The enum and the service agree on the values.
USER_STATUSES satisfies readonly (typeof UserStatusEnum.$inferType)[];

builder.objectFields(UserRef, (t) => ({
  disabled: t.exposeBoolean('disabled', { description: 'Disabled accounts cannot sign in.' }),
  status: t.field({ type: UserStatusEnum, resolve: (user, _args, ctx) => userStatus(user, ctx.services.clock.now()) }),
  bannedUntil: t.field({
    type: 'DateTime',
    nullable: true,
    description: 'Banned (banUser) until this time, or null. Past times are cleared lazily: a ban is over once this is past.',
    resolve: (user, _args, ctx) => (isBanned(user, ctx.services.clock.now()) ? user.bannedUntil : null),
  }),
  banReason: t.string({
    nullable: true,
    authScopes: READ,
    description: 'Why the account is banned (what the admin wrote), while the ban lasts.',
    resolve: (user, _args, ctx) => (isBanned(user, ctx.services.clock.now()) ? user.banReason : null),
  }),
}));

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true, description: 'The same policy as registration (see validatePassword).' }),
    confirmed: t.boolean({
      required: false,
      description: 'True: the address counts as confirmed now. Otherwise a confirmation link is emailed.',
    }),
    roles: t.stringList({
      required: false,
      description: 'Role names. Every account also gets `user`; any other role needs `roles:write`.',
    }),
    ...profileFields(t),
  }),
});

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  description:
    'Changes to an account: an omitted field stays as it is; null or "" clears a profile field; null on `email`, ' +
    '`confirmed`, `disabled` or `roles`, which cannot be cleared, is refused (VALIDATION_FAILED).',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The account to edit.' }),
    email: t.string({
      required: false,
      description: 'A new address is unconfirmed (and sent a confirmation link) unless `confirmed: true` is given too.',
    }),
    confirmed: t.boolean({ required: false }),
    disabled: t.boolean({
      required: false,
      description: 'Disabling ends every session of the user at once. Nobody can disable their own account.',
    }),
    roles: t.stringList({
      required: false,
      description: 'Replaces the roles with these (`user` always stays). Changing them needs `roles:write`.',
    }),
    ...profileFields(t),
  }),
});

builder.queryFields((t) => ({
  users: t.connection(
    {
      type: UserRef,
      authScopes: READ,
      description: `Every account, oldest first (then by id). Pages hold at most ${USER_PAGE_MAX} users.`,
      args: {
        search: t.arg.string({ required: false, description: 'Part of the email, display name, first or last name (any case).' }),
        role: t.arg.string({ required: false, description: 'Only holders of the role with this name.' }),
        status: t.arg({ type: UserStatusEnum, required: false }),
      },
      resolve: async (_root, args, ctx) => {
        const page = await listUsers(ctx.em, { ...args, now: ctx.services.clock.now() });
        return {
          edges: page.users.map((user) => ({ cursor: userCursor(user), node: user })),
          pageInfo: {
            hasNextPage: page.hasNextPage,
            hasPreviousPage: page.hasPreviousPage,
            startCursor: page.users.length ? userCursor(page.users[0]!) : null,
            endCursor: page.users.length ? userCursor(page.users.at(-1)!) : null,
          },
          countTotal: page.countTotal,
        };
      },
    },
    {
      name: 'UserConnection',
      fields: (t) => ({
        totalCount: t.int({
          description: 'How many users match the filters (all pages). Counted only when asked for.',
          resolve: (connection) => connection.countTotal(),
        }),
      }),
    },
    { name: 'UserEdge' },
  ),
  user: t.field({
    type: UserRef,
    nullable: true,
    authScopes: READ,
    description: 'The account with this id, or null.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => admin.findUserById(ctx.em, id),
  }),
}));

builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserRef,
    nullable: true,
    authScopes: CHANGE,
    description: 'Creates an account under the same email and password rules as registration.',
    errors: { types: [ValidationFailedError, EmailTakenError] },
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_root, { input }, ctx) => admin.createUser(ctx, input),
  }),
  updateUser: t.field({
    type: UserRef,
    nullable: true,
    authScopes: CHANGE,
    description: 'Edits an account. Disabling it, or taking the admin role, is refused for the last active admin.',
    errors: { types: [ValidationFailedError, EmailTakenError, LastAdminError] },
    args: { input: t.arg({ type: UpdateUserInput, required: true }) },
    resolve: (_root, { input: { id, ...changes } }, ctx) => admin.updateUser(ctx, id, changes),
  }),
  deleteUser: t.fieldWithInput({
    type: DeletedUserRef,
    nullable: true,
    authScopes: CHANGE,
    description: 'Deletes an account with its sessions and tokens. Refused for the last active admin.',
    errors: { types: [LastAdminError, OwnerRequiredError] },
    input: { id: t.input.id({ required: true }) },
    resolve: (_root, { input: { id } }, ctx) => admin.deleteUser(ctx, id),
  }),
  setUserPassword: t.fieldWithInput({
    type: UserRef,
    nullable: true,
    authScopes: CHANGE,
    description: "Sets an account's password (registration's policy) and ends all its sessions.",
    errors: { types: [ValidationFailedError] },
    input: { id: t.input.id({ required: true }), password: t.input.string({ required: true }) },
    resolve: (_root, { input: { id, password } }, ctx) => admin.setUserPassword(ctx, id, password),
  }),
  resetUserSecondFactors: t.fieldWithInput({
    type: UserRef,
    nullable: true,
    authScopes: CHANGE,
    description:
      "Removes every second factor of an account (authenticator app, passkeys, recovery codes), e.g. after a lost phone; its password " +
      'then signs in alone until it sets one up again. Audited as `mfa.reset` and emailed to the user. Nobody can read a factor back.',
    errors: { types: [] },
    input: { id: t.input.id({ required: true }) },
    resolve: (_root, { input: { id } }, ctx) => admin.resetUserSecondFactors(ctx, id),
  }),
  banUser: t.fieldWithInput({
    type: UserRef,
    nullable: true,
    authScopes: CHANGE,
    description:
      'Bans (suspends) an account until `until`: its sessions and live connections end at once, its access tokens and every sign-in ' +
      'are refused (login answers AccountBannedError with the end time, and only to the right password), and the ban lifts itself ' +
      'then. Banning again replaces the end and reason. Not for your own account or an admin (ValidationError). Audited as `user.ban`.',
    errors: { types: [ValidationFailedError] },
    input: {
      id: t.input.id({ required: true }),
      reason: t.input.string({ required: true, description: `Why (at most ${BAN_REASON_MAX} characters): shown to admins and in the audit log, not to the user.` }),
      until: t.input.field({ type: 'DateTime', required: true, description: 'When the ban ends: in the future, at most 100 years away.' }),
    },
    resolve: (_root, { input: { id, reason, until } }, ctx) => bans.banUser(ctx, id, reason, until),
  }),
  unbanUser: t.fieldWithInput({
    type: UserRef,
    nullable: true,
    authScopes: CHANGE,
    description: 'Lifts a ban now (audited as `user.unban`); an account that is not banned is returned unchanged.',
    errors: { types: [] },
    input: { id: t.input.id({ required: true }) },
    resolve: (_root, { input: { id } }, ctx) => bans.unbanUser(ctx, id),
  }),
  revokeUserSessions: t.fieldWithInput({
    type: RevokedSessionsRef,
    nullable: true,
    authScopes: CHANGE,
    description: 'Ends every session of an account at once. NOT_FOUND when there is no account with this id.',
    errors: { types: [] },
    input: { id: t.input.id({ required: true }) },
    resolve: async (_root, { input: { id } }, ctx) => ({ count: await admin.revokeUserSessions(ctx, id) }),
  }),
}));
