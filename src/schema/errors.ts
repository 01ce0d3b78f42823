// Expected failures as GraphQL types: every domain error is an object implementing `Error`,
// and mutations list the ones they may return. Clients switch on __typename or `code`.
import { builder } from './builder.ts';
import {
  AccountBannedError,
  AccountDisabledError,
  DomainError,
  EmailAlreadyConfirmedError,
  EmailNotConfirmedError,
  EmailTakenError,
  ERROR_CODES,
  REQUEST_ERROR_CODES,
  SetupAlreadyCompletedError,
  SetupRequiredError,
  InvalidCredentialsError,
  InvalidTokenError,
  TokenExpiredError,
  ValidationFailedError,
  NameTakenError,
  LastAdminError,
  BuiltInProtectedError,
  OwnerRequiredError,
  type FieldProblem,
} from '../errors.ts';

const RESULT_CODE = 'Returned as a result: a member of the mutation\'s result union (`... on Error { code }`).';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description:
    'Every code a client can receive. Failures about the input or the state of what is acted on are results ' +
    '(a member of the mutation\'s result union, `... on Error { code message }`); failures about who may ask ' +
    'and whether the request can be served are top-level errors (`errors[].extensions.code`).',
  values: {
    ...Object.fromEntries(ERROR_CODES.map((code) => [code, { description: RESULT_CODE + (code === 'TOO_LARGE' ? ' Also top-level (HTTP 413) for an upload over the limit.' : '') }])),
    ...Object.fromEntries(Object.entries(REQUEST_ERROR_CODES).map(([code, meaning]) => [code, { description: `Top-level error: ${meaning}` }])),
  },
});

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'An expected failure of a mutation, caused by its input or the state of the account.',
  fields: (t) => ({
    message: t.exposeString('message', { authScopes: { public: true } }),
    code: t.field({ type: ErrorCodeEnum, authScopes: { public: true }, resolve: (error) => error.code }),
  }),
});

const FieldErrorRef = builder.objectRef<FieldProblem>('FieldError').implement({
  description: 'What is wrong with one input field.',
  fields: (t) => ({
    field: t.exposeString('field', { authScopes: { public: true }, description: 'The input field, e.g. "password".' }),
    messages: t.exposeStringList('messages', { authScopes: { public: true } }),
  }),
});

/** Registers a domain error class as a GraphQL object implementing Error. */
export function errorType<T extends DomainError>(cls: new (...args: any[]) => T, name: string, description: string) {
  return builder.objectType(cls, {
    name,
    description,
    // The generic T defeats Pothos's shape check; every DomainError does implement Error.
    interfaces: [ErrorInterface] as never,
    isTypeOf: (value) => value instanceof cls,
    fields: () => ({}),
  });
}

builder.objectType(ValidationFailedError, {
  name: 'ValidationError',
  description: 'One or more input fields are invalid; `fields` names each.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationFailedError,
  fields: (t) => ({
    fields: t.field({ type: [FieldErrorRef], authScopes: { public: true }, resolve: (error) => error.fields }),
  }),
});
errorType(EmailTakenError, 'EmailTakenError', 'An account with this email already exists.');
errorType(InvalidCredentialsError, 'InvalidCredentialsError', 'Email or password is incorrect.');
errorType(EmailNotConfirmedError, 'EmailNotConfirmedError', 'The email address must be confirmed first.');
errorType(EmailAlreadyConfirmedError, 'EmailAlreadyConfirmedError', 'The email address is already confirmed.');
errorType(AccountDisabledError, 'AccountDisabledError', 'The account has been disabled by an administrator.');
builder.objectType(AccountBannedError, {
  name: 'AccountBannedError',
  description: 'The account is banned (suspended) until `until`; told only to someone who proved they hold it. The ban lifts itself then.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof AccountBannedError,
  fields: (t) => ({
    until: t.field({ type: 'DateTime', authScopes: { public: true }, resolve: (error) => error.until }),
  }),
});
errorType(InvalidTokenError, 'InvalidTokenError', 'The token is unknown or was already used.');
errorType(TokenExpiredError, 'TokenExpiredError', 'The token has expired.');
errorType(NameTakenError, 'NameTakenError', 'The name is already used.');
errorType(LastAdminError, 'LastAdminError', 'The change would leave no active administrator.');
errorType(BuiltInProtectedError, 'BuiltInProtectedError', 'Built-in roles and permissions cannot be deleted or renamed.');
errorType(OwnerRequiredError, 'OwnerRequiredError', 'The change would leave an organization without its one owner: transfer ownership first.');
errorType(SetupAlreadyCompletedError, 'SetupAlreadyCompletedError', 'First-run setup was completed already.');
errorType(SetupRequiredError, 'SetupRequiredError', 'No administrator has claimed the server yet (first-run setup), so self-service sign-up is closed.');
