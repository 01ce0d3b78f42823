// First run. While no admin exists, `completeSetup` creates the first admin, but only for someone
// holding the setup token printed in the server log at start (or given as SETUP_TOKEN), so a stranger
// who finds a fresh deployment first cannot claim it. ADMIN_EMAIL / ADMIN_PASSWORD create or ensure
// an admin at start instead.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import type { Logger } from 'pino';
import type { RequestScope, Services } from '../context.ts';
import { ConfigError } from '../config/index.ts';
import { EmailTakenError, InvalidTokenError, SetupAlreadyCompletedError, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { checkEmail, emailKey, normalizeEmail } from '../util/email.ts';
import { hashPassword } from '../accounts/passwords.ts';
import { Role } from '../access/entities.ts';
import { ADMIN_ROLE } from '../access/declarations.ts';
import { defaultRole } from '../access/sync.ts';
import { passwordProblems } from '../accounts/service.ts';
import { generateToken, hashToken, safeEqual } from '../util/secrets.ts';
import { lockInTransaction } from '../db/locks.ts';
import { adminExists } from '../accounts/last-admin.ts';
import { AUDIT_ACTIONS, recordAudit, systemAuditScope, type AuditScope } from '../audit/service.ts';

declare module '../context.ts' {
  interface Services {
    /** First-run setup: the setup token and the lock that lets one `completeSetup` win. */
    setup: SetupGate;
  }
}

/** A wrong setup token. Shown as InvalidTokenError (code INVALID_TOKEN), with a message that says where to look. */
export class SetupTokenError extends InvalidTokenError {
  constructor() {
    super();
    this.message = 'The setup token is not valid. The server log shows it at start (or it is the SETUP_TOKEN setting).';
  }
}


/**
 * Holds the setup token (as a hash) and serialises setup attempts, so that two concurrent
 * `completeSetup` calls cannot both see "no user yet" and both create an admin.
 */
export class SetupGate {
  readonly #configuredToken: string | null;
  readonly #logger: Logger;
  #tokenHash: string | null = null;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(configuredToken: string | null, logger: Logger) {
    this.#configuredToken = configuredToken;
    this.#logger = logger;
  }

  /** Makes a token valid (SETUP_TOKEN, or a new random one written to the log) unless one already is. */
  arm(): void {
    if (this.#tokenHash !== null) return;
    if (this.#configuredToken !== null) {
      this.#tokenHash = hashToken(this.#configuredToken);
      this.#logger.warn('First-run setup pending: no administrator exists yet. Claim this server with the completeSetup mutation and the SETUP_TOKEN setting.');
      return;
    }
    const token = generateToken();
    this.#tokenHash = hashToken(token);
    // The token is in the message (not a `token` field, which the logger redacts): it is meant to be read.
    this.#logger.warn(
      `First-run setup pending: no administrator exists yet. Claim this server with completeSetup(input: { setupToken: "${token}", email, password }). Setup token: ${token}`,
    );
  }

  /** Constant time: both sides are SHA-256 hex strings, so neither content nor length leaks. */
  accepts(token: string): boolean {
    this.arm();
    return safeEqual(hashToken(token), this.#tokenHash!);
  }

  /** Once the first account exists the token is spent. */
  disarm(): void {
    this.#tokenHash = null;
  }

  /** Runs `task` after every earlier one has finished (an in-process mutex). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * True while no account holds the admin role: accounts that signed up before (only with
 * ALLOW_REGISTRATION_BEFORE_SETUP) do not claim the server.
 */
export async function needsSetup(em: EntityManager): Promise<boolean> {
  return !(await adminExists(em));
}

export interface CompleteSetupInput {
  setupToken: string;
  email: string;
  password: string;
}

/** The registration policy: a valid email, and a password that does not lean on it. */
async function credentialProblems(scope: { services: Pick<Services, 'breaches'>; ip: string }, email: string, password: string): Promise<FieldProblem[]> {
  const emailProblem = checkEmail(email);
  return [...(emailProblem ? [{ field: 'email', messages: [emailProblem] }] : []), ...(await passwordProblems(scope, 'password', password, [email]))];
}

/** Creates a confirmed account holding the `user` and `admin` roles (not flushed). */
async function createAdminUser(em: EntityManager, services: Pick<Services, 'clock'>, email: string, passwordHash: string): Promise<User> {
  const now = services.clock.now();
  return em.create(User, {
    email,
    emailKey: emailKey(email),
    passwordHash,
    emailConfirmedAt: now,
    roles: [await defaultRole(em), await em.findOneOrFail(Role, { name: ADMIN_ROLE })],
    createdAt: now,
    updatedAt: now,
  });
}

/**
 * Creates the first admin, a confirmed account. SETUP_ALREADY_COMPLETED once an admin exists; a wrong token
 * is an InvalidTokenError (and spends the client IP's auth budget like every attempt). Does not sign in.
 */
export async function completeSetup(scope: RequestScope, input: CompleteSetupInput): Promise<User> {
  const { services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  if (!(await needsSetup(scope.em))) throw new SetupAlreadyCompletedError();
  if (!services.setup.accepts(input.setupToken)) {
    services.logger.warn({ requestId: scope.requestId, ip: scope.ip }, 'completeSetup refused: wrong setup token');
    throw new SetupTokenError();
  }
  const email = normalizeEmail(input.email);
  const problems = await credentialProblems(scope, email, input.password);
  if (problems.length) throw new ValidationFailedError(problems);
  const passwordHash = await hashPassword(input.password);

  const user = await services.setup.exclusive(() =>
    scope.em.transactional(async (tx) => {
      // Checked again inside the locks and the transaction: another call (or instance) may have won meanwhile.
      await lockInTransaction(tx, 'setup');
      if (!(await needsSetup(tx))) throw new SetupAlreadyCompletedError();
      // An account that signed up before setup (ALLOW_REGISTRATION_BEFORE_SETUP) is not taken over.
      if (await tx.findOne(User, { emailKey: emailKey(email) }, { fields: ['id'] })) throw new EmailTakenError();
      const admin = await createAdminUser(tx, services, email, passwordHash);
      try {
        await tx.flush();
      } catch (error) {
        // An account of this email was created meanwhile, outside setup (which holds the lock), e.g.
        // a registration with ALLOW_REGISTRATION_BEFORE_SETUP. (PostgreSQL refuses any further
        // query in this failed transaction, so nothing is read again here.)
        if (error instanceof UniqueConstraintViolationException) throw new EmailTakenError();
        throw error;
      }
      await recordAudit({ ...scope, em: tx, viewer: admin }, { action: AUDIT_ACTIONS.setupComplete, targetType: 'user', targetId: admin.id });
      return admin;
    }),
  );
  services.setup.disarm();
  services.logger.info({ userId: user.id, requestId: scope.requestId }, 'first-run setup complete');
  return user;
}

export interface EnsureAdminResult {
  user: User;
  created: boolean;
  /** The account existed without the admin role and was given it. */
  roleAdded: boolean;
}

/**
 * Makes sure `email` is an admin: creates a confirmed admin with `password` when the account does
 * not exist; otherwise adds the admin role if missing. An existing account's password is never
 * changed (`password` is then ignored). Audited when something changed, with the scope's actor.
 */
export async function ensureAdmin(scope: AuditScope, email: string, password: string | null): Promise<EnsureAdminResult> {
  const normalized = normalizeEmail(email);
  return scope.em.transactional(async (tx) => {
    const existing = await tx.findOne(User, { emailKey: emailKey(normalized) }, { populate: ['roles'] });
    if (existing) {
      if (existing.roles.getItems().some((role) => role.name === ADMIN_ROLE)) return { user: existing, created: false, roleAdded: false };
      existing.roles.add(await tx.findOneOrFail(Role, { name: ADMIN_ROLE }));
      existing.updatedAt = scope.services.clock.now();
      await tx.flush();
      await recordAudit({ ...scope, em: tx }, auditOfEnsure(existing, false));
      return { user: existing, created: false, roleAdded: true };
    }
    if (password === null) throw ValidationFailedError.field('password', 'A password is needed to create this account.');
    const problems = await credentialProblems(scope, normalized, password);
    if (problems.length) throw new ValidationFailedError(problems);
    const user = await createAdminUser(tx, scope.services, normalized, await hashPassword(password));
    await tx.flush();
    await recordAudit({ ...scope, em: tx }, auditOfEnsure(user, true));
    return { user, created: true, roleAdded: true };
  });
}

function auditOfEnsure(user: User, created: boolean) {
  return { action: AUDIT_ACTIONS.adminEnsured, targetType: 'user', targetId: user.id, details: { email: user.email, created } };
}

const ENV_NAMES: Record<string, string> = { email: 'ADMIN_EMAIL', password: 'ADMIN_PASSWORD' };

/**
 * At start: applies ADMIN_EMAIL / ADMIN_PASSWORD, then arms the setup token if still no account
 * exists. A weak or missing ADMIN_PASSWORD (when the account must be created) stops the start.
 */
export async function prepareFirstRun(services: Services): Promise<void> {
  const em = services.orm.em.fork();
  const admin = services.config.admin;
  if (admin) {
    let result: EnsureAdminResult;
    try {
      result = await ensureAdmin(systemAuditScope(em, services), admin.email, admin.password);
    } catch (error) {
      if (!(error instanceof ValidationFailedError)) throw error;
      const lines = error.fields.map((f) => `  ${ENV_NAMES[f.field] ?? f.field}: ${f.messages.join(' ')}`);
      throw new ConfigError(`Invalid configuration (creating the admin ${admin.email}):\n${lines.join('\n')}`);
    }
    logEnsuredAdmin(services.logger, result, admin.password !== null);
  }
  if (await needsSetup(em)) services.setup.arm();
}

function logEnsuredAdmin(logger: Logger, result: EnsureAdminResult, passwordGiven: boolean): void {
  const { user } = result;
  if (result.created) logger.info({ userId: user.id }, `ADMIN_EMAIL: created the admin account ${user.email}`);
  else if (result.roleAdded) logger.warn({ userId: user.id }, `ADMIN_EMAIL: gave the existing account ${user.email} the admin role`);
  if (!result.created && passwordGiven) {
    logger.warn({ userId: user.id }, `ADMIN_EMAIL: ${user.email} already exists; ADMIN_PASSWORD was ignored and its password is unchanged`);
  }
  if (user.disabled) logger.warn({ userId: user.id }, `ADMIN_EMAIL: ${user.email} is disabled and cannot sign in until enabled`);
}
