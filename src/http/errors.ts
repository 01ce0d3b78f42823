// Error formatting: access errors keep their code (and HTTP status), expected GraphQL errors pass
// through, and anything unexpected is logged and replaced by a generic message (no stack, no SQL).
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Plugin } from 'graphql-yoga';
import { AccessError } from '../errors.ts';

export function toGraphQLError(error: AccessError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: {
      code: error.code,
      ...error.extensions,
      ...(error.httpStatus ? { http: { status: error.httpStatus } } : {}),
    },
  });
}

const MASKED = new Error('Unexpected error.');

/** `currentRequestId` ties the log line of a masked error to the x-request-id the client got. */
export function createErrorMasker(logger: Logger, currentRequestId: () => string | undefined = () => undefined) {
  return (error: unknown): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof AccessError) {
      const mapped = toGraphQLError(original);
      return error instanceof GraphQLError
        ? new GraphQLError(mapped.message, { nodes: error.nodes, path: error.path, originalError: original, extensions: mapped.extensions })
        : mapped;
    }
    // Errors graphql-js or yoga raised about the request itself (syntax, validation, variables).
    if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) return withoutLiteralValue(withoutVariableValue(error));
    logger.error({ err: original, requestId: currentRequestId() }, 'unexpected error');
    return new GraphQLError('Unexpected error.', {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      // Never serialised; it tells yoga the error was not a deliberate GraphQL error, so a
      // response without data is a 500 rather than a 200 that monitoring would miss.
      originalError: MASKED,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}


const INVALID_VARIABLE = /^Variable "(\$\w+)" got invalid value /;

/**
 * The executor quotes a rejected variable's whole value ("Variable "$input" got invalid value
 * { …, password: "…" } at "input.x"; reason"), so an input object with one bad field would echo
 * its password back (and into logs). Keep the variable, the path and the reason; drop every value.
 */
function withoutVariableValue(error: GraphQLError): GraphQLError {
  const variable = INVALID_VARIABLE.exec(error.message)?.[1];
  if (!variable) return error;
  // Values may contain anything, reasons never contain "; ": split at the last one.
  const split = error.message.lastIndexOf('; ');
  const path = / at "([^"]*)"$/.exec(error.message.slice(0, split))?.[1];
  const reason = (split >= 0 ? error.message.slice(split + 2) : '')
    .replace(/,? found: [\s\S]*$/, '')
    .replace(/ value: [\s\S]*$/, ' value');
  const where = path ? ` at "${path}"` : '';
  return new GraphQLError(`Variable "${variable}" got an invalid value${where}${reason ? `: ${reason}` : '.'}`, {
    nodes: error.nodes,
    originalError: error.originalError,
    extensions: { code: 'BAD_USER_INPUT', ...error.extensions },
  });
}

/** "Expected value of type …, found <literal>" (and "… Found: <literal>."): the kept part, or null. */
const LITERAL_VALUE = /^(Expected value of type "[^"]+"[\s\S]*?)(?:,|\.)? [Ff]ound:? [\s\S]*$/;

/**
 * Validation quotes a wrong input literal whole ("… to include required field "email", found:
 * { emial: "…", password: "…" }."), which echoes a password written into the document (every
 * mutation takes an input object). Keep what was expected; drop the literal.
 */
function withoutLiteralValue(error: GraphQLError): GraphQLError {
  const kept = LITERAL_VALUE.exec(error.message)?.[1];
  if (kept === undefined) return error;
  return new GraphQLError(/[.?]$/.test(kept) ? kept : `${kept}.`, {
    nodes: error.nodes,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/** Validation errors do not pass the masker: this strips the quoted literals from them too. */
export function validationValuesPlugin(): Plugin {
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.some((error) => LITERAL_VALUE.test(error.message))) setResult(result.map((error) => (error instanceof GraphQLError ? withoutLiteralValue(error) : error)));
      };
    },
  };
}
