// What became of a GraphQL operation, as metrics and traces name it: `success`, or the code of its
// first error. Read before yoga masks the errors (its masking plugin runs after ours), so the codes
// are taken the way the error masker (src/http/errors.ts) will assign them. Never a message: messages
// may quote the input (an email, a password typed into the document).
import { GraphQLError } from 'graphql';
import { AccessError } from '../errors.ts';

export const SUCCESS = 'success';

/** The code a client will see in `extensions.code` for this error. */
export function errorCode(error: unknown): string {
  if (error instanceof AccessError) return error.code;
  if (!(error instanceof GraphQLError)) return 'INTERNAL_SERVER_ERROR';
  const code = error.extensions?.code;
  if (typeof code === 'string') return code;
  const original = error.originalError;
  if (original instanceof AccessError) return original.code;
  // graphql-js and yoga's own errors about the request (variables, validation): the client's.
  if (!original || original instanceof GraphQLError) return 'BAD_USER_INPUT';
  return 'INTERNAL_SERVER_ERROR';
}

/** `success`, or the code of the first error. */
export function outcomeOf(errors: readonly unknown[] | undefined): string {
  return errors?.length ? errorCode(errors[0]) : SUCCESS;
}

/** Every distinct error code of a result, in order. */
export function errorCodes(errors: readonly unknown[] | undefined): string[] {
  return errors?.length ? [...new Set(errors.map(errorCode))] : [];
}
