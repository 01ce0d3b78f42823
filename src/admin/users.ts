// Admin user management: create, edit, disable, delete, set passwords, end sessions. The same
// email and password rules as self-service registration apply; every change is audited. Callers
// check `users:write` (GraphQL scopes, or the CLI by being the operator). Role changes also need
// `roles:write` (checked here) and then follow access/service.ts `assignRoles` and its rules; and
// no one acts on an account that holds permissions they lack (only admins manage admins).
import { resetSecondFactors } from '../mfa/service.ts';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import { isOperator, viewerAccess, type RequestScope } from '../context.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { EmailTakenError, forbidden, notFound, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { checkEmail, emailKey, normalizeEmail } from '../util/email.ts';
import { hashPassword } from '../accounts/passwords.ts';
import { normalizeProfile, PROFILE_FIELDS, type ProfileInput } from '../accounts/profile.ts';
import { passwordProblems, profileInputs, sendConfirmation } from '../accounts/service.ts';
import { Role } from '../access/entities.ts';
import { PERMISSIONS, USER_ROLE } from '../access/declarations.ts';
import { assertNotLastAdmin } from '../accounts/last-admin.ts';
import { assertDeletable } from '../accounts/deletion-guards.ts';
import { assertMayManage, assignRoles } from '../accounts/roles.ts';
import { nullsRefused } from '../validation/updates.ts';
import { revokeAllSessions } from '../sessions/service.ts';
import { recordAudit } from '../audit/service.ts';

export const USER_AUDIT_ACTIONS = {
  create: 'user.create',
  update: 'user.update',
  disable: 'user.disable',
  enable: 'user.enable',
  delete: 'user.delete',
  setPassword: 'user.password.set',
  revokeSessions: 'user.sessions.revoke',
  ban: 'user.ban',
  unban: 'user.unban',
} as const;

export interface CreateUserInput extends ProfileInput {
  email: string;
  password: string;
  /** Mark the address confirmed now instead of emailing a confirmation link. */
  confirmed?: boolean | null;
  /** Role names; every account also gets `user`. */
  roles?: readonly string[] | null;
}

/** Omitted (or null) fields stay as they are, except profile fields, where null clears. */
export interface UpdateUserInput extends ProfileInput {
  email?: string | null;
  confirmed?: boolean | null;
  disabled?: boolean | null;
  /** Replaces the user's roles with these and `user`, which every account keeps. */
  roles?: readonly string[] | null;
}

export async function findUserById(em: EntityManager, id: string): Promise<User | null> {
  return em.findOne(User, { id });
}

/** The user to act on: NOT_FOUND when there is none, FORBIDDEN when it outranks the actor. */
export async function findManagedUser(scope: RequestScope, id: string, populateRoles = false): Promise<User> {
  const user = await scope.em.findOne(User, { id }, populateRoles ? { populate: ['roles'] } : {});
  if (!user) throw notFound('User');
  await assertMayManage(scope, user);
  return user;
}

/** With no viewer the operator acts (command line), with full authority, as in access/service.ts. */
async function assertMayAssignRoles(scope: RequestScope): Promise<void> {
  if (isOperator(scope)) return;
  if (!(await viewerAccess(scope)).can(PERMISSIONS.rolesWrite)) {
    throw forbidden(`Assigning roles needs the permission \`${PERMISSIONS.rolesWrite}\`.`);
  }
}

/** The role names to hold: the given ones and `user`, which every account keeps. */
function roleSet(names: readonly string[]): string[] {
  return [...new Set([USER_ROLE, ...names.map((name) => name.trim())])];
}

/** Reports unknown role names on the `roles` field, with the other input problems. */
async function checkRolesExist(em: EntityManager, names: string[], problems: FieldProblem[]): Promise<void> {
  const roles = await em.find(Role, { name: { $in: names } });
  const unknown = names.filter((name) => !roles.some((role) => role.name === name));
  if (unknown.length) problems.push({ field: 'roles', messages: [`Unknown role: ${unknown.join(', ')}.`] });
}

function emailProblems(field: string, email: string): FieldProblem[] {
  const problem = checkEmail(email);
  return problem ? [{ field, messages: [problem] }] : [];
}

async function assertEmailFree(em: EntityManager, email: string, exceptUserId?: string): Promise<void> {
  const holder = await em.findOne(User, { emailKey: emailKey(email) });
  if (holder && holder.id !== exceptUserId) throw new EmailTakenError();
}

/** A unique-index violation on flush means another request took the email after our check. */
async function flushOrEmailTaken(em: EntityManager): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new EmailTakenError();
    throw error;
  }
}

export async function createUser(scope: RequestScope, input: CreateUserInput): Promise<User> {
  const { em, services } = scope;
  const roleNames = roleSet(input.roles ?? []);
  const extraRoles = roleNames.length > 1;
  if (extraRoles) await assertMayAssignRoles(scope);

  const email = normalizeEmail(input.email);
  const { values: profile, problems } = normalizeProfile(input);
  problems.unshift(...emailProblems('email', email));
  problems.push(...(await passwordProblems(scope, 'password', input.password, profileInputs({ displayName: null, firstName: null, lastName: null, ...profile, email }))));
  await checkRolesExist(em, roleNames, problems);
  if (problems.length) throw new ValidationFailedError(problems);
  await assertEmailFree(em, email);

  const passwordHash = await hashPassword(input.password);
  const now = services.clock.now();
  const confirmed = input.confirmed === true;
  // A clear fork: if anything below refuses, the request's EntityManager never saw the new user.
  const id = await em.transactional(async (tx) => {
    const userRole = await tx.findOneOrFail(Role, { name: USER_ROLE });
    const created = tx.create(User, {
      email,
      emailKey: emailKey(email),
      passwordHash,
      emailConfirmedAt: confirmed ? now : null,
      ...profile,
      roles: [userRole],
      createdAt: now,
      updatedAt: now,
    });
    await flushOrEmailTaken(tx);
    // Its rules (who may grant `admin`, or permissions they lack) apply; a refusal rolls back the creation.
    if (extraRoles) await assignRoles({ ...scope, em: tx }, created.id, roleNames);
    await recordAudit(
      { ...scope, em: tx },
      { action: USER_AUDIT_ACTIONS.create, targetType: 'user', targetId: created.id, details: { email, confirmed, roles: roleNames } },
    );
    return created.id;
  }, { clear: true });
  const user = await em.findOneOrFail(User, { id });
  if (!confirmed) await sendConfirmation(scope, user);
  return user;
}

interface PlannedUpdate {
  values: Partial<Pick<User, 'email' | 'emailKey' | 'emailConfirmedAt'>> & ProfileInput;
  /** Names of the fields that change, for the audit trail (never values of secrets). */
  changed: string[];
  /** The complete new set of role names, when it differs. */
  roles: string[] | null;
  disabled: boolean | null;
  /** The address changed and is not confirmed: send a confirmation link to it. */
  confirmNewEmail: boolean;
}

/** Validates the input against the user as stored and works out what actually changes. */
async function planUpdate(scope: RequestScope, user: User, input: UpdateUserInput): Promise<PlannedUpdate> {
  const now = scope.services.clock.now();
  const { values: profile, problems } = normalizeProfile(input);
  problems.unshift(...nullsRefused(input, ['email', 'confirmed', 'disabled', 'roles']));
  const plan: PlannedUpdate = { values: {}, changed: [], roles: null, disabled: null, confirmNewEmail: false };
  for (const field of PROFILE_FIELDS) {
    if (field in profile && profile[field] !== user[field]) {
      plan.values[field] = profile[field];
      plan.changed.push(field);
    }
  }

  let confirmed = input.confirmed ?? null;
  if (input.email != null) {
    const email = normalizeEmail(input.email);
    problems.unshift(...emailProblems('email', email));
    if (email !== user.email) {
      plan.values.email = email;
      plan.changed.push('email');
    }
    // A new mailbox (not just a new spelling) is unconfirmed unless the admin says otherwise.
    if (emailKey(email) !== user.emailKey) {
      plan.values.emailKey = emailKey(email);
      confirmed ??= false;
      plan.confirmNewEmail = !confirmed;
    }
  }
  if (confirmed !== null && confirmed !== (user.emailConfirmedAt !== null)) {
    plan.values.emailConfirmedAt = confirmed ? now : null;
    plan.changed.push('confirmed');
  }

  if (input.disabled != null && input.disabled !== user.disabled) {
    if (input.disabled && scope.viewer?.id === user.id) {
      problems.push({ field: 'disabled', messages: ['You cannot disable your own account.'] });
    }
    plan.disabled = input.disabled;
  }

  if (input.roles != null) {
    const wanted = roleSet(input.roles);
    const current = user.roles.getItems().map((role) => role.name);
    if (wanted.length !== current.length || wanted.some((name) => !current.includes(name))) {
      await assertMayAssignRoles(scope);
      await checkRolesExist(scope.em, wanted, problems);
      plan.roles = wanted;
      plan.changed.push('roles');
    }
  }

  if (problems.length) throw new ValidationFailedError(problems);
  if (plan.values.emailKey !== undefined) await assertEmailFree(scope.em, plan.values.email ?? user.email, user.id);
  return plan;
}

/**
 * Applies an admin's edit in one transaction. Disabling ends every session of the user at once;
 * disabling the last active admin or taking the admin role from them is refused (LAST_ADMIN), as is
 * disabling oneself (VALIDATION_FAILED on `disabled`).
 */
export async function updateUser(scope: RequestScope, id: string, input: UpdateUserInput): Promise<User> {
  const { em, services } = scope;
  const user = await findManagedUser(scope, id, true);
  const plan = await planUpdate(scope, user, input);
  if (!plan.changed.length && plan.disabled === null) return user;

  // The changes go to a fresh copy in a clear fork: committed, they reach `user`; refused (last
  // admin, roles), they leave nothing behind in the request's EntityManager either.
  await em.transactional(async (tx) => {
    const stored = await tx.findOneOrFail(User, { id: user.id });
    if (plan.disabled === true) await assertNotLastAdmin(tx, stored.id);
    Object.assign(stored, plan.values, { updatedAt: services.clock.now() });
    if (plan.disabled !== null) stored.disabled = plan.disabled;
    await flushOrEmailTaken(tx);
    // Records its own audit event (added / removed roles) and guards the last admin's role.
    if (plan.roles) await assignRoles({ ...scope, em: tx }, stored.id, plan.roles);
    const audit = { ...scope, em: tx };
    const target = { targetType: 'user', targetId: stored.id };
    if (plan.disabled === true) {
      const sessionsEnded = await revokeAllSessions(tx, stored.id);
      await recordAudit(audit, { action: USER_AUDIT_ACTIONS.disable, ...target, details: { sessionsEnded } });
    }
    if (plan.disabled === false) await recordAudit(audit, { action: USER_AUDIT_ACTIONS.enable, ...target });
    if (plan.changed.length) await recordAudit(audit, { action: USER_AUDIT_ACTIONS.update, ...target, details: updateDetails(stored, plan) });
  }, { clear: true });
  if (plan.disabled === true) publishRevoked(services, { userId: user.id, reason: 'USER_DISABLED', allOfUser: true });
  // Role links changed in a nested fork do not reach the loaded collection by themselves.
  if (plan.roles) await em.refresh(user, { populate: ['roles'] });
  if (plan.confirmNewEmail) await sendConfirmation(scope, user);
  return user;
}

function updateDetails(user: User, plan: PlannedUpdate): Record<string, unknown> {
  const details: Record<string, unknown> = { changed: plan.changed };
  if (plan.changed.includes('email')) details.email = user.email;
  if (plan.changed.includes('confirmed')) details.confirmed = user.emailConfirmedAt !== null;
  if (plan.roles) details.roles = plan.roles;
  return details;
}

/** Deletes the user; sessions, emailed tokens and role links go with it (foreign keys cascade). */
export async function deleteUser(scope: RequestScope, id: string): Promise<{ id: string; email: string }> {
  const user = await findManagedUser(scope, id);
  await scope.em.transactional(async (tx) => {
    await assertNotLastAdmin(tx, user.id);
    await assertDeletable(scope.services.accountDeletionGuards, tx, user.id);
    await recordAudit({ ...scope, em: tx }, { action: USER_AUDIT_ACTIONS.delete, targetType: 'user', targetId: user.id, details: { email: user.email } });
    await tx.nativeDelete(User, { id: user.id });
  });
  publishRevoked(scope.services, { userId: user.id, reason: 'USER_DELETED', allOfUser: true });
  return { id: user.id, email: user.email };
}

/** Sets a new password under the registration policy and ends every session of the user. */
/** Removes every second factor of an account (it lost its phone): audited and emailed to its owner. */
export async function resetUserSecondFactors(scope: RequestScope, id: string): Promise<User> {
  const user = await findManagedUser(scope, id);
  await resetSecondFactors(scope, user);
  return user;
}

export async function setUserPassword(scope: RequestScope, id: string, password: string): Promise<User> {
  const { em, services } = scope;
  const user = await findManagedUser(scope, id);
  const problems = await passwordProblems(scope, 'password', password, profileInputs(user));
  if (problems.length) throw new ValidationFailedError(problems);
  const passwordHash = await hashPassword(password);
  await em.transactional(async (tx) => {
    const now = services.clock.now();
    await tx.nativeUpdate(User, { id: user.id }, { passwordHash, updatedAt: now, credentialsChangedAt: now });
    const sessionsEnded = await revokeAllSessions(tx, user.id);
    await recordAudit({ ...scope, em: tx }, { action: USER_AUDIT_ACTIONS.setPassword, targetType: 'user', targetId: user.id, details: { sessionsEnded } });
  });
  publishRevoked(services, { userId: user.id, reason: 'PASSWORD_CHANGED', allSessions: true });
  // nativeUpdate bypasses the loaded entity: reload it so the User returned shows what is stored.
  await em.refresh(user);
  return user;
}

/** Ends every session of the user; returns how many ended. */
export async function revokeUserSessions(scope: RequestScope, id: string): Promise<number> {
  const user = await findManagedUser(scope, id);
  const count = await scope.em.transactional(async (tx) => {
    const ended = await revokeAllSessions(tx, user.id);
    await recordAudit({ ...scope, em: tx }, { action: USER_AUDIT_ACTIONS.revokeSessions, targetType: 'user', targetId: user.id, details: { count: ended } });
    return ended;
  });
  publishRevoked(scope.services, { userId: user.id, reason: 'SESSION_REVOKED', allSessions: true });
  return count;
}
