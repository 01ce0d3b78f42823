// Domain errors thrown by services. They know nothing of GraphQL: schema/errors.ts exposes the
// expected ones as typed results, and the error formatter turns access errors into GraphQL errors.

/**
 * Stable codes a client can switch on, in one catalogue so codes never collide between domains.
 * The rule for where a failure appears:
 * - a **result** (a member of the mutation's result union, `... on Error { code }`): the input or
 *   the state of what is acted on is wrong, and a form shows it (these codes);
 * - a **top-level error** (`errors[].extensions.code`, REQUEST_ERROR_CODES below): who may ask and
 *   whether the request can be served at all. NOT_FOUND is one of these: an id that does not exist
 *   and one the viewer may not see get the same answer.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'EMAIL_TAKEN',
  'INVALID_CREDENTIALS',
  'EMAIL_NOT_CONFIRMED',
  'EMAIL_ALREADY_CONFIRMED',
  'ACCOUNT_DISABLED',
  'ACCOUNT_BANNED',
  'INVALID_TOKEN',
  'TOKEN_EXPIRED',
  'NAME_TAKEN',
  'LAST_ADMIN',
  'BUILT_IN_PROTECTED',
  // Impersonation (src/admin/impersonation.ts).
  'NOT_IMPERSONABLE',
  'NOT_IMPERSONATING',
  // OAuth sign-in (src/oauth/errors.ts).
  'LAST_SIGN_IN_METHOD',
  // Database administration (src/database/errors.ts).
  'NOT_SQLITE',
  'CORRUPT',
  'INCOMPATIBLE_SCHEMA',
  'TOO_LARGE',
  'DATABASE_IN_USE',
  'UNSUPPORTED_DATABASE',
  // First-run setup (src/admin/setup.ts).
  'SETUP_ALREADY_COMPLETED',
  'SETUP_REQUIRED',
  // Second factors (src/mfa/errors.ts).
  'INVALID_CODE',
  'TOTP_ALREADY_ENABLED',
  'TOTP_NOT_ENROLLED',
  'NO_SECOND_FACTOR',
  'SECOND_FACTOR_REQUIRED',
  // Passkeys (src/passkeys/errors.ts).
  'PASSKEY_REJECTED',
  'PASSKEY_LIMIT_REACHED',
  // Organizations (src/organizations/errors.ts).
  'OWNER_REQUIRED',
  'ALREADY_MEMBER',
  'INVITATION_EMAIL_MISMATCH',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes of top-level errors, with what each means (the ErrorCode enum documents them all). */
export const REQUEST_ERROR_CODES = {
  UNAUTHENTICATED: 'Sign in first, or the credentials sent are wrong (HTTP 401).',
  FORBIDDEN: 'The viewer may not do this.',
  NOT_FOUND: 'No such object, or one the viewer may not see.',
  RATE_LIMITED: 'Too many attempts: `extensions.retryAfter` says how many seconds to wait (HTTP 429).',
  MAINTENANCE_MODE: 'The server is in maintenance mode and this operation is not allowed during it (HTTP 503).',
  BAD_USER_INPUT: 'An argument or variable has the wrong type or shape.',
  BAD_REQUEST: 'The HTTP request is malformed: its body, encoding, headers or multipart parts (HTTP 400).',
  GRAPHQL_VALIDATION_FAILED: 'The document does not parse, does not fit the schema, or is too large or deep.',
  METHOD_NOT_ALLOWED: 'The HTTP method is not allowed here (HTTP 405).',
  INTERNAL_SERVER_ERROR: 'An unexpected failure on the server; the log has the details under the x-request-id.',
  // Trusted documents (src/http/trusted-documents.ts).
  PERSISTED_QUERY_NOT_FOUND: 'The hash sent (`extensions.persistedQuery.sha256Hash`) names no trusted document.',
  PERSISTED_QUERY_MISMATCH: 'The document sent with a hash is not the document that hash names.',
  TRUSTED_DOCUMENT_REQUIRED: 'This server runs only trusted documents (TRUSTED_DOCUMENTS) for non-admins: send a known hash.',
  // Step-up (src/schema/builder.ts, src/mfa/).
  REAUTHENTICATION_REQUIRED: 'This operation needs a recent sign-in (STEP_UP_WINDOW): call `reauthenticate`, then send it again.',
  IMPERSONATION_RESTRICTED:
    "An impersonation session (`impersonateUser`) cannot do this: it never changes the user's password, email, second factors, passkeys, linked accounts or access tokens, nor impersonates further.",
  MFA_ENROLLMENT_REQUIRED: 'A role of the account requires a second factor (MFA_REQUIRED_ROLES): set one up (`enrollTotp` or a passkey) first.',
} as const;
export type RequestErrorCode = keyof typeof REQUEST_ERROR_CODES;

/** An expected, user-caused outcome: returned to the client as a typed result. */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message?: string) {
    // No stack: an outcome the schema types, never logged as a fault; capturing one is a tenth of
    // a millisecond on every failed or two-step sign-in.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

export interface FieldProblem {
  field: string;
  messages: string[];
}

export class ValidationFailedError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  readonly fields: FieldProblem[];
  constructor(fields: FieldProblem[]) {
    super(`Invalid input: ${fields.map((f) => `${f.field}: ${f.messages.join(' ')}`).join('; ')}`);
    this.fields = fields;
  }
  static field(field: string, ...messages: string[]): ValidationFailedError {
    return new ValidationFailedError([{ field, messages }]);
  }
}

export class EmailTakenError extends DomainError {
  readonly code = 'EMAIL_TAKEN';
  constructor() {
    super('An account with this email already exists.');
  }
}

export class InvalidCredentialsError extends DomainError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor(message = 'Email or password is incorrect.') {
    super(message);
  }
}

export class EmailNotConfirmedError extends DomainError {
  readonly code = 'EMAIL_NOT_CONFIRMED';
  constructor() {
    super('Confirm your email address before signing in.');
  }
}

export class EmailAlreadyConfirmedError extends DomainError {
  readonly code = 'EMAIL_ALREADY_CONFIRMED';
  constructor() {
    super('This email address is already confirmed.');
  }
}

export class AccountDisabledError extends DomainError {
  readonly code = 'ACCOUNT_DISABLED';
  constructor() {
    super('This account is disabled.');
  }
}

/** A timed ban (banUser) until `until`; told only to someone who proved they hold the account. */
export class AccountBannedError extends DomainError {
  readonly code = 'ACCOUNT_BANNED';
  readonly until: Date;
  constructor(until: Date) {
    super(`This account is suspended until ${until.toISOString()}.`);
    this.until = until;
  }
}

export class InvalidTokenError extends DomainError {
  readonly code = 'INVALID_TOKEN';
  constructor() {
    super('This link or token is not valid. It may have been used already.');
  }
}

export class TokenExpiredError extends DomainError {
  readonly code = 'TOKEN_EXPIRED';
  constructor() {
    super('This link or token has expired. Ask for a new one.');
  }
}

export class NameTakenError extends DomainError {
  readonly code = 'NAME_TAKEN';
  constructor(what: string, name: string) {
    super(`A ${what} named "${name}" already exists.`);
  }
}

export class LastAdminError extends DomainError {
  readonly code = 'LAST_ADMIN';
  constructor() {
    super('This would leave no active administrator. Make someone else an admin first.');
  }
}

export class SetupAlreadyCompletedError extends DomainError {
  readonly code = 'SETUP_ALREADY_COMPLETED';
  constructor() {
    super('Gatehouse is already set up. Sign in as an administrator instead.');
  }
}

/** Self-service sign-up before an administrator has claimed the server (first-run setup). */
export class SetupRequiredError extends DomainError {
  readonly code = 'SETUP_REQUIRED';
  constructor() {
    super('This server has not been set up yet: sign-up opens once an administrator has claimed it.');
  }
}

export class BuiltInProtectedError extends DomainError {
  readonly code = 'BUILT_IN_PROTECTED';
  constructor(what: string) {
    super(`${what} is built in and cannot be changed this way.`);
  }
}

/**
 * The change would leave an organization without its one owner (organizations/): transfer
 * ownership first. Here, not in organizations/, because deleting an account can answer it too.
 */
export class OwnerRequiredError extends DomainError {
  readonly code = 'OWNER_REQUIRED';
  constructor(message = 'An organization always has an owner: transfer ownership to another member first.') {
    super(message);
  }
}

/** Failures of access: surfaced as GraphQL errors with extensions.code, never as typed results. */
export type AccessErrorCode = Extract<
  RequestErrorCode,
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'MAINTENANCE_MODE'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'PERSISTED_QUERY_MISMATCH'
  | 'TRUSTED_DOCUMENT_REQUIRED'
  | 'REAUTHENTICATION_REQUIRED'
  | 'MFA_ENROLLMENT_REQUIRED'
  | 'IMPERSONATION_RESTRICTED'
>;

export class AccessError extends Error {
  readonly code: AccessErrorCode;
  readonly extensions: Record<string, unknown>;
  readonly httpStatus: number | undefined;
  constructor(code: AccessErrorCode, message: string, extensions: Record<string, unknown> = {}, httpStatus?: number) {
    super(message);
    this.code = code;
    this.extensions = extensions;
    this.httpStatus = httpStatus;
  }
}

export class RateLimitedError extends AccessError {
  constructor(retryAfterSeconds: number) {
    const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
    super('RATE_LIMITED', `Too many attempts. Try again in ${retryAfter} s.`, { retryAfter });
  }
}

export const unauthenticated = (message = 'Sign in to do this.') => new AccessError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this.') => new AccessError('FORBIDDEN', message);
export const reauthenticationRequired = () =>
  new AccessError('REAUTHENTICATION_REQUIRED', 'Confirm it is you: call reauthenticate (password, authenticator code or passkey), then try again.');
export const impersonationRestricted = () =>
  new AccessError('IMPERSONATION_RESTRICTED', "Not while impersonating: an impersonation session cannot change the user's credentials or impersonate.");
export const notFound = (what: string) => new AccessError('NOT_FOUND', `${what} not found.`);
